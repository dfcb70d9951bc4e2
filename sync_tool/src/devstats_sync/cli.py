"""``devstats-sync``: a small dispatcher; each subcommand is a module of ``devstats_sync.commands``.

A command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``;
adding a command is adding its module and one line to ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

import psycopg2

from devstats_sync import __version__, exit_codes
from devstats_sync.connections import ConnectError
from devstats_sync.projects_config import ConfigError
from devstats_sync.schema import SchemaTooNewError

COMMANDS: tuple[str, ...] = (
    "devstats_sync.commands.ingest",
    "devstats_sync.commands.generate",
    *(f"devstats_sync.commands.{n}" for n in ("init", "provision", "sync", "affiliations", "status", "demo")),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstats-sync", description="DevStats-compatible sync tool")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS:
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        return int(args.handler(args))
    except ConfigError as error:
        print(f"devstats-sync: {error}", file=sys.stderr)
        return exit_codes.CONFIG
    except ConnectError as error:
        print(f"devstats-sync: {error}", file=sys.stderr)
        return error.exit_code
    except SchemaTooNewError as error:
        print(f"devstats-sync: {error}", file=sys.stderr)
        return exit_codes.CONFIG
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
        said = " ".join(str(error).split()) or type(error).__name__
        print(f"devstats-sync: lost the database connection: {said}; the next run resumes", file=sys.stderr)
        return exit_codes.FAILED


if __name__ == "__main__":
    sys.exit(main())
