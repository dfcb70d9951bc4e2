"""pgBackRest settings, configuration files, commands and verify findings of the patroni role's backups."""

from __future__ import annotations

import configparser

import pytest

from plugins.module_utils import pgbackrest
from tests.support.backup_settings import PGBACKREST_SETTINGS as SETTINGS


def _ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_member_configuration_archives_locally_and_serves_tls() -> None:
    conf = _ini(pgbackrest.config_text(SETTINGS, "member"))
    assert conf["global"]["repo1-cipher-type"] == "aes-256-cbc"
    assert conf["global"]["repo1-retention-full"] == "4"
    assert conf["global"]["tls-server-auth"] == "pgbackrest-backup=devstats-postgres"
    assert dict(conf["devstats-postgres"]) == {
        "pg1-path": SETTINGS["data_dir"],
        "pg1-socket-path": "/var/run/postgresql",
        "pg1-port": "5432",
        "pg1-user": "postgres",
    }
    assert "cipher-pass" not in pgbackrest.config_text(SETTINGS, "member")


def test_job_configuration_names_every_member_over_tls() -> None:
    conf = _ini(pgbackrest.config_text(SETTINGS, "backup"))
    stanza = conf["devstats-postgres"]
    assert [stanza["pg1-host"], stanza["pg2-host"]] == ["m-0.svc", "m-1.svc"]
    assert stanza["pg2-host-type"] == "tls"
    assert stanza["pg1-host-key-file"] == f"{pgbackrest.TLS_DIR}/client.key"
    assert "tls-server-address" not in conf["global"]


def test_s3_repository_is_a_prefix_per_foundation_and_cluster() -> None:
    settings = {**SETTINGS, "repo_type": "s3", "s3_bucket": "backups", "s3_uri_style": "path"}
    conf = _ini(pgbackrest.config_text(pgbackrest.check_settings(settings), "member"))["global"]
    assert conf["repo1-path"] == "/cncf/devstats-postgres"
    assert (conf["repo1-s3-bucket"], conf["repo1-s3-uri-style"], conf["repo1-storage-port"]) == (
        "backups",
        "path",
        "443",
    )


def test_every_wrong_setting_is_named_at_once() -> None:
    bad = {
        **SETTINGS,
        "repo_type": "s3",
        "s3_bucket": "Bad_Bucket",
        "retention_full": 0,
        "full_schedule": "daily",
    }
    with pytest.raises(pgbackrest.BackupSettingsError) as error:
        pgbackrest.check_settings(bad)
    message = str(error.value)
    for variable in (
        "patroni_backup_s3_bucket",
        "patroni_backup_retention_full",
        "patroni_backup_full_schedule",
    ):
        assert variable in message


def test_archive_command_pushes_with_the_member_configuration() -> None:
    parameters = pgbackrest.archive_parameters(SETTINGS)
    assert parameters["archive_mode"] == "on"
    assert parameters["archive_command"] == (
        "pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=devstats-postgres archive-push %p"
    )


def test_restore_commands() -> None:
    latest = pgbackrest.restore_command(SETTINGS, "latest")
    assert latest[-1] == "restore" and not [a for a in latest if a.startswith("--type")]
    timed = pgbackrest.restore_command(SETTINGS, "2024-03-04 10:00:00+00")
    assert "--type=time" in timed and "--target=2024-03-04 10:00:00+00" in timed
    assert "--target-action=promote" in timed
    for wrong in ("yesterday", "2024-03-04 10:00", "2999-01-01 00:00:00+00"):
        with pytest.raises(pgbackrest.BackupSettingsError):
            pgbackrest.restore_command(SETTINGS, wrong)


def test_verify_findings() -> None:
    clean = (
        "INFO: stanza: s\n  status: ok\n    backup: 20240304-100000F, status: valid, total files checked: 9\n"
    )
    assert pgbackrest.verify_findings(clean) == []
    broken = (
        "P02 INFO: invalid checksum '20240304-100000F/pg_data/base/4/2659.zst'\n"
        "status: error\n  backup: 20240304-100000F, status: invalid, total files checked: 969\n"
    )
    assert pgbackrest.verify_findings(broken) == [
        "invalid checksum '20240304-100000F/pg_data/base/4/2659.zst'",
        "status: error",
        "backup: 20240304-100000F, status: invalid",
    ]
