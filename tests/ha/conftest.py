"""The HA tier's cluster: a real control plane, the patroni role applied to it, three real members."""

from __future__ import annotations

import base64
import json
import random
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.ansible_playbook import PlaybookRun, run_playbook
from tests.support.kube_apiserver import ADMIN_CONTEXT, ControlPlane, running_control_plane
from tests.support.patroni_members import Member

FOUNDATION = "hatest"
NAMESPACE = "devstats-hatest"
NAME = "devstats-postgres"
REPLICAS = 3
# Short timings so a failover fits the tier's time budget: loop_wait + 2 * retry_timeout <= ttl.
INVENTORY_VARS: dict[str, Any] = {
    "devstats_domain": "hatest.example.org",
    "devstats_namespace": NAMESPACE,
    "devstats_projects": [
        {"name": "demo-project", "orgs": ["demo"], "start_date": "2020-01-01"},
        {"name": "other", "db": "gha_other", "repos": ["demo/other"], "start_date": "2021-01-01"},
    ],
    "patroni_replicas": REPLICAS,
    "patroni_synchronous_mode": True,
    "patroni_ttl": 15,
    "patroni_loop_wait": 3,
    "patroni_retry_timeout": 5,
    "patroni_wait_timeout": 90,
    # Kubernetes 1.20 serves no policy/v1.
    "patroni_pod_disruption_budget": False,
    "patroni_postgresql_parameters": {
        "max_connections": 50,
        "shared_buffers": "32MB",
        "work_mem": "4MB",
        "wal_level": "replica",
        "wal_log_hints": "on",
        "hot_standby": "on",
        "max_wal_senders": 10,
        "max_replication_slots": 10,
        "synchronous_commit": "on",
        "password_encryption": "scram-sha-256",
        "fsync": "off",
    },
}


@dataclass
class HaCluster:
    plane: ControlPlane
    inventory: Path
    members: dict[str, Member]
    # The first run of the patroni playbook, before any member runs.
    first_apply: PlaybookRun | None = None

    def get(self, path: str) -> dict[str, Any]:
        status, body = self.plane.request("GET", path)
        assert status == 200, f"GET {path}: HTTP {status}: {body[:300]!r}"
        return dict(yaml.safe_load(body))

    def secret(self, name: str, key: str) -> str:
        data = self.get(f"/api/v1/namespaces/{NAMESPACE}/secrets/{name}")["data"]
        return base64.b64decode(data[key]).decode()

    def config_map(self, name: str) -> dict[str, str]:
        return dict(self.get(f"/api/v1/namespaces/{NAMESPACE}/configmaps/{name}")["data"])

    def pod(self, name: str) -> dict[str, Any]:
        return self.get(f"/api/v1/namespaces/{NAMESPACE}/pods/{name}")

    def patroni(self, member: str, path: str = "/patroni", timeout: float = 3) -> dict[str, Any] | None:
        """A member's REST API answer (any HTTP status), or None when it does not answer."""
        url = f"http://{self.members[member].ip}:8008{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return dict(json.load(response))
        except urllib.error.HTTPError as error:
            return dict(json.load(error))
        except (OSError, ValueError):
            return None

    def cluster_view(self) -> list[dict[str, Any]]:
        """Patroni's /cluster from the first member that answers."""
        for name, member in self.members.items():
            if member.running():
                view = self.patroni(name, "/cluster")
                if view and "members" in view:
                    return list(view["members"])
        return []

    def leader(self) -> str | None:
        leaders = [m["name"] for m in self.cluster_view() if m["role"] == "leader"]
        return leaders[0] if len(leaders) == 1 else None

    def wait_healthy(self, timeout: float = 90) -> tuple[str, list[dict[str, Any]]]:
        """Waits for one leader, every other member streaming, one of them synchronous.

        Returns (leader, members)."""
        deadline = time.monotonic() + timeout
        view: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            stopped = [name for name, member in self.members.items() if not member.running()]
            assert not stopped, f"members exited: {stopped}\n{self.logs()}"
            view = self.cluster_view()
            leaders = [m for m in view if m["role"] == "leader" and m["state"] == "running"]
            streaming = [m for m in view if m["role"] != "leader" and m["state"] == "streaming"]
            synchronous = [m for m in streaming if m["role"] == "sync_standby"]
            if len(leaders) == 1 and len(streaming) == REPLICAS - 1 and synchronous:
                return leaders[0]["name"], view
            time.sleep(1)
        raise AssertionError(f"cluster not healthy after {timeout} s: {view}\n{self.logs()}")

    def ready(self, member: str) -> bool:
        """What the StatefulSet's readiness probe asks: Patroni's /readiness answers 200."""
        try:
            with urllib.request.urlopen(
                f"http://{self.members[member].ip}:8008/readiness", timeout=2
            ) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def primary_ip(self) -> str | None:
        """Where the read-write Service sends clients: the ready Pod labelled role=primary by Patroni.

        Without a kubelet the Pods have no IP in their status, so the selected Pod is mapped to the
        address its member runs on, and readiness is probed here as the kubelet would.
        """
        selector = urllib.parse.quote(f"application=patroni,cluster-name={NAME},role=primary")
        pods = self.get(f"/api/v1/namespaces/{NAMESPACE}/pods?labelSelector={selector}").get("items") or []
        ready = [p["metadata"]["name"] for p in pods if self.ready(p["metadata"]["name"])]
        return self.members[ready[0]].ip if len(ready) == 1 else None

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{m.tail()}" for name, m in self.members.items())

    def playbook(self, *extra: str) -> PlaybookRun:
        """The patroni playbook on this cluster's inventory; it must succeed."""
        run = run_playbook("playbooks/patroni.yml", "-i", str(self.inventory), *extra)
        assert run.returncode == 0, f"ansible-playbook failed:\n{run.output[-6000:]}"
        return run


