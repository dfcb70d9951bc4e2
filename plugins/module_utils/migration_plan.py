# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Which legacy database goes into which cluster database, and what a target database's state allows.

Pure Python. ``database_mapping`` pairs every active project of a foundation (preflight's model) with
its source database (the project's own ``db`` unless the inventory maps it to another name) and adds
the shared databases; ``mapping_problems`` names every project whose source database is not on the
legacy server; ``target_state`` decides, from the fingerprints, whether a target is already migrated,
ready to receive the copy, or holds data of its own that a copy must not overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Written as the target database's comment: while a copy runs, and once it is verified.
IN_PROGRESS = "devstats.platform migration: copy in progress"
MIGRATED_PREFIX = "devstats.platform migration: verified copy of "


class MigrationPlanError(ValueError):
    pass


def database_mapping(
    projects: Sequence[Mapping[str, Any]], overrides: Mapping[str, str], shared: Sequence[str]
) -> list[dict[str, str]]:
    """[{project, source, target}] for each active project, then each shared database (project '')."""
    active = [p for p in projects if not p.get("disabled")]
    known = {p["name"] for p in projects}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise MigrationPlanError(
            "migrate_source_databases maps projects the foundation does not have: "
            + ", ".join(unknown)
            + f" (its projects: {', '.join(sorted(known))})"
        )
    mapping = [
        {"project": p["name"], "source": overrides.get(p["name"], p["db"]), "target": p["db"]} for p in active
    ]
    mapping += [
        {"project": "", "source": db, "target": db}
        for db in shared
        if db not in {m["target"] for m in mapping}
    ]
    return mapping


def mapping_problems(mapping: Sequence[Mapping[str, str]], source_databases: Sequence[str]) -> list[str]:
    """Every mapped source database that the legacy server does not have, naming its project."""
    present = set(source_databases)
    return [
        (f"project '{m['project']}': " if m["project"] else "shared database: ")
        + f"source database '{m['source']}' does not exist on the legacy server"
        + (" (map the project to its database in migrate_source_databases)" if m["project"] else "")
        for m in mapping
        if m["source"] not in present
    ]


def target_state(target: Mapping[str, Any], differences: Sequence[str]) -> str:
    """What may happen to a target database.

    migrated: a verified copy equal to the source, nothing to do; copy: empty, or a copy of ours that
    did not finish, so it is replaced; diverged: a verified copy that differs now (the old sync went on,
    or the cluster's sync wrote since the cut-over); foreign: data that did not come from a migration.
    The last two are replaced only when the inventory says so.
    """
    comment = target.get("comment") or ""
    if comment.startswith(MIGRATED_PREFIX):
        return "diverged" if differences else "migrated"
    if comment == IN_PROGRESS or not any(t["rows"] for t in target["tables"].values()):
        return "copy"
    return "foreign"


def report(plan: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per database: copied or already there, how much, and where the next sync starts."""
    lines = []
    for entry in plan:
        line = (
            f"{entry['source']} -> {entry['target']}: "
            f"{'copied and verified' if entry['copy'] else 'already migrated'}, "
            f"{entry['rows']} rows in {entry['tables']} tables"
        )
        if entry.get("watermark"):
            line += f"; last synced hour {entry['watermark']} UTC, the next sync starts at the hour after it"
        lines.append(line)
    return lines


def migrated_comment(source_name: str, watermark: str | None) -> str:
    return f"{MIGRATED_PREFIX}{source_name}" + (f" up to {watermark} UTC" if watermark else "")


_SUFFIXES = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
}


def quantity_bytes(quantity: str) -> int:
    """Bytes of a Kubernetes storage quantity such as 20Gi or 500M."""
    text = str(quantity).strip()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            return int(float(text[: -len(suffix)]) * _SUFFIXES[suffix])
    if text.isdigit():
        return int(text)
    raise ValueError(f"{quantity!r} is not a storage quantity such as '20Gi'")
