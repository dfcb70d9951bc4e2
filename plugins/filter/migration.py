"""Filters of the migrate role: the database mapping, its problems, fingerprint comparisons, states."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.devstats.platform.plugins.module_utils import database_fingerprint, migration_plan


def migrate_database_mapping(
    projects: list[dict[str, Any]], overrides: dict[str, str], shared: list[str]
) -> list[dict[str, str]]:
    try:
        return migration_plan.database_mapping(projects, overrides or {}, shared or [])
    except migration_plan.MigrationPlanError as error:
        raise AnsibleFilterError(str(error)) from error


def migrate_mapping_problems(mapping: list[dict[str, str]], source_databases: list[str]) -> list[str]:
    return migration_plan.mapping_problems(mapping, source_databases)


def migrate_differences(source: dict[str, Any], target: dict[str, Any]) -> list[str]:
    return database_fingerprint.differences(source, target)


def migrate_target_state(target: dict[str, Any], differences: list[str]) -> str:
    return migration_plan.target_state(target, differences)


def migrate_migrated_comment(source_name: str, watermark: str | None) -> str:
    return migration_plan.migrated_comment(source_name, watermark)


def migrate_in_progress_comment(value: Any = None) -> str:
    """The comment of a database whose copy runs (takes any input: filters need one)."""
    del value
    return migration_plan.IN_PROGRESS


def migrate_report(plan: list[dict[str, Any]]) -> list[str]:
    return migration_plan.report(plan)


def migrate_quantity_bytes(quantity: str) -> int:
    try:
        return migration_plan.quantity_bytes(quantity)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "migrate_database_mapping": migrate_database_mapping,
            "migrate_mapping_problems": migrate_mapping_problems,
            "migrate_differences": migrate_differences,
            "migrate_target_state": migrate_target_state,
            "migrate_migrated_comment": migrate_migrated_comment,
            "migrate_quantity_bytes": migrate_quantity_bytes,
            "migrate_in_progress_comment": migrate_in_progress_comment,
            "migrate_report": migrate_report,
        }
