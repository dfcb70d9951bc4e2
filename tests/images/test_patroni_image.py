"""The Patroni image as the StatefulSet runs it: Patroni as PID 1 of a non-root container with a read-only
root filesystem, its Kubernetes DCS (ConfigMaps, as the patroni role configures it) on the real
kube-apiserver the HA tier uses, PostgreSQL with the hll extension, and pgBackRest."""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml

from tests.support.ansible_playbook import VERSIONS
from tests.support.container_images import Podman, container, logs, wait_for
from tests.support.kube_apiserver import ControlPlane, free_port, running_control_plane
from tests.support.node_containers import REPO_ROOT, podman

NAMESPACE = "devstats-images"
ROLE_VARS = yaml.safe_load((REPO_ROOT / "roles" / "patroni" / "vars" / "main.yml").read_text())
ROLE_DEFAULTS = yaml.safe_load((REPO_ROOT / "roles" / "patroni" / "defaults" / "main.yml").read_text())
RUN_AS = ROLE_DEFAULTS["patroni_run_as_user"]
DATA_MOUNT = ROLE_VARS["patroni_data_mount"]
CONFIG_DIR = ROLE_VARS["patroni_config_dir"]
SUPERUSER_PASSWORD = "images-tier-superuser"
LABELS = {"application": "patroni", "cluster-name": "images"}


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    with running_control_plane(tmp_path_factory.mktemp("kube")) as plane:
        plane.create_namespace(NAMESPACE)
        yield plane


def _embedded_kubeconfig(plane: ControlPlane, path: Path) -> str:
    """Writes the admin kubeconfig with its files embedded, readable inside the container; its context."""

    def data(file: Path) -> str:
        return base64.b64encode(file.read_bytes()).decode()

    config = yaml.safe_load(plane.kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    cluster["certificate-authority-data"] = data(Path(cluster.pop("certificate-authority")))
    user = config["users"][0]["user"]
    user["client-certificate-data"] = data(Path(user.pop("client-certificate")))
    user["client-key-data"] = data(Path(user.pop("client-key")))
    path.write_text(yaml.safe_dump(config))
    return str(config["current-context"])


def _create(plane: ControlPlane, path: str, body: dict[str, Any]) -> None:
    status, answer = plane.request("POST", path, body)
    assert status == 201, f"POST {path}: HTTP {status}: {answer[:300]!r}"


def _patroni_yml(scope: str) -> dict[str, Any]:
    """The shape of the patroni role's patroni.yml (templates/patroni.yml.j2), with small settings."""
    return {
        "scope": scope,
        "kubernetes": {
            "use_endpoints": False,
            "labels": LABELS,
            "role_label": "role",
            "leader_label_value": "primary",
            "follower_label_value": "replica",
        },
        "bootstrap": {
            "dcs": {
                "ttl": 20,
                "loop_wait": 3,
                "retry_timeout": 5,
                "postgresql": {"parameters": {"max_connections": 20, "shared_buffers": "16MB"}},
            },
            "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
        },
        "postgresql": {
            "bin_dir": f"/usr/lib/postgresql/{VERSIONS['versions_postgresql_major']}/bin",
            "parameters": {"unix_socket_directories": ""},
            "pg_hba": [
                "host all all 127.0.0.1/32 scram-sha-256",
                "host replication replicator 127.0.0.1/32 scram-sha-256",
            ],
        },
    }


def _pod_role(plane: ControlPlane, pod: str) -> str | None:
    status, body = plane.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}")
    return yaml.safe_load(body)["metadata"].get("labels", {}).get("role") if status == 200 else None


