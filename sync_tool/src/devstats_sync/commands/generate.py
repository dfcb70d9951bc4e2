"""``devstats-sync generate``: realistic GH Archive hour files from a seed (tests, benchmarks, local runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from devstats_sync.projects_config import ConfigError, parse_hour
from devstats_sync.sample_data import GeneratorConfig, write_hours

NAME = "generate"
HELP = "write deterministic, realistic GH Archive hour files (.json.gz) into a directory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="directory for the hour files")
    parser.add_argument("--from", dest="start", required=True, help="first hour, YYYY-MM-DDTHH (UTC)")
    parser.add_argument("--to", dest="end", required=True, help="hour to stop before, YYYY-MM-DDTHH")
    parser.add_argument("--events", type=int, default=2000, help="events per hour (default: 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument(
        "--repos",
        action="append",
        default=None,
        metavar="OWNER/NAME",
        help="repositories that get a share of the events (repeatable), e.g. an example project's",
    )
    parser.add_argument(
        "--share", type=float, default=0.01, help="fraction of events in --repos (default: 0.01)"
    )


def run(args: argparse.Namespace) -> int:
    start, end = parse_hour(args.start, "--from"), parse_hour(args.end, "--to")
    if end <= start:
        raise ConfigError("--to must be after --from")
    for repo in args.repos or ():
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name or repo != repo.strip() or " " in repo:
            raise ConfigError(f"--repos {repo!r}: expected OWNER/NAME, e.g. kubernetes/kubernetes")
    if args.events < 1:
        raise ConfigError(f"--events {args.events}: at least 1")
    if not 0 <= args.share <= 1:
        raise ConfigError(f"--share {args.share}: a fraction between 0 and 1")
    config = GeneratorConfig(
        seed=args.seed,
        events_per_hour=args.events,
        focus_repos=tuple(args.repos or ()),
        focus_share=args.share,
    )
    try:
        paths = write_hours(args.out, start, end, config)
    except OSError as error:
        raise ConfigError(f"--out {args.out}: {error.strerror or error}") from None
    print(f"wrote {len(paths)} hour file(s) into {args.out}")
    return 0