def write_inventory(directory: Path, kubeconfig: Path) -> Path:
    (directory / "group_vars" / "all").mkdir(parents=True)
    (directory / "host_vars").mkdir()
    (directory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "devstats_foundations": {
                    "hosts": {
                        FOUNDATION: {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        }
                    }
                }
            }
        )
    )
    (directory / "group_vars" / "all" / "platform.yml").write_text(
        yaml.safe_dump(
            {
                "platform_target": "kubeconfig",
                "platform_kubeconfig": str(kubeconfig),
                "platform_kubeconfig_context": ADMIN_CONTEXT,
                "platform_letsencrypt_email": "ha@example.org",
            }
        )
    )
    (directory / "host_vars" / f"{FOUNDATION}.yml").write_text(yaml.safe_dump(INVENTORY_VARS))
    return directory


def wait_for_pods(plane: ControlPlane, timeout: float = 60) -> list[dict[str, Any]]:
    """The StatefulSet controller creates the Pods; they stay Pending (there is no kubelet)."""
    deadline = time.monotonic() + timeout
    names = [f"{NAME}-{i}" for i in range(REPLICAS)]
    while True:
        status, body = plane.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")
        pods = (
            {p["metadata"]["name"]: p for p in (yaml.safe_load(body).get("items") or [])}
            if status == 200
            else {}
        )
        if all(n in pods for n in names):
            return [pods[n] for n in names]
        if time.monotonic() > deadline:
            raise AssertionError(f"StatefulSet created only {sorted(pods)} after {timeout} s")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def ha_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HaCluster]:
    work = tmp_path_factory.mktemp("ha")
    # The members run as the postgres user: their directories live where that user can reach them.
    members_root = Path(tempfile.mkdtemp(prefix="devstats-ha-members-"))
    members_root.chmod(0o755)
    members: dict[str, Member] = {}
    try:
        with running_control_plane(work / "kube", controller_manager=True) as plane:
            inventory = write_inventory(work / "inventory", plane.kubeconfig)
            cluster = HaCluster(plane, inventory, members)
            cluster.first_apply = cluster.playbook()
            pods = wait_for_pods(plane)
            statefulset = cluster.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets/{NAME}")
            spec = statefulset["spec"]["template"]["spec"]
            token = plane.service_account_token(NAMESPACE, spec["serviceAccountName"])
            # A loopback /24 of its own, so parallel runs on the machine do not collide on ports.
            prefix = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}"
            for index, pod in enumerate(pods):
                root = members_root / pod["metadata"]["name"]
                root.mkdir()
                kubeconfig = plane.write_token_kubeconfig(root / "kubeconfig", token)
                member = Member(
                    pod=pod,
                    container=spec["containers"][0],
                    volumes=spec.get("volumes") or [],
                    ip=f"{prefix}.{index + 2}",
                    root=root,
                    kubeconfig=kubeconfig,
                    secret=cluster.secret,
                    config_map=cluster.config_map,
                )
                members[member.name] = member
            try:
                for member in members.values():
                    member.start()
                yield cluster
            finally:
                # Before the control plane goes, so no member lingers on a vanished API server.
                for member in members.values():
                    member.kill()
    finally:
        shutil.rmtree(members_root, ignore_errors=True)
