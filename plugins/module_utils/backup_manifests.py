# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The Kubernetes side of a Patroni cluster's backups: what the members gain and the objects added.

``with_backups`` takes the patroni role's manifests and the checked backup settings
(``pgbackrest.check_settings``) and returns them with:

- every member running a pgBackRest TLS server beside Patroni (the backup jobs reach PostgreSQL's
  files through it), PostgreSQL's socket in a shared directory (pgBackRest talks to PostgreSQL only
  through it), the member configuration mounted at /etc/pgbackrest, and the repository credentials in
  the environment that ``archive_command`` and a restore inherit;
- ConfigMaps with the member and the job configuration, the repository volume (posix), a Job creating
  the stanza, CronJobs for full and differential backups (and, optional, a logical dump of every
  database to a volume of its own), NetworkPolicies (the TLS port only from the backup pods; the
  object store's port out), and the Secrets whose values the inventory gives.

Pure Python, no Ansible: unit-tested and used by the ``devstats.platform.patroni_backup_manifests``
filter.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from typing import Any, Optional

from . import pgbackrest
from .pod_hardening import restricted_pod_security

COMPONENT_LABEL = "app.kubernetes.io/component"
SOCKET_VOLUME = "pgsocket"
DUMP_MOUNT = "/dumps"
# What a job of the backup may take before Kubernetes stops it, and how long a missed one may start late.
JOB_DEADLINE_SECONDS = 6 * 3600
STARTING_DEADLINE_SECONDS = 3600


def names(settings: Mapping[str, Any]) -> dict[str, str]:
    """The objects of the backup, all prefixed with the cluster's name."""
    base = f"{settings['name']}-backup"
    return {
        "member_config": f"{base}-member",
        "job_config": f"{base}-job",
        "repo": f"{base}-repo",
        "tls": f"{base}-tls",
        "cipher": f"{base}-cipher",
        "s3": settings.get("s3_credentials_secret") or f"{base}-s3",
        "stanza": f"{base}-stanza",
        "full": f"{base}-full",
        "diff": f"{base}-diff",
        "dump": f"{settings['name']}-dump",
        "dumps": f"{settings['name']}-dumps",
        "policy": base,
    }


def member_hosts(settings: Mapping[str, Any]) -> list[str]:
    """Each member's stable DNS name (through the headless members Service), in ordinal order."""
    return [
        f"{settings['name']}-{index}.{settings['name']}-members.{settings['namespace']}.svc"
        for index in range(int(settings["replicas"]))
    ]


def _labels(settings: Mapping[str, Any], component: str) -> dict[str, str]:
    return {
        **settings["common_labels"],
        "app.kubernetes.io/name": "patroni-backup",
        COMPONENT_LABEL: component,
    }


def _metadata(settings: Mapping[str, Any], name: str, component: str = "backup") -> dict[str, Any]:
    return {"name": name, "namespace": settings["namespace"], "labels": _labels(settings, component)}


def _secret_env(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The repository's secrets as pgBackRest's environment variables, by Secret reference only."""
    n = names(settings)
    env = [
        {
            "name": "PGBACKREST_REPO1_CIPHER_PASS",
            "valueFrom": {"secretKeyRef": {"name": n["cipher"], "key": "passphrase"}},
        }
    ]
    if settings["repo_type"] == "s3":
        env += [
            {
                "name": variable,
                "valueFrom": {"secretKeyRef": {"name": n["s3"], "key": key}},
            }
            for variable, key in pgbackrest.SECRET_ENV.items()
            if key != "passphrase"
        ]
    return env


def _superuser_env(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    secret = settings["superuser_secret"]
    return [
        {"name": "PGUSER", "valueFrom": {"secretKeyRef": {"name": secret, "key": "username"}}},
        {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}},
    ]


def _hardened_container(settings: Mapping[str, Any], name: str, command: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "image": settings["image"],
        "imagePullPolicy": settings["image_pull_policy"],
        "command": command,
        "resources": copy.deepcopy(settings["resources"]),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def _pod_security(settings: Mapping[str, Any]) -> dict[str, Any]:
    return restricted_pod_security(int(settings["run_as_user"]))


def _repo_volume(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    if settings["repo_type"] != "posix":
        return []
    return [{"name": "pgbackrest-repo", "persistentVolumeClaim": {"claimName": names(settings)["repo"]}}]


def _repo_mount(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    if settings["repo_type"] != "posix":
        return []
    return [{"name": "pgbackrest-repo", "mountPath": pgbackrest.POSIX_REPO_MOUNT}]


def _tls_volume(settings: Mapping[str, Any], side: str) -> dict[str, Any]:
    return {
        "name": "pgbackrest-tls",
        "secret": {
            "secretName": names(settings)["tls"],
            # Readable by the members' group (fsGroup) only: private keys.
            "defaultMode": 0o440,
            "items": [{"key": key, "path": key} for key in ("ca.crt", f"{side}.crt", f"{side}.key")],
        },
    }


def _config_mounts() -> list[dict[str, Any]]:
    return [
        {"name": "pgbackrest-config", "mountPath": pgbackrest.CONFIG_DIR, "readOnly": True},
        {"name": "pgbackrest-tls", "mountPath": pgbackrest.TLS_DIR, "readOnly": True},
    ]


def _sidecar(settings: Mapping[str, Any], data_mount: dict[str, Any]) -> dict[str, Any]:
    container = _hardened_container(
        settings,
        "pgbackrest",
        ["pgbackrest", f"--config={pgbackrest.CONFIG_DIR}/pgbackrest.conf", "server"],
    )
    container.update(
        {
            "ports": [{"name": "pgbackrest", "containerPort": int(settings["tls_port"]), "protocol": "TCP"}],
            "env": _superuser_env(settings),
            "readinessProbe": {
                "tcpSocket": {"port": int(settings["tls_port"])},
                "periodSeconds": 10,
            },
            "volumeMounts": [
                data_mount,
                {"name": SOCKET_VOLUME, "mountPath": settings["socket_dir"]},
                *_config_mounts(),
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
    )
    return container


def amend_statefulset(statefulset: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The StatefulSet with the pgBackRest TLS server, the shared socket, configuration and secrets."""
    out = copy.deepcopy(statefulset)
    pod = out["spec"]["template"]["spec"]
    patroni = pod["containers"][0]
    data_mount = next(m for m in patroni["volumeMounts"] if m["name"] == "pgdata")
    patroni["env"] = [*patroni.get("env", []), *_secret_env(settings)]
    patroni["volumeMounts"] = [
        *patroni["volumeMounts"],
        {"name": SOCKET_VOLUME, "mountPath": settings["socket_dir"]},
        {"name": "pgbackrest-config", "mountPath": pgbackrest.CONFIG_DIR, "readOnly": True},
        *_repo_mount(settings),
    ]
    pod["containers"] = [patroni, _sidecar(settings, data_mount), *pod["containers"][1:]]
    pod["volumes"] = [
        *pod.get("volumes", []),
        {"name": SOCKET_VOLUME, "emptyDir": {}},
        {"name": "pgbackrest-config", "configMap": {"name": names(settings)["member_config"]}},
        _tls_volume(settings, "server"),
        *_repo_volume(settings),
    ]
    return out


def _config_map(settings: Mapping[str, Any], name: str, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(settings, name),
        "data": {"pgbackrest.conf": pgbackrest.config_text(settings, role)},
    }


def _claim(settings: Mapping[str, Any], name: str, size: str, access_modes: list[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": list(access_modes), "resources": {"requests": {"storage": size}}}
    if settings.get("storage_class"):
        spec["storageClassName"] = settings["storage_class"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(settings, name),
        "spec": spec,
    }


def _job_pod(settings: Mapping[str, Any], steps: list[tuple[str, list[str]]]) -> dict[str, Any]:
    """A hardened backup pod running the named commands in order (all but the last as init containers)."""
    mounts = [*_config_mounts(), {"name": "tmp", "mountPath": "/tmp"}, *_repo_mount(settings)]
    env = _secret_env(settings)
    containers = []
    for name, command in steps:
        container = _hardened_container(settings, name, command)
        container.update({"env": env, "volumeMounts": mounts})
        containers.append(container)
    return {
        "metadata": {"labels": _labels(settings, "backup")},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": _pod_security(settings),
            "initContainers": containers[:-1],
            "containers": containers[-1:],
            "volumes": [
                {"name": "pgbackrest-config", "configMap": {"name": names(settings)["job_config"]}},
                _tls_volume(settings, "client"),
                {"name": "tmp", "emptyDir": {}},
                *_repo_volume(settings),
            ],
        },
    }


def _job_spec(template: dict[str, Any]) -> dict[str, Any]:
    return {"backoffLimit": 1, "activeDeadlineSeconds": JOB_DEADLINE_SECONDS, "template": template}


def _cron_job(
    settings: Mapping[str, Any], name: str, schedule: str, template: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(settings, name),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": STARTING_DEADLINE_SECONDS,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"metadata": {"labels": _labels(settings, "backup")}, "spec": _job_spec(template)},
        },
    }


def dump_script(settings: Mapping[str, Any]) -> str:
    """Dumps each database into <dir>/<db>/<db>-<UTC time>.dump, keeps the newest `dump_retention`.

    A dump is written under a temporary name and renamed when complete, so a failed run never leaves
    a truncated file that looks finished; umask 077 keeps the files private to the members' user.
    """
    keep = int(settings["dump_retention"])
    return (
        "\n".join(
            [
                "set -eu",
                "umask 077",
                'directory="${DUMP_DIR:-' + DUMP_MOUNT + '}"',
                "stamp=$(date -u +%Y%m%dT%H%M%SZ)",
                "for db in $DUMP_DATABASES; do",
                '  mkdir -p "$directory/$db"',
                '  pg_dump --format=custom --dbname="$db" --file="$directory/$db/$db-$stamp.dump.partial"',
                '  mv "$directory/$db/$db-$stamp.dump.partial" "$directory/$db/$db-$stamp.dump"',
                '  ls -1 "$directory/$db" | grep -E "^$db-[0-9TZ]+\\.dump$" | sort -r \\',
                f"    | tail -n +{keep + 1} \\",
                '    | while read -r old; do rm -f "$directory/$db/$old"; done',
                '  echo "dumped $db to $directory/$db/$db-$stamp.dump"',
                "done",
            ]
        )
        + "\n"
    )


def _dump_objects(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    n = names(settings)
    # The replicas serve the dump when there are any, so it does not load the leader.
    host = f"{settings['name']}-ro" if int(settings["replicas"]) > 1 else settings["name"]
    container = _hardened_container(settings, "dump", ["/bin/sh", "-c", dump_script(settings)])
    container.update(
        {
            "env": [
                {"name": "PGHOST", "value": host},
                {"name": "PGPORT", "value": str(settings["pg_port"])},
                *_superuser_env(settings),
                {"name": "DUMP_DATABASES", "value": " ".join(settings["databases"])},
            ],
            "volumeMounts": [
                {"name": "dumps", "mountPath": DUMP_MOUNT},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
    )
    template = {
        "metadata": {"labels": _labels(settings, "dump")},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": _pod_security(settings),
            "containers": [container],
            "volumes": [
                {"name": "dumps", "persistentVolumeClaim": {"claimName": n["dumps"]}},
                {"name": "tmp", "emptyDir": {}},
            ],
        },
    }
    return [
        _claim(settings, n["dumps"], settings["dump_storage_size"], ["ReadWriteOnce"]),
        _cron_job(settings, n["dump"], settings["dump_schedule"], template),
    ]


def _network_policies(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    members = {"matchLabels": dict(settings["member_labels"])}
    backup_pods = {"matchLabels": {"app.kubernetes.io/name": "patroni-backup", COMPONENT_LABEL: "backup"}}
    policies: list[dict[str, Any]] = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _metadata(settings, names(settings)["policy"] + "-tls"),
            "spec": {
                "podSelector": members,
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "ports": [{"port": int(settings["tls_port"]), "protocol": "TCP"}],
                        "from": [{"podSelector": backup_pods}],
                    }
                ],
            },
        }
    ]
    if settings["repo_type"] == "s3":
        policies.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": _metadata(settings, names(settings)["policy"] + "-storage"),
                "spec": {
                    "podSelector": {
                        "matchExpressions": [
                            {
                                "key": "app.kubernetes.io/name",
                                "operator": "In",
                                "values": ["patroni", "patroni-backup"],
                            }
                        ]
                    },
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "ports": [{"port": int(settings["s3_port"]), "protocol": "TCP"}],
                            "to": [{"ipBlock": {"cidr": cidr}} for cidr in settings["egress_cidrs"]],
                        }
                    ],
                },
            }
        )
    return policies


