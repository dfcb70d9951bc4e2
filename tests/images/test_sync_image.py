"""The sync image as the CronJobs run it: non-root, read-only root filesystem, the volumes the pods mount,
the database from libpq's PG* environment, against a real PostgreSQL started here."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg2
import pytest
from devstats_sync.embedded_postgres import EmbeddedPostgres

from plugins.module_utils.project_manifests import (
    CACHE_DIR,
    DEFAULTS,
    GIT_DIR,
    INGEST_CRONJOB,
    render_workloads,
)
from plugins.module_utils.sync_workloads import CONFIG_DIR, SCRATCH_DIR
from tests.support.ansible_playbook import VERSIONS
from tests.support.container_images import Podman, run_container
from tests.support.inventory_models import WORKLOAD_OPTIONS as OPTIONS
from tests.support.inventory_models import foundation_model
from tests.support.node_containers import REPO_ROOT, podman

RUN_AS = DEFAULTS["run_as_user"]
HOUR = "2024-03-05T14"
NEXT_HOUR = "2024-03-05T15"
PROJECT_DB = "gha_imagetest"
ARCHIVE_DIR = "/archive"


@pytest.fixture(scope="module")
def database() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        conn = psycopg2.connect(server.dsn())
        conn.autocommit = True
        with conn.cursor() as cur:
            # The patroni role creates the project databases; the tool does not need --create-db.
            cur.execute(f"create database {PROJECT_DB}")
        conn.close()
        yield server


def _pod_like(podman_run: Podman, server: EmbeddedPostgres, *volumes: str) -> list[str]:
    """podman run options matching the rendered pods: user, read-only root, scratch, PG* environment."""
    return [
        "--network=host",
        "--read-only",
        f"--user={RUN_AS}:{RUN_AS}",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        f"--tmpfs={SCRATCH_DIR}:rw,size=256m,mode=1777",
        "--env=PGHOST=127.0.0.1",
        f"--env=PGPORT={server.port}",
        f"--env=PGUSER={server.user}",
        "--env=PGPASSWORD=not-checked-by-trust-auth",
        f"--env=HOME={SCRATCH_DIR}",
        f"--env=TMPDIR={SCRATCH_DIR}",
        f"--env=DEVSTATS_DATA_DIR={GIT_DIR}",
        *(f"--volume={volume}" for volume in volumes),
    ]


def _owned_directory(path: Path) -> Path:
    """A host directory the container's user may write, as an emptyDir or PVC with fsGroup is."""
    path.mkdir(parents=True)
    os.chown(path, RUN_AS, RUN_AS)
    return path


def test_image_user_and_pin(podman_run: Podman, sync_image: str) -> None:
    done = podman(podman_run.env, "image", "inspect", "--format", "{{.Config.User}}", sync_image)
    assert done.stdout.strip() == f"{RUN_AS}:{RUN_AS}"
    pinned = VERSIONS["versions_sync_image"]
    assert podman(podman_run.env, "image", "exists", pinned, check=False).returncode == 0
    # The tag is the sync tool's own version.
    version = re.search(r'^version = "(.+)"$', (REPO_ROOT / "sync_tool" / "pyproject.toml").read_text(), re.M)
    assert version and pinned.endswith(f":{version.group(1)}")


def test_help_on_a_read_only_root(podman_run: Podman, sync_image: str, database: EmbeddedPostgres) -> None:
    done = run_container(podman_run, "help", *_pod_like(podman_run, database), sync_image, "--help")
    assert done.returncode == 0, done.stderr
    assert "ingest" in done.stdout and "provision" in done.stdout


def test_the_compiled_copy_formatter_is_in_the_image(podman_run: Podman, sync_image: str) -> None:
    # Built in the Dockerfile's build stage; without it the hourly writes fall back to the slower
    # Python formatter, which nothing else would show.
    done = run_container(
        podman_run,
        "compiled",
        "--entrypoint=python3",
        sync_image,
        "-c",
        "from devstats_sync import copy_format; print(copy_format.COMPILED)",
    )
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr


def _rendered_ingest_args() -> list[str]:
    """The arguments of the foundation's ingest CronJob, as the devstats role renders it."""
    model = foundation_model([{"name": "imagetest", "db": PROJECT_DB, "orgs": ["imagetest"]}])
    (cronjob,) = [
        m for m in render_workloads(model, OPTIONS)["resources"] if m["metadata"]["name"] == INGEST_CRONJOB
    ]
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return container["args"]


def test_generated_hour_ingested_into_postgresql(
    podman_run: Podman, sync_image: str, database: EmbeddedPostgres, tmp_path: Path
) -> None:
    archive = _owned_directory(tmp_path / "archive")
    cache = _owned_directory(tmp_path / "cache")
    generated = run_container(
        podman_run,
        "generate",
        *_pod_like(podman_run, database, f"{archive}:{ARCHIVE_DIR}"),
        sync_image,
        *("generate", "--out", ARCHIVE_DIR, "--from", HOUR, "--to", NEXT_HOUR),
        *("--events", "400", "--repos", "imagetest/app", "--share", "0.25"),
    )
    assert generated.returncode == 0, generated.stderr
    (hour_file,) = archive.iterdir()
    assert hour_file.name == "2024-03-05-14.json.gz"

    config = tmp_path / "config"
    config.mkdir()
    (config / "projects.yaml").write_text(
        f"projects:\n  - name: imagetest\n    db: {PROJECT_DB}\n    orgs: [imagetest]\n"
        "    start_date: '2024-03-05 14'\n"
    )
    ingested = run_container(
        podman_run,
        "ingest",
        *_pod_like(
            podman_run,
            database,
            f"{config}:{CONFIG_DIR}:ro",
            f"{archive}:{ARCHIVE_DIR}:ro",
            f"{cache}:{CACHE_DIR}",
        ),
        sync_image,
        # The CronJob's own command, with the local archive instead of data.gharchive.org, and an end
        # hour so the run does not reach today.
        *_rendered_ingest_args(),
        *("--archive-url", ARCHIVE_DIR, "--to", NEXT_HOUR),
    )
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr

    conn = psycopg2.connect(database.dsn(PROJECT_DB))
    with conn, conn.cursor() as cur:
        cur.execute("select count(*), count(distinct repo_id) from gha_events")
        events, repos = cur.fetchone()
        cur.execute("select dt from gha_parsed")
        parsed = cur.fetchall()
        cur.execute("select distinct dup_repo_name from gha_events")
        names = {row[0] for row in cur.fetchall()}
    conn.close()
    # About a quarter of 400 events is the project's; only those arrive, and the hour is marked.
    assert 60 <= events <= 140, events
    assert names == {"imagetest/app"}
    assert repos == 1
    assert parsed == [(datetime(2024, 3, 5, 14),)]
