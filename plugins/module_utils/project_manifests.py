"""The per-project objects of a foundation: git volume, provisioning Job, sync and affiliations CronJobs.

Pure: builds manifests as dicts from one foundation of preflight's model (plugins/module_utils/
inventory_model.py), where every inventory value is already validated and every default filled in, and
from the names and settings the devstats role passes. Nothing here checks an inventory value again.
"""

from __future__ import annotations

import copy
from typing import Any

from .inventory_model import interval_minutes
from .k8s_ownership import recommended_labels
from .project_schedules import generated_schedule

CONFIG_DIR = "/etc/devstats"
DATA_DIR = "/data"
SCRATCH_DIR = "/tmp"

# The module's own settings, which the inventory does not carry.
DEFAULTS: dict[str, Any] = {
    "scratch_size": "2Gi",
    "run_as_user": 10001,
    "starting_deadline_seconds": 600,
    "successful_jobs_history_limit": 3,
    "failed_jobs_history_limit": 3,
    "backoff_limit": 2,
    "sync_active_deadline_seconds": 10800,
    "affiliations_active_deadline_seconds": 7200,
    "provision_active_deadline_seconds": 604800,
    "ttl_seconds_after_finished": 86400,
}
# What the role passes besides the model: names of the objects the pods use, and pod placement.
REQUIRED_OPTIONS = (
    "image",
    "image_pull_policy",
    "config_map",
    "database_secret",
    "github_secret",
    "database_host",
    "database_port",
    "pod_labels",
    "node_selector",
    "tolerations",
)
# The keys of preflight's model this module reads.
FOUNDATION_KEYS = (
    "name",
    "namespace",
    "projects",
    "time_zone",
    "sync_interval",
    "affiliations_interval",
    "storage_class",
)
PROJECT_KEYS = ("name", "timezone", "disk_size", "resources", "archived", "disabled")
_COUNTS = tuple(key for key, value in DEFAULTS.items() if isinstance(value, int))


class RenderError(ValueError):
    """The input is not preflight's model, or a setting of the module itself is out of range."""


def _labels(foundation: str, pod_labels: dict[str, str], project: str, component: str) -> dict[str, str]:
    return {
        **recommended_labels(foundation),
        **pod_labels,
        "app.kubernetes.io/instance": project,
        "app.kubernetes.io/component": component,
    }


def _metadata(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def _secret_env(name: str, secret: str, key: str, *, optional: bool) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key, "optional": optional}}}


def _pod_spec(
    opts: dict[str, Any], project: str, command: str, resources: dict[str, Any], git: bool
) -> dict[str, Any]:
    mounts = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "scratch", "mountPath": SCRATCH_DIR},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": opts["config_map"]}},
        # The root filesystem is read-only; the tool's temporary files and caches go here.
        {"name": "scratch", "emptyDir": {"sizeLimit": opts["scratch_size"]}},
    ]
    if git:
        mounts.append({"name": "git", "mountPath": DATA_DIR})
        volumes.append({"name": "git", "persistentVolumeClaim": {"claimName": f"{project}-git"}})
    container = {
        "name": command,
        "image": opts["image"],
        "imagePullPolicy": opts["image_pull_policy"],
        "command": ["devstats-sync"],
        "args": [command, "--config", f"{CONFIG_DIR}/projects.yaml", "--project", project],
        # Secret names and keys only: the values live in the cluster (or the vault), never in manifests.
        "env": [
            {"name": "PGHOST", "value": opts["database_host"]},
            {"name": "PGPORT", "value": str(opts["database_port"])},
            _secret_env("PGUSER", opts["database_secret"], "username", optional=False),
            _secret_env("PGPASSWORD", opts["database_secret"], "password", optional=False),
            # Without tokens the tool skips the GitHub API step instead of failing to start.
            _secret_env("GITHUB_TOKENS", opts["github_secret"], "tokens", optional=True),
            {"name": "HOME", "value": SCRATCH_DIR},
            {"name": "TMPDIR", "value": SCRATCH_DIR},
            {"name": "DEVSTATS_DATA_DIR", "value": DATA_DIR},
        ],
        "resources": copy.deepcopy(resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": mounts,
    }
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
        "containers": [container],
        "volumes": volumes,
    }
    if opts["node_selector"]:
        spec["nodeSelector"] = dict(opts["node_selector"])
    if opts["tolerations"]:
        spec["tolerations"] = copy.deepcopy(opts["tolerations"])
    return spec


def _job_spec(
    opts: dict[str, Any], labels: dict[str, str], pod: dict[str, Any], deadline: int
) -> dict[str, Any]:
    return {
        "backoffLimit": opts["backoff_limit"],
        "activeDeadlineSeconds": deadline,
        "ttlSecondsAfterFinished": opts["ttl_seconds_after_finished"],
        "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
    }