def _secret(settings: Mapping[str, Any], name: str, data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": _metadata(settings, name, "credentials"),
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    }


def secrets(settings: Mapping[str, Any], values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The Secrets whose values are given: the cipher passphrase, the S3 key pair."""
    n = names(settings)
    out = []
    if values.get("passphrase"):
        out.append(_secret(settings, n["cipher"], {"passphrase": values["passphrase"]}))
    if settings["repo_type"] == "s3" and values.get("key") and values.get("key-secret"):
        out.append(_secret(settings, n["s3"], {"key": values["key"], "key-secret": values["key-secret"]}))
    return out


def backup_objects(
    settings: Mapping[str, Any], values: Optional[Mapping[str, str]] = None
) -> list[dict[str, Any]]:
    n = names(settings)
    objects = [
        *secrets(settings, values or {}),
        _config_map(settings, n["member_config"], "member"),
        _config_map(settings, n["job_config"], "backup"),
    ]
    if settings["repo_type"] == "posix":
        objects.append(_claim(settings, n["repo"], settings["storage_size"], settings["access_modes"]))
    stanza = _job_pod(
        settings,
        [
            ("stanza-create", pgbackrest.stanza_create_command(settings)),
            ("check", pgbackrest.check_command(settings)),
        ],
    )
    objects.append(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _metadata(settings, n["stanza"]),
            "spec": _job_spec(stanza),
        }
    )
    for backup_type in ("full", "diff"):
        template = _job_pod(
            settings,
            [
                ("stanza-create", pgbackrest.stanza_create_command(settings)),
                ("backup", pgbackrest.backup_command(settings, backup_type)),
            ],
        )
        objects.append(_cron_job(settings, n[backup_type], settings[f"{backup_type}_schedule"], template))
    if settings.get("dump_enabled"):
        objects += _dump_objects(settings)
    return objects + _network_policies(settings)


def verify_job(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A Job reading every file of the repository (pgBackRest verify) and listing the backups (info)."""
    template = _job_pod(
        {**settings, "member_hosts": member_hosts(settings)},
        [("verify", pgbackrest.verify_command(settings)), ("info", pgbackrest.info_command(settings))],
    )
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(settings, f"{settings['name']}-backup-verify"),
        "spec": {**_job_spec(template), "backoffLimit": 0},
    }


def with_backups(
    manifests: list[dict[str, Any]], settings: Mapping[str, Any], values: Optional[Mapping[str, str]] = None
) -> list[dict[str, Any]]:
    """The patroni role's manifests with the members amended and the backup objects appended."""
    settings = {**settings, "member_hosts": member_hosts(settings)}
    out = [
        amend_statefulset(m, settings) if m.get("kind") == "StatefulSet" else copy.deepcopy(m)
        for m in manifests
    ]
    return out + backup_objects(settings, values)
