# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The building blocks of the sync tool's workloads: hardened pods running one devstats-sync command,
the Jobs and CronJobs around them, and volume claims. Pure: dicts in, manifests out."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .k8s_ownership import recommended_labels
from .pod_hardening import placement

CONFIG_DIR = "/etc/devstats"
PROJECTS_FILE = f"{CONFIG_DIR}/projects.yaml"
SCRATCH_DIR = "/tmp"


@dataclass(frozen=True)
class Mount:
    """A volume of the pod and where the container sees it."""

    name: str
    path: str
    source: dict[str, Any]
    read_only: bool = False


def labels(opts: dict[str, Any], instance: str, component: str) -> dict[str, str]:
    """Every object and pod: the recommended labels, the role's pod labels, what and whose it is."""
    return {
        **recommended_labels(opts["foundation"]),
        **opts["pod_labels"],
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
    }


def metadata(opts: dict[str, Any], name: str, object_labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": opts["namespace"], "labels": dict(object_labels)}


def _secret_env(name: str, secret: str, key: str, *, optional: bool) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key, "optional": optional}}}


def pod_spec(
    opts: dict[str, Any],
    *,
    container: str,
    args: list[str],
    resources: dict[str, Any],
    mounts: tuple[Mount, ...] = (),
    environment: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """A pod running `devstats-sync <args>` as non-root with a read-only root filesystem."""
    every_mount = (
        Mount("config", CONFIG_DIR, {"configMap": {"name": opts["config_map"]}}, read_only=True),
        # The root filesystem is read-only; the tool's temporary files and caches go here.
        Mount("scratch", SCRATCH_DIR, {"emptyDir": {"sizeLimit": opts["scratch_size"]}}),
        *mounts,
    )
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": opts["run_as_user"],
            "runAsGroup": opts["run_as_user"],
            "fsGroup": opts["run_as_user"],
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": container,
                "image": opts["image"],
                "imagePullPolicy": opts["image_pull_policy"],
                "command": ["devstats-sync"],
                "args": list(args),
                # Secret names and keys only: the values live in the cluster (or the vault), never here.
                "env": [
                    {"name": "PGHOST", "value": opts["database_host"]},
                    {"name": "PGPORT", "value": str(opts["database_port"])},
                    _secret_env("PGUSER", opts["database_secret"], "username", optional=False),
                    _secret_env("PGPASSWORD", opts["database_secret"], "password", optional=False),
                    # Without tokens the tool skips the GitHub API step instead of failing to start.
                    _secret_env("GITHUB_TOKENS", opts["github_secret"], "tokens", optional=True),
                    {"name": "HOME", "value": SCRATCH_DIR},
                    {"name": "TMPDIR", "value": SCRATCH_DIR},
                    *({"name": name, "value": value} for name, value in environment),
                ],
                "resources": copy.deepcopy(resources),
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "privileged": False,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volumeMounts": [
                    {"name": m.name, "mountPath": m.path, **({"readOnly": True} if m.read_only else {})}
                    for m in every_mount
                ],
            }
        ],
        "volumes": [{"name": m.name, **copy.deepcopy(m.source)} for m in every_mount],
    }
    spec.update(placement(opts["node_selector"], opts["tolerations"]))
    return spec


def job_spec(
    opts: dict[str, Any], pod_labels: dict[str, str], pod: dict[str, Any], deadline: int
) -> dict[str, Any]:
    return {
        "backoffLimit": opts["backoff_limit"],
        "activeDeadlineSeconds": deadline,
        "ttlSecondsAfterFinished": opts["ttl_seconds_after_finished"],
        "template": {"metadata": {"labels": dict(pod_labels)}, "spec": pod},
    }


def job(opts: dict[str, Any], name: str, job_labels: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(opts, name, job_labels),
        "spec": spec,
    }


def cronjob(
    opts: dict[str, Any],
    name: str,
    job_labels: dict[str, str],
    *,
    schedule: str,
    time_zone: str,
    spec: dict[str, Any],
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(opts, name, job_labels),
        "spec": {
            "schedule": schedule,
            "timeZone": time_zone,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": opts["starting_deadline_seconds"],
            "successfulJobsHistoryLimit": opts["successful_jobs_history_limit"],
            "failedJobsHistoryLimit": opts["failed_jobs_history_limit"],
            "jobTemplate": {"metadata": {"labels": dict(job_labels)}, "spec": spec},
        },
    }


def volume_claim(opts: dict[str, Any], name: str, claim_labels: dict[str, str], size: str) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(opts, name, claim_labels),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }
    if opts["storage_class"]:
        claim["spec"]["storageClassName"] = opts["storage_class"]
    return claim