def _health(port: int) -> tuple[int, dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as response:
            return int(response.status), dict(json.load(response))
    except urllib.error.HTTPError as error:
        return int(error.code), dict(json.load(error))
    except (OSError, ValueError):
        return None


def test_patroni_runs_postgresql_with_hll_and_pgbackrest(
    podman_run: Podman, patroni_image: str, control_plane: ControlPlane, tmp_path: Path
) -> None:
    member = podman_run.name("patroni-0")
    _create(
        control_plane, f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts", {"metadata": {"name": "default"}}
    )
    # The Pod object a StatefulSet would create: Patroni labels it with its role.
    pod = {
        "metadata": {"name": member, "labels": LABELS},
        "spec": {
            "automountServiceAccountToken": False,
            "containers": [{"name": "patroni", "image": VERSIONS["versions_patroni_image"]}],
        },
    }
    _create(control_plane, f"/api/v1/namespaces/{NAMESPACE}/pods", pod)
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "patroni.yml").write_text(yaml.safe_dump(_patroni_yml(podman_run.run)))
    kube_context = _embedded_kubeconfig(control_plane, settings / "kubeconfig")
    data = tmp_path / "pgdata"
    data.mkdir()
    for path in (settings, settings / "patroni.yml", settings / "kubeconfig", data):
        os.chown(path, RUN_AS, RUN_AS)
    pg_port, api_port = free_port(), free_port()
    environment = {
        "PATRONI_NAME": member,
        "PATRONI_KUBERNETES_NAMESPACE": NAMESPACE,
        "PATRONI_POSTGRESQL_LISTEN": f"127.0.0.1:{pg_port}",
        "PATRONI_POSTGRESQL_CONNECT_ADDRESS": f"127.0.0.1:{pg_port}",
        "PATRONI_RESTAPI_LISTEN": f"127.0.0.1:{api_port}",
        "PATRONI_RESTAPI_CONNECT_ADDRESS": f"127.0.0.1:{api_port}",
        "PATRONI_POSTGRESQL_DATA_DIR": ROLE_VARS["patroni_data_dir"].replace(
            "{{ patroni_data_mount }}", DATA_MOUNT
        ),
        "PATRONI_POSTGRESQL_PGPASS": "/tmp/pgpass",
        "PATRONI_SUPERUSER_USERNAME": "postgres",
        "PATRONI_SUPERUSER_PASSWORD": SUPERUSER_PASSWORD,
        "PATRONI_REPLICATION_USERNAME": "replicator",
        "PATRONI_REPLICATION_PASSWORD": "images-tier-replication",
        # What the ServiceAccount token mount gives a real Pod.
        "KUBECONFIG": f"{CONFIG_DIR}/kubeconfig",
        "PATRONI_KUBERNETES_CONTEXT": kube_context,
    }
    with container(
        podman_run,
        "patroni-0",
        "--network=host",
        "--read-only",
        f"--user={RUN_AS}:{RUN_AS}",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        "--tmpfs=/tmp:rw,mode=1777",
        "--tmpfs=/dev/shm:rw,mode=1777",
        f"--volume={data}:{DATA_MOUNT}",
        f"--volume={settings}:{CONFIG_DIR}:ro",
        *(f"--env={key}={value}" for key, value in environment.items()),
        patroni_image,
    ) as name:
        try:
            wait_for(lambda: (_health(api_port) or (0, {}))[0] == 200, 180, "Patroni's /health is not 200")
        except TimeoutError as error:
            raise AssertionError(f"{error}\n{logs(podman_run, name)}") from error
        _status, health = _health(api_port) or (0, {})
        assert health["state"] == "running" and health["role"] == "primary", health

        conn = psycopg2.connect(
            host="127.0.0.1", port=pg_port, user="postgres", password=SUPERUSER_PASSWORD, dbname="postgres"
        )
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("create extension hll")
            cur.execute(
                "select round(hll_cardinality(hll_add_agg(hll_hash_integer(n))))"
                " from generate_series(1, 1000) n"
            )
            (estimate,) = cur.fetchone()
            cur.execute("show server_version_num")
            (version,) = cur.fetchone()
        conn.close()
        assert 950 <= estimate <= 1050, estimate
        assert version.startswith(VERSIONS["versions_postgresql_major"])

        # Patroni labelled its Pod as the role-label Services select.
        wait_for(lambda: _pod_role(control_plane, member) == "primary", 60, "the Pod is not labelled primary")

        backrest = podman(podman_run.env, "exec", name, "pgbackrest", "version")
        assert backrest.stdout.startswith("pgBackRest 2."), backrest.stdout + backrest.stderr
        patroni = podman(podman_run.env, "exec", name, "patroni", "--version")
        assert patroni.stdout.strip() == f"patroni {VERSIONS['versions_patroni']}"