def _cronjob(
    opts: dict[str, Any],
    *,
    name: str,
    namespace: str,
    labels: dict[str, str],
    schedule: str,
    tz: str,
    job: dict[str, Any],
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(name, namespace, labels),
        "spec": {
            "schedule": schedule,
            "timeZone": tz,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": opts["starting_deadline_seconds"],
            "successfulJobsHistoryLimit": opts["successful_jobs_history_limit"],
            "failedJobsHistoryLimit": opts["failed_jobs_history_limit"],
            "jobTemplate": {"metadata": {"labels": dict(labels)}, "spec": job},
        },
    }


def _checked_model(foundation: Any) -> dict[str, Any]:
    missing = [key for key in FOUNDATION_KEYS if not isinstance(foundation, dict) or key not in foundation]
    if not missing:
        missing = [
            f"projects[{index}].{key}"
            for index, project in enumerate(foundation["projects"])
            for key in PROJECT_KEYS
            if not isinstance(project, dict) or key not in project
        ]
    if missing:
        raise RenderError(
            "foundation: expected one foundation of preflight's model (preflight_foundations[<name>], set "
            f"by the preflight play every playbook of the collection imports); missing {', '.join(missing)}"
        )
    return foundation


def _checked_options(options: dict[str, Any]) -> dict[str, Any]:
    missing = [key for key in REQUIRED_OPTIONS if options.get(key) is None]
    if missing:
        raise RenderError(f"missing required options: {', '.join(missing)}")
    opts = {**DEFAULTS, **{key: value for key, value in options.items() if value is not None}}
    if opts["run_as_user"] <= 0:
        raise RenderError(
            f"run_as_user: pods run as non-root; expected a UID above 0, got {opts['run_as_user']!r}"
        )
    for key in _COUNTS:
        if opts[key] < 0:
            raise RenderError(f"{key}: expected a whole number of at least 0, got {opts[key]!r}")
    return opts


def _plan(foundation: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    name, archived, override = project["name"], project["archived"], project.get("schedule")
    sync_minutes = interval_minutes(foundation["sync_interval"])
    affiliations_minutes = interval_minutes(foundation["affiliations_interval"])
    return {
        "name": name,
        "archived": archived,
        "sync_schedule": None if archived else override or generated_schedule(name, "sync", sync_minutes),
        "sync_source": None if archived else ("override" if override else "generated"),
        "affiliations_schedule": generated_schedule(name, "affiliations", affiliations_minutes),
        "timezone": project["timezone"],
        "disk_size": project["disk_size"],
        "resources": project["resources"],
    }


def _objects(opts: dict[str, Any], plan: dict[str, Any]) -> list[dict[str, Any]]:
    name, namespace, foundation = plan["name"], opts["namespace"], opts["foundation"]
    pvc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(
            f"{name}-git", namespace, _labels(foundation, opts["pod_labels"], name, "git-volume")
        ),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": plan["disk_size"]}}},
    }
    if opts["storage_class"]:
        pvc["spec"]["storageClassName"] = opts["storage_class"]
    labels = _labels(foundation, opts["pod_labels"], name, "provision")
    pod = _pod_spec(opts, name, "provision", plan["resources"], git=True)
    objects = [
        pvc,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _metadata(f"{name}-provision", namespace, labels),
            "spec": _job_spec(opts, labels, pod, opts["provision_active_deadline_seconds"]),
        },
    ]
    crons = [("affiliations", plan["affiliations_schedule"], opts["time_zone"], False)]
    if plan["sync_schedule"]:
        crons.insert(0, ("sync", plan["sync_schedule"], plan["timezone"], True))
    for command, schedule, tz, git in crons:
        labels = _labels(foundation, opts["pod_labels"], name, command)
        pod = _pod_spec(opts, name, command, plan["resources"], git=git)
        job = _job_spec(opts, labels, pod, opts[f"{command}_active_deadline_seconds"])
        objects.append(
            _cronjob(
                opts,
                name=f"{name}-{command}",
                namespace=namespace,
                labels=labels,
                schedule=schedule,
                tz=tz,
                job=job,
            )
        )
    return objects


def render_projects(foundation: Any, options: dict[str, Any]) -> dict[str, Any]:
    """All per-project manifests of one foundation of preflight's model, and its schedule table.

    Returns {"resources": [manifest, ...], "schedules": [row, ...]} in project order; disabled projects
    are left out entirely, archived ones get no sync CronJob.
    """
    model = _checked_model(foundation)
    opts = {
        **_checked_options(options),
        "foundation": model["name"],
        "namespace": model["namespace"],
        "time_zone": model["time_zone"],
        "storage_class": model["storage_class"],
    }
    resources: list[dict[str, Any]] = []
    schedules: list[dict[str, Any]] = []
    for project in model["projects"]:
        if project["disabled"]:
            continue
        plan = _plan(model, project)
        resources.extend(_objects(opts, plan))
        schedules.append(
            {
                "project": plan["name"],
                "archived": plan["archived"],
                "sync": plan["sync_schedule"],
                "sync_source": plan["sync_source"],
                "affiliations": plan["affiliations_schedule"],
                "timezone": plan["timezone"],
            }
        )
    return {"resources": resources, "schedules": schedules}
