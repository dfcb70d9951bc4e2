"""Filters of the patroni role's backups: checked settings, WAL archiving, objects, restore bootstrap."""

from __future__ import annotations

import shlex
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.devstats.platform.plugins.module_utils import backup_manifests, pgbackrest


def pgbackrest_checked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The backup settings after every check; a wrong variable fails the run before anything changes."""
    try:
        return pgbackrest.check_settings(settings)
    except pgbackrest.BackupSettingsError as error:
        raise AnsibleFilterError(f"backup settings of {settings.get('name')}: {error}") from error


def pgbackrest_archive_parameters(settings: dict[str, Any]) -> dict[str, str]:
    return pgbackrest.archive_parameters(settings)


def patroni_backup_manifests(
    manifests: list[dict[str, Any]], settings: dict[str, Any], values: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    return backup_manifests.with_backups(manifests, settings, values)


def patroni_backup_member_hosts(settings: dict[str, Any]) -> list[str]:
    return backup_manifests.member_hosts(settings)


def patroni_backup_verify_job(settings: dict[str, Any]) -> dict[str, Any]:
    return backup_manifests.verify_job(settings)


def pgbackrest_verify_findings(output: str) -> list[str]:
    return pgbackrest.verify_findings(output)


def pgbackrest_restore_bootstrap(settings: dict[str, Any], target: str) -> dict[str, Any]:
    """Patroni's bootstrap section that builds a new cluster by restoring the repository to `target`.

    The member that wins the initialize race runs pgBackRest's restore instead of initdb; PostgreSQL
    then replays WAL up to the target and promotes, keeping pgBackRest's recovery settings; the other
    members clone from it as usual.
    """
    try:
        command = pgbackrest.restore_command(settings, target)
    except pgbackrest.BackupSettingsError as error:
        raise AnsibleFilterError(f"patroni_backup_restore_target: {error}") from error
    return {
        "method": "pgbackrest",
        "pgbackrest": {
            "command": shlex.join(command),
            "keep_existing_recovery_conf": True,
            "no_params": True,
        },
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "pgbackrest_checked_settings": pgbackrest_checked_settings,
            "pgbackrest_archive_parameters": pgbackrest_archive_parameters,
            "patroni_backup_manifests": patroni_backup_manifests,
            "pgbackrest_restore_bootstrap": pgbackrest_restore_bootstrap,
            "patroni_backup_member_hosts": patroni_backup_member_hosts,
            "patroni_backup_verify_job": patroni_backup_verify_job,
            "pgbackrest_verify_findings": pgbackrest_verify_findings,
        }
