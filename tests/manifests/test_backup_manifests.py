"""The backup objects of the patroni role as rendered for the example inventories that enable backups:
hardened pods, private Secrets, Forbid concurrency, the members' TLS server; the schema validation of
test_render covers them with every other object."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.support.ansible_playbook import VERSIONS, render

SUPPORTED = (
    VERSIONS["versions_kubernetes_oldest_supported"],
    VERSIONS["versions_kubernetes_newest_supported"],
)


def _objects(directory: Path) -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) for p in sorted(directory.glob("patroni.*.yaml"))]


def _pods(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    pods = []
    for manifest in objects:
        spec = manifest.get("spec", {})
        if manifest["kind"] == "CronJob":
            pods.append((manifest["metadata"]["name"], spec["jobTemplate"]["spec"]["template"]["spec"]))
        elif manifest["kind"] in ("Job", "StatefulSet"):
            pods.append((manifest["metadata"]["name"], spec["template"]["spec"]))
    return pods


@pytest.mark.parametrize("inventory", ["baremetal_example", "multi_foundation_example"])
def test_backup_pods_are_hardened(inventory: str, rendered: dict[str, Path]) -> None:
    objects = _objects(rendered[inventory] / "cncf")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert {
        ("CronJob", "devstats-postgres-backup-full"),
        ("CronJob", "devstats-postgres-backup-diff"),
    } <= kinds
    for name, pod in _pods(objects):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        if "backup" in name or "dump" in name:
            assert pod["automountServiceAccountToken"] is False, name
        for container in pod.get("initContainers", []) + pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])
            assert container["resources"]["limits"]["memory"], (name, container["name"])
            # Secrets by reference only.
            for variable in container.get("env", []):
                secret = variable["name"].endswith(("PASSWORD", "_PASS", "_KEY", "_KEY_SECRET"))
                assert "value" not in variable or not secret, (name, variable)
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["defaultMode"] & 0o007 == 0, (name, volume)
    for cron_job in (o for o in objects if o["kind"] == "CronJob"):
        assert cron_job["spec"]["concurrencyPolicy"] == "Forbid"


def test_members_run_the_tls_server_and_archive(rendered: dict[str, Path]) -> None:
    objects = _objects(rendered["multi_foundation_example"] / "cncf")
    (statefulset,) = [o for o in objects if o["kind"] == "StatefulSet"]
    containers = {c["name"]: c for c in statefulset["spec"]["template"]["spec"]["containers"]}
    assert containers["pgbackrest"]["command"][-1] == "server"
    assert {
        "name": "PGBACKREST_REPO1_S3_KEY",
        "valueFrom": {"secretKeyRef": {"name": "devstats-postgres-backup-s3", "key": "key"}},
    } in containers["patroni"]["env"]
    (policy,) = [o for o in objects if o["metadata"]["name"] == "devstats-postgres-backup-tls"]
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": 8432, "protocol": "TCP"}]
    settings = yaml.safe_load(
        next(o for o in objects if o["metadata"]["name"] == "devstats-postgres-settings")["data"][
            "patroni.yml"
        ]
    )
    assert settings["bootstrap"]["dcs"]["postgresql"]["parameters"]["archive_mode"] == "on"
    assert settings["postgresql"]["parameters"]["unix_socket_directories"] == "/var/run/postgresql"
    assert "method" not in settings["bootstrap"]
    # No Secret is rendered without values from the inventory.
    assert not [o for o in objects if o["kind"] == "Secret"]


def test_backup_secrets_from_the_inventory_are_schema_valid_and_a_restore_bootstraps(tmp_path: Path) -> None:
    directory = tmp_path
    values = directory / "backup.yml"
    values.write_text(
        yaml.safe_dump(
            {
                "patroni_backup_cipher_passphrase": "pass-NEVERPRINTED3",
                "patroni_backup_s3_key": "AKIA-NEVERPRINTED4",
                "patroni_backup_s3_key_secret": "secret-NEVERPRINTED5",
                "patroni_backup_restore_target": "latest",
            }
        )
    )
    run = render("multi_foundation_example", directory, "-e", f"@{values}", "--limit", "localhost:cncf")
    assert "NEVERPRINTED" not in run.output
    objects = _objects(directory / "cncf")
    secrets = [o for o in objects if o["kind"] == "Secret"]
    assert sorted(s["metadata"]["name"] for s in secrets) == [
        "devstats-postgres-backup-cipher",
        "devstats-postgres-backup-s3",
    ]
    for secret in secrets:
        for version in SUPPORTED:
            assert kubernetes_validate.validate(secret, version, strict=True) == version
        assert set(secret) == {"apiVersion", "kind", "type", "metadata", "data"}
    settings = yaml.safe_load(
        next(o for o in objects if o["metadata"]["name"] == "devstats-postgres-settings")["data"][
            "patroni.yml"
        ]
    )
    assert settings["bootstrap"]["method"] == "pgbackrest"
    assert settings["bootstrap"]["pgbackrest"]["command"].endswith(" restore")
    assert settings["bootstrap"]["pgbackrest"]["keep_existing_recovery_conf"] is True
    # Patroni's own validator accepts it, with the environment a member's Pod gives it.
    config = tmp_path / "patroni.yml"
    config.write_text(yaml.safe_dump(settings))
    (tmp_path / "data").mkdir()
    pod_ip = "10.244.0.5"
    environment = {
        "PATRONI_NAME": "devstats-postgres-0",
        "PATRONI_KUBERNETES_NAMESPACE": "devstats-cncf",
        "PATRONI_POSTGRESQL_LISTEN": f"{pod_ip}:5432",
        "PATRONI_POSTGRESQL_CONNECT_ADDRESS": f"{pod_ip}:5432",
        "PATRONI_RESTAPI_LISTEN": f"{pod_ip}:8008",
        "PATRONI_RESTAPI_CONNECT_ADDRESS": f"{pod_ip}:8008",
        "PATRONI_POSTGRESQL_DATA_DIR": str(tmp_path / "data"),
        "PATRONI_SUPERUSER_USERNAME": "postgres",
        "PATRONI_SUPERUSER_PASSWORD": "x",
        "PATRONI_REPLICATION_USERNAME": "replicator",
        "PATRONI_REPLICATION_PASSWORD": "y",
        "PATH": os.environ["PATH"],
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "patroni"),
            "--validate-config",
            "--ignore-listen-port",
            str(config),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
