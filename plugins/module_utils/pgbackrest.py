# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""pgBackRest for a Patroni cluster: the checked backup settings, the configuration files and the commands.

Pure Python (standard library only). ``check_settings`` turns the patroni role's ``patroni_backup_*``
variables into one normalized mapping, or raises ``BackupSettingsError`` naming every wrong variable;
``config_text`` writes the pgbackrest.conf of a member (PostgreSQL local, WAL archived from there, the
TLS server the backups connect to) or of the backup jobs (every member a remote ``pg<N>-host``, so
pgBackRest finds the leader itself); the ``*_command`` functions give the argv the CronJobs, the restore
and the tests run. Secrets (cipher passphrase, S3 keys) never enter a file: pgBackRest reads them from
``PGBACKREST_REPO1_*`` environment variables (``SECRET_ENV``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any, Optional

from .inventory_values import cron_problem, quantity_problem, show

REPO_TYPES = ("posix", "s3")
RETENTION_FULL_TYPES = ("count", "time")
URI_STYLES = ("host", "path")
CIPHER_TYPE = "aes-256-cbc"
# Where the files live inside the Patroni image's containers (the role mounts them there).
CONFIG_DIR = "/etc/pgbackrest"
# Not under CONFIG_DIR: a volume mounted inside a ConfigMap volume needs a mount point there.
TLS_DIR = "/etc/pgbackrest-tls"
POSIX_REPO_MOUNT = "/var/lib/pgbackrest"
# The client certificate's common name: the one identity the members' TLS servers admit.
CLIENT_NAME = "pgbackrest-backup"
# The environment variables pgBackRest reads instead of options, and the Secret key each comes from.
SECRET_ENV = {
    "PGBACKREST_REPO1_CIPHER_PASS": "passphrase",
    "PGBACKREST_REPO1_S3_KEY": "key",
    "PGBACKREST_REPO1_S3_KEY_SECRET": "key-secret",
}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")
_TARGET_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$")


class BackupSettingsError(ValueError):
    """One or more backup variables are wrong; the message names each with what is allowed."""


def _positive_int_problem(value: Any) -> Optional[str]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"{show(value)} is not a whole number of 1 or more"
    return None


def _choice_problem(value: Any, choices: tuple[str, ...]) -> Optional[str]:
    if value not in choices:
        return f"{show(value)} is not one of {', '.join(choices)}"
    return None


def _s3_problems(s3: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = []
    bucket = s3.get("bucket")
    if not isinstance(bucket, str) or not _BUCKET.match(bucket):
        problems.append(
            ("s3_bucket", f"{show(bucket)} is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
        )
    for key in ("region", "endpoint"):
        value = s3.get(key)
        if not isinstance(value, str) or not _HOST.match(value):
            problems.append((f"s3_{key}", f"{show(value)} is not a region or host name"))
    problems += [("s3_uri_style", p) for p in [_choice_problem(s3.get("uri_style"), URI_STYLES)] if p]
    port = s3.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        problems.append(("s3_port", f"{show(port)} is not a TCP port"))
    if not isinstance(s3.get("credentials_secret"), str) or not s3.get("credentials_secret"):
        problems.append(
            ("s3_credentials_secret", "is empty; expected the name of the Secret with key and key-secret")
        )
    return problems


def check_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The backup settings with every value checked; BackupSettingsError lists all problems at once.

    raw holds the role's variables without their ``patroni_backup_`` prefix (repo_type, retention_full,
    full_schedule, s3_bucket, ...) plus the names the role derives (stanza, data_dir, ...).
    """
    problems: list[tuple[str, str]] = []

    def check(key: str, problem: Optional[str]) -> None:
        if problem:
            problems.append((key, problem))

    check("repo_type", _choice_problem(raw.get("repo_type"), REPO_TYPES))
    check("retention_full", _positive_int_problem(raw.get("retention_full")))
    check("retention_full_type", _choice_problem(raw.get("retention_full_type"), RETENTION_FULL_TYPES))
    check("retention_diff", _positive_int_problem(raw.get("retention_diff")))
    for key in ("full_schedule", "diff_schedule"):
        check(key, cron_problem(raw.get(key)))
    if raw.get("dump_enabled"):
        check("dump_schedule", cron_problem(raw.get("dump_schedule")))
        check("dump_storage_size", quantity_problem(raw.get("dump_storage_size")))
        check("dump_retention", _positive_int_problem(raw.get("dump_retention")))
    if raw.get("repo_type") == "posix":
        check("storage_size", quantity_problem(raw.get("storage_size")))
    if raw.get("repo_type") == "s3":
        problems += _s3_problems({key[3:]: value for key, value in raw.items() if key.startswith("s3_")})
    if problems:
        raise BackupSettingsError("; ".join(f"patroni_backup_{key}: {problem}" for key, problem in problems))
    return dict(raw)


def repo_path(settings: Mapping[str, Any]) -> str:
    """A posix repository is the volume itself; an S3 one a prefix per foundation and cluster."""
    if settings["repo_type"] == "posix":
        return POSIX_REPO_MOUNT
    return f"/{settings['foundation']}/{settings['stanza']}"


def _global_options(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    options = [
        ("repo1-type", settings["repo_type"]),
        ("repo1-path", repo_path(settings)),
        ("repo1-cipher-type", CIPHER_TYPE),
        ("repo1-retention-full-type", settings["retention_full_type"]),
        ("repo1-retention-full", str(settings["retention_full"])),
        ("repo1-retention-diff", str(settings["retention_diff"])),
        # Small files (most of a cluster's) go into bundles: far fewer objects and requests to store.
        ("repo1-bundle", "y"),
    ]
    if settings["repo_type"] == "s3":
        options += [
            ("repo1-s3-bucket", settings["s3_bucket"]),
            ("repo1-s3-region", settings["s3_region"]),
            ("repo1-s3-endpoint", settings["s3_endpoint"]),
            ("repo1-s3-uri-style", settings["s3_uri_style"]),
            ("repo1-storage-port", str(settings["s3_port"])),
        ]
    options += [
        # The containers' root file systems are read-only and their logs go to the console.
        ("log-level-file", "off"),
        ("log-level-console", "info"),
        ("lock-path", settings.get("lock_path", "/tmp/pgbackrest")),
        ("start-fast", "y"),
        ("delta", "y"),
        ("compress-type", "zst"),
        ("process-max", str(settings.get("process_max", 2))),
    ]
    return options


def _member_options(settings: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    tls = settings.get("tls_dir", TLS_DIR)
    server = [
        ("tls-server-address", settings.get("tls_address", "*")),
        ("tls-server-port", str(settings["tls_port"])),
        ("tls-server-ca-file", f"{tls}/ca.crt"),
        ("tls-server-cert-file", f"{tls}/server.crt"),
        ("tls-server-key-file", f"{tls}/server.key"),
        ("tls-server-auth", f"{CLIENT_NAME}={settings['stanza']}"),
    ]
    stanza = [
        ("pg1-path", settings["data_dir"]),
        ("pg1-socket-path", settings["socket_dir"]),
        ("pg1-port", str(settings["pg_port"])),
        ("pg1-user", settings["superuser"]),
    ]
    return server, stanza


def _backup_options(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    tls = settings.get("tls_dir", TLS_DIR)
    stanza: list[tuple[str, str]] = []
    for index, host in enumerate(settings["member_hosts"], start=1):
        stanza += [
            (f"pg{index}-host", host),
            (f"pg{index}-host-type", "tls"),
            (f"pg{index}-host-port", str(settings["tls_port"])),
            (f"pg{index}-host-ca-file", f"{tls}/ca.crt"),
            (f"pg{index}-host-cert-file", f"{tls}/client.crt"),
            (f"pg{index}-host-key-file", f"{tls}/client.key"),
            (f"pg{index}-path", settings["data_dir"]),
            (f"pg{index}-socket-path", settings["socket_dir"]),
            (f"pg{index}-port", str(settings["pg_port"])),
            (f"pg{index}-user", settings["superuser"]),
        ]
    return stanza


def config_text(settings: Mapping[str, Any], role: str) -> str:
    """pgbackrest.conf of a member ('member') or of the backup and dump jobs ('backup')."""
    global_options = _global_options(settings)
    if role == "member":
        server, stanza = _member_options(settings)
        global_options += server
    elif role == "backup":
        stanza = _backup_options(settings)
    else:
        raise ValueError(f"role {role!r}: expected 'member' or 'backup'")
    lines = [
        "# pgBackRest for the Patroni cluster "
        + settings["stanza"]
        + f" ({role}); written by devstats.platform."
    ]
    lines += ["[global]", *(f"{k}={v}" for k, v in global_options), ""]
    lines += [f"[{settings['stanza']}]", *(f"{k}={v}" for k, v in stanza)]
    return "\n".join(lines) + "\n"


def archive_parameters(settings: Mapping[str, Any]) -> dict[str, str]:
    """PostgreSQL parameters that archive every WAL segment of the leader into the repository."""
    config = f"{settings.get('config_dir', CONFIG_DIR)}/pgbackrest.conf"
    return {
        "archive_mode": "on",
        "archive_command": f"pgbackrest --config={config} --stanza={settings['stanza']} archive-push %p",
        "archive_timeout": str(settings.get("archive_timeout", 300)),
    }


def _base(settings: Mapping[str, Any]) -> list[str]:
    return [
        "pgbackrest",
        f"--config={settings.get('config_dir', CONFIG_DIR)}/pgbackrest.conf",
        f"--stanza={settings['stanza']}",
    ]


def stanza_create_command(settings: Mapping[str, Any]) -> list[str]:
    """Creates the stanza, or checks that the existing one matches the cluster (safe to repeat)."""
    return [*_base(settings), "stanza-create"]


def check_command(settings: Mapping[str, Any]) -> list[str]:
    """Checks that WAL reaches the repository: archives a segment and waits for it."""
    return [*_base(settings), "check"]


def backup_command(settings: Mapping[str, Any], backup_type: str) -> list[str]:
    if backup_type not in ("full", "diff", "incr"):
        raise ValueError(f"backup type {backup_type!r}: expected full, diff or incr")
    return [*_base(settings), f"--type={backup_type}", "backup"]


def info_command(settings: Mapping[str, Any]) -> list[str]:
    return [*_base(settings), "--output=json", "info"]


def verify_command(settings: Mapping[str, Any]) -> list[str]:
    """Reads every file of every backup and archived WAL segment and checks its checksum."""
    return [*_base(settings), "verify"]


# pgBackRest 2.45's verify exits 0 whatever it finds: what it found is in its log lines.
_VERIFY_FINDING = re.compile(
    r"(invalid checksum '[^']+'|invalid size '[^']+'|file missing '[^']+'|"
    r"backup: \S+, status: (?!valid)\w+|archiveId: \S+, status: (?!valid)\w+|status: error)"
)


def verify_findings(output: str) -> list[str]:
    """What pgBackRest's verify reported as wrong (corrupt or missing files), in order; [] when sound."""
    return [match.group(1) for match in _VERIFY_FINDING.finditer(output)]


def target_problem(target: Any) -> Optional[str]:
    """'latest', or a time with its UTC offset that PostgreSQL parses, e.g. '2026-03-01 14:05:00+00'."""
    if target == "latest":
        return None
    if not isinstance(target, str) or not _TARGET_TIME.match(target):
        return (
            f"{show(target)} is not a restore target; expected 'latest' or a time with its offset such as "
            "'2026-03-01 14:05:00+00'"
        )
    try:
        moment = datetime.datetime.fromisoformat(target.replace("Z", "+00:00"))
    except ValueError:
        return f"{show(target)} is not a valid time"
    if moment > datetime.datetime.now(datetime.timezone.utc):
        return f"{show(target)} is in the future"
    return None


def restore_command(settings: Mapping[str, Any], target: str) -> list[str]:
    """Restores the data directory to the latest backup plus all archived WAL, or to a point in time.

    A point-in-time restore stops replay just before the first transaction committed after the target
    and promotes, so the cluster continues on a new timeline from exactly there.
    """
    problem = target_problem(target)
    if problem:
        raise BackupSettingsError(f"restore target: {problem}")
    argv = [*_base(settings), "--delta"]
    if target != "latest":
        argv += [
            "--type=time",
            f"--target={target}",
            "--target-exclusive",
            "--target-action=promote",
            "--target-timeline=current",
        ]
    return [*argv, "restore"]
