"""The migration's database mapping, its problems, fingerprint differences and target states."""

from __future__ import annotations

import pytest

from plugins.module_utils import database_fingerprint, migration_plan

PROJECTS = [
    {"name": "kubernetes", "db": "gha", "disabled": False},
    {"name": "etcd", "db": "etcd", "disabled": False},
    {"name": "old", "db": "old", "disabled": True},
]


def test_mapping_takes_project_databases_overrides_and_shared_ones() -> None:
    mapping = migration_plan.database_mapping(PROJECTS, {"etcd": "etcd_legacy"}, ["devstats"])
    assert mapping == [
        {"project": "kubernetes", "source": "gha", "target": "gha"},
        {"project": "etcd", "source": "etcd_legacy", "target": "etcd"},
        {"project": "", "source": "devstats", "target": "devstats"},
    ]
    with pytest.raises(migration_plan.MigrationPlanError, match="nope"):
        migration_plan.database_mapping(PROJECTS, {"nope": "x"}, [])


def test_missing_source_databases_are_named_with_their_project() -> None:
    mapping = migration_plan.database_mapping(PROJECTS, {}, ["devstats"])
    assert migration_plan.mapping_problems(mapping, ["gha", "postgres"]) == [
        "project 'etcd': source database 'etcd' does not exist on the legacy server "
        "(map the project to its database in migrate_source_databases)",
        "shared database: source database 'devstats' does not exist on the legacy server",
    ]


def _print(
    rows: int, checksum: str = "1", watermark: str | None = "2024-03-04 02:00", comment: str = ""
) -> dict:
    return {
        "tables": {"gha_events": {"rows": rows, "checksum": checksum, "key": ["id"]}},
        "watermark": watermark,
        "comment": comment,
    }


def test_differences_and_states() -> None:
    source = _print(10)
    assert database_fingerprint.differences(source, _print(10)) == []
    assert database_fingerprint.differences(source, _print(9)) == [
        "table gha_events: 10 rows on the source, 9 on the target"
    ]
    assert "different keys" in database_fingerprint.differences(source, _print(10, "2"))[0]
    assert "watermark" in database_fingerprint.differences(source, _print(10, watermark=None))[0]
    migrated = migration_plan.migrated_comment("gha", "2024-03-04 02:00")
    assert migration_plan.target_state(_print(10, comment=migrated), []) == "migrated"
    assert migration_plan.target_state(_print(11, comment=migrated), ["x"]) == "diverged"
    assert migration_plan.target_state(_print(0), ["x"]) == "copy"
    assert migration_plan.target_state(_print(5, comment=migration_plan.IN_PROGRESS), ["x"]) == "copy"
    assert migration_plan.target_state(_print(5), ["x"]) == "foreign"


def test_quantity_bytes() -> None:
    assert migration_plan.quantity_bytes("20Gi") == 20 * 2**30
    assert migration_plan.quantity_bytes("500M") == 500 * 10**6
    with pytest.raises(ValueError):
        migration_plan.quantity_bytes("lots")


def test_report_lines() -> None:
    plan = [
        {
            "source": "gha",
            "target": "gha",
            "copy": True,
            "rows": 12,
            "tables": 3,
            "watermark": "2024-03-04 02:00",
        },
        {
            "source": "devstats",
            "target": "devstats",
            "copy": False,
            "rows": 0,
            "tables": 1,
            "watermark": None,
        },
    ]
    assert migration_plan.report(plan) == [
        "gha -> gha: copied and verified, 12 rows in 3 tables; last synced hour 2024-03-04 02:00 UTC, "
        "the next sync starts at the hour after it",
        "devstats -> devstats: already migrated, 0 rows in 1 tables",
    ]
