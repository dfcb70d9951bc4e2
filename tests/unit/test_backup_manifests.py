"""The backup objects and the members' amendments built by backup_manifests."""

from __future__ import annotations

import copy
from typing import Any

from plugins.module_utils import backup_manifests, pgbackrest
from tests.support.backup_settings import PGBACKREST_SETTINGS

SETTINGS: dict[str, Any] = {
    **PGBACKREST_SETTINGS,
    "replicas": 3,
    "image": "ghcr.io/devstats/patroni:4.1.5-pg15",
    "image_pull_policy": "IfNotPresent",
    "run_as_user": 999,
    "member_labels": {"application": "patroni", "cluster-name": "devstats-postgres"},
    "common_labels": {
        "app.kubernetes.io/managed-by": "devstats-platform",
        "app.kubernetes.io/part-of": "cncf",
    },
    "superuser_secret": "devstats-postgres-superuser",
    "databases": ["gha", "prometheus"],
    "access_modes": ["ReadWriteMany"],
    "storage_class": "",
    "egress_cidrs": ["0.0.0.0/0"],
    "resources": {"limits": {"memory": "1Gi"}},
    "dump_schedule": "45 2 * * *",
    "dump_storage_size": "50Gi",
    "dump_retention": 7,
}
STATEFULSET = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "devstats-postgres"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "patroni",
                        "env": [{"name": "POD_IP"}],
                        "volumeMounts": [{"name": "pgdata", "mountPath": "/home/postgres/pgdata"}],
                    }
                ],
                "volumes": [{"name": "tmp", "emptyDir": {}}],
            }
        }
    },
}


def _by(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def test_members_gain_the_tls_server_socket_configuration_and_secrets() -> None:
    original = copy.deepcopy(STATEFULSET)
    (statefulset,) = [
        o for o in backup_manifests.with_backups([STATEFULSET], SETTINGS) if o["kind"] == "StatefulSet"
    ]
    assert original == STATEFULSET, "the input was changed"
    pod = statefulset["spec"]["template"]["spec"]
    patroni, sidecar = pod["containers"]
    assert sidecar["name"] == "pgbackrest" and sidecar["command"][-1] == "server"
    assert {"name": "pgdata", "mountPath": "/home/postgres/pgdata"} in sidecar["volumeMounts"]
    assert {"name": "pgsocket", "mountPath": "/var/run/postgresql"} in patroni["volumeMounts"]
    assert [e["name"] for e in patroni["env"]] == ["POD_IP", "PGBACKREST_REPO1_CIPHER_PASS"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["pgbackrest-repo"]["persistentVolumeClaim"]["claimName"] == "devstats-postgres-backup-repo"
    assert [i["key"] for i in volumes["pgbackrest-tls"]["secret"]["items"]] == [
        "ca.crt",
        "server.crt",
        "server.key",
    ]


def test_posix_and_s3_objects() -> None:
    posix = _by(backup_manifests.with_backups([], SETTINGS))
    assert posix[("PersistentVolumeClaim", "devstats-postgres-backup-repo")]["spec"]["accessModes"] == [
        "ReadWriteMany"
    ]
    assert ("NetworkPolicy", "devstats-postgres-backup-storage") not in posix
    job_config = posix[("ConfigMap", "devstats-postgres-backup-job")]["data"]["pgbackrest.conf"]
    assert "pg3-host=devstats-postgres-2.devstats-postgres-members.devstats-cncf.svc" in job_config
    full = posix[("CronJob", "devstats-postgres-backup-full")]["spec"]
    pod = full["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["command"] == pgbackrest.stanza_create_command(SETTINGS)
    assert pod["containers"][0]["command"] == pgbackrest.backup_command(SETTINGS, "full")
    assert full["concurrencyPolicy"] == "Forbid"

    s3 = _by(backup_manifests.with_backups([], {**SETTINGS, "repo_type": "s3", "s3_bucket": "b"}))
    assert not [k for k in s3 if k[0] == "PersistentVolumeClaim"]
    egress = s3[("NetworkPolicy", "devstats-postgres-backup-storage")]["spec"]["egress"][0]
    assert egress["ports"] == [{"port": 443, "protocol": "TCP"}]
    env = s3[("CronJob", "devstats-postgres-backup-diff")]["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ][0]["env"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env} == {
        "devstats-postgres-backup-cipher",
        "devstats-postgres-backup-s3",
    }


def test_secrets_only_with_values_and_the_dump_cronjob() -> None:
    assert not [o for o in backup_manifests.with_backups([], SETTINGS) if o["kind"] == "Secret"]
    values = {"passphrase": "p", "key": "k", "key-secret": ""}
    (cipher,) = [o for o in backup_manifests.with_backups([], SETTINGS, values) if o["kind"] == "Secret"]
    assert cipher["data"] == {"passphrase": "cA=="}
    dump = _by(backup_manifests.with_backups([], {**SETTINGS, "dump_enabled": True}))
    container = dump[("CronJob", "devstats-postgres-dump")]["spec"]["jobTemplate"]["spec"]["template"][
        "spec"
    ]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PGHOST"] == "devstats-postgres-ro" and env["DUMP_DATABASES"] == "gha prometheus"
    assert "umask 077" in container["command"][-1]


def test_verify_job_reads_the_whole_repository() -> None:
    job = backup_manifests.verify_job(SETTINGS)
    pod = job["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["command"] == pgbackrest.verify_command(SETTINGS)
    assert job["spec"]["backoffLimit"] == 0
