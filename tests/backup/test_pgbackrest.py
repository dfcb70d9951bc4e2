"""pgBackRest as the patroni role configures it, against a real PostgreSQL, with a posix repository and
with an S3 repository on the moto server: the CronJobs' backups, a point-in-time restore as Patroni's
restore bootstrap runs it, and a corrupted backup reported instead of restored."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from pathlib import Path

import pytest

from plugins.module_utils import pgbackrest
from tests.backup.conftest import NAME, BackupSite, job_argv, own

# Readable only in the repository if the cipher did not work.
MARKER = "devstats-plain-text-marker"


def _settings(site: BackupSite) -> dict[str, str]:
    return {"stanza": NAME}


def _write_rows(site: BackupSite, first: int, count: int) -> None:
    site.sql(
        "insert into backup_rows (id, note) select i, %s || i from generate_series(%s, %s) as i",
        (MARKER, first, first + count - 1),
    )


def _backup(site: BackupSite, cron_job: str) -> None:
    """What the CronJob's Pod runs: its init container creates the stanza, its container backs up."""
    site.run(job_argv(site, site.rendered.init_command(cron_job)))
    site.run(job_argv(site, site.rendered.cron_command(cron_job)))


def _restore_into_empty_member(site: BackupSite, target: str, check: bool = True):
    """A new member's empty data directory restored as Patroni's restore bootstrap does it."""
    site.pg_ctl("stop", "-m", "fast", "-w")
    data = Path(site.pg.data_dir)
    for path in data.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    command = shlex.split(shlex.join(pgbackrest.restore_command(_settings(site), target)))
    return site.run(command, check=check)


def _start_promoted(site: BackupSite) -> None:
    """Starts the restored member and waits until recovery ended and it promoted."""
    site.pg_ctl("start", "-w", "-t", "120", "-l", str(site.root / "restored.log"))
    deadline = time.monotonic() + 60
    while site.sql("select pg_is_in_recovery()")[0][0]:
        assert time.monotonic() < deadline, f"the restored member did not promote\n{site.server_log()}"
        time.sleep(0.5)


def _info(site: BackupSite) -> dict:
    done = site.run(job_argv(site, pgbackrest.info_command(_settings(site))))
    return json.loads(done.stdout)[0]


def test_backups_and_point_in_time_restore(site: BackupSite) -> None:
    site.sql("create table backup_rows (id int primary key, note text)")
    _write_rows(site, 1, 100)
    _backup(site, f"{NAME}-backup-full")
    _write_rows(site, 101, 50)
    _backup(site, f"{NAME}-backup-diff")
    (target,) = site.sql("select to_char(clock_timestamp(), 'YYYY-MM-DD HH24:MI:SS.US+00')")[0]
    time.sleep(1.1)
    _write_rows(site, 151, 25)
    # The check archives the current segment and waits for it: every row is in the repository now.
    site.run(pgbackrest.check_command(_settings(site)))

    info = _info(site)
    assert [b["type"] for b in info["backup"]] == ["full", "diff"]
    assert info["cipher"] == "aes-256-cbc"
    if site.rendered.repo_type == "posix":
        files = [p for p in (site.root / "repo").rglob("*") if p.is_file()]
        assert files
        assert not [p for p in files if p.stat().st_mode & 0o007], "repository files readable by others"
        assert not [p for p in files if MARKER.encode() in p.read_bytes()], (
            "unencrypted data in the repository"
        )

    _restore_into_empty_member(site, target)
    _start_promoted(site)
    rows = [r[0] for r in site.sql("select id from backup_rows order by id")]
    assert rows == list(range(1, 151)), f"expected rows 1-150, got {len(rows)} rows up to {rows[-1:]}"
    # Writable on its new timeline, and archiving there again.
    _write_rows(site, 1001, 1)
    site.run(pgbackrest.check_command(_settings(site)))


@pytest.mark.parametrize("site", ["posix"], indirect=True)
def test_latest_restore_replays_every_archived_write(site: BackupSite) -> None:
    site.sql("create table backup_rows (id int primary key, note text)")
    _backup(site, f"{NAME}-backup-full")
    _write_rows(site, 1, 40)
    site.run(pgbackrest.check_command(_settings(site)))
    _restore_into_empty_member(site, "latest")
    _start_promoted(site)
    assert site.sql("select count(*) from backup_rows") == [(40,)]


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


def _corrupt(site: BackupSite) -> str:
    """Flips bytes in the middle of the biggest file of the backup; returns the file's name."""
    files = [
        p
        for p in (site.root / "repo" / "backup").rglob("*")
        if p.is_file() and "manifest" not in p.name and ".info" not in p.name
    ]
    victim = max(files, key=lambda p: p.stat().st_size)
    victim.write_bytes(_flip(victim.read_bytes()))
    return victim.name


# One repository type is enough here: what verify and restore read is the same through both drivers.
@pytest.mark.parametrize("site", ["posix"], indirect=True)
def test_corrupted_backup_is_reported_not_restored(site: BackupSite) -> None:
    site.sql("create table backup_rows (id int primary key, note text)")
    _write_rows(site, 1, 2000)
    _backup(site, f"{NAME}-backup-full")
    name = _corrupt(site)

    verify = site.run(job_argv(site, pgbackrest.verify_command(_settings(site))))
    findings = pgbackrest.verify_findings(verify.stdout + verify.stderr)
    assert any("invalid checksum" in f and name in f for f in findings), findings
    assert "status: error" in findings

    restore = _restore_into_empty_member(site, "latest", check=False)
    assert restore.returncode != 0
    # pg_control is written last: PostgreSQL refuses a half-restored data directory.
    assert not (Path(site.pg.data_dir) / "global" / "pg_control").exists()


@pytest.mark.parametrize("site", ["posix"], indirect=True)
def test_logical_dumps_are_private_complete_and_rotated(site: BackupSite) -> None:
    pod = site.rendered.objects[("CronJob", f"{NAME}-dump")]["spec"]["jobTemplate"]["spec"]["template"][
        "spec"
    ]
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    databases = env["DUMP_DATABASES"].split()
    assert databases, "the dump CronJob names no database"
    for db in databases:
        site.sql(f"create database {db}")
    dumps = site.root / "dumps"
    dumps.mkdir()
    site.env |= {
        "DUMP_DATABASES": env["DUMP_DATABASES"],
        "DUMP_DIR": str(dumps),
        "PGHOST": "127.0.0.1",
        "PGPORT": str(site.pg.port),
        "PGUSER": "postgres",
    }
    own(dumps)
    for _ in range(3):
        site.run(container["command"])
        time.sleep(1.1)
    for db in databases:
        files = sorted((dumps / db).iterdir())
        # Retention 2 in the render: the oldest of three runs is gone, no partial file is left.
        assert len(files) == 2, files
        assert all(f.suffix == ".dump" and f.stat().st_mode & 0o077 == 0 for f in files), files
        listing = site.run(["pg_restore", "--list", str(files[-1])])
        assert "PostgreSQL database dump" not in listing.stderr
