"""The per-project objects of a foundation: git volume, provisioning Job, sync and affiliations CronJobs.

Pure: builds manifests as dicts from the inventory's projects and the foundation's settings, after
checking every value Kubernetes would reject, so a bad inventory fails here with the project and the
field named instead of halfway through an apply.
"""

from __future__ import annotations

import copy
from typing import Any

from .k8s_names import CRONJOB_NAME_MAX, check_dns1123_label, check_dns1123_subdomain
from .k8s_validation import ValidationError, check_cron, check_quantity, check_timezone, interval_minutes
from .project_schedules import generated_schedule

# A project name leaves room for the longest suffix ("-affiliations") within a CronJob name.
PROJECT_NAME_MAX = CRONJOB_NAME_MAX - len("-affiliations")
FOUNDATION_NAME_MAX = 30
CONFIG_DIR = "/etc/devstats"
DATA_DIR = "/data"
SCRATCH_DIR = "/tmp"

DEFAULTS: dict[str, Any] = {
    "namespace": None,
    "image_pull_policy": "IfNotPresent",
    "config_map": "devstats-projects",
    "database_secret": "devstats-postgres-app",
    "github_secret": "devstats-github",
    "database_host": "devstats-postgres",
    "database_port": 5432,
    "sync_interval": "1h",
    "affiliations_interval": "1d",
    "time_zone": "Etc/UTC",
    "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
    "volume_size": "10Gi",
    "storage_class": None,
    "scratch_size": "2Gi",
    "node_selector": {},
    "tolerations": [],
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

_COUNTS = (
    "database_port",
    "starting_deadline_seconds",
    "successful_jobs_history_limit",
    "failed_jobs_history_limit",
    "backoff_limit",
    "sync_active_deadline_seconds",
    "affiliations_active_deadline_seconds",
    "provision_active_deadline_seconds",
    "ttl_seconds_after_finished",
)


def _where(foundation: str, index: int, project: dict[str, Any], field: str) -> str:
    name = project.get("name") if isinstance(project.get("name"), str) else "?"
    return f"foundation {foundation!r}, project {name!r} (#{index + 1}), field {field!r}"


def _check_resources(resources: Any, where: str) -> dict[str, Any]:
    if not isinstance(resources, dict) or set(resources) - {"requests", "limits"}:
        raise ValidationError(
            f"{where}: expected a mapping with 'requests' and/or 'limits', got {resources!r}"
        )
    checked: dict[str, Any] = {}
    for section, values in sorted(resources.items()):
        if not isinstance(values, dict):
            raise ValidationError(
                f"{where}.{section}: expected a mapping such as {{cpu: 500m}}, got {values!r}"
            )
        checked[section] = {
            key: check_quantity(value, f"{where}.{section}.{key}") for key, value in values.items()
        }
    return checked


def _bool(project: dict[str, Any], field: str, where: str) -> bool:
    value = project.get(field, False)
    if not isinstance(value, bool):
        raise ValidationError(f"{where}: expected true or false, got {value!r}")
    return value


def _labels(foundation: str, project: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "devstats",
        "app.kubernetes.io/instance": project,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": foundation,
        "app.kubernetes.io/managed-by": "devstats-platform",
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


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """The foundation-wide options with defaults filled in, each checked."""
    opts = {**DEFAULTS, **{key: value for key, value in options.items() if value is not None}}
    foundation = check_dns1123_label(opts.get("foundation"), "foundation", FOUNDATION_NAME_MAX)
    opts["namespace"] = check_dns1123_label(opts["namespace"] or f"devstats-{foundation}", "namespace")
    if not isinstance(opts.get("image"), str) or not opts["image"].strip():
        raise ValidationError("image: the sync tool's image must be a non-empty string")
    for field in ("config_map", "database_secret", "github_secret"):
        check_dns1123_subdomain(opts[field], field)
    opts["sync_minutes"] = interval_minutes(opts["sync_interval"], "sync_interval")
    opts["affiliations_minutes"] = interval_minutes(opts["affiliations_interval"], "affiliations_interval")
    check_timezone(opts["time_zone"], "time_zone")
    opts["resources"] = _check_resources(opts["resources"], "resources")
    check_quantity(opts["volume_size"], "volume_size")
    check_quantity(opts["scratch_size"], "scratch_size")
    if opts["storage_class"] is not None:
        check_dns1123_subdomain(opts["storage_class"], "storage_class")
    if not isinstance(opts["run_as_user"], int) or opts["run_as_user"] <= 0:
        raise ValidationError(
            f"run_as_user: pods run as non-root; expected a UID above 0, got {opts['run_as_user']!r}"
        )
    for field in _COUNTS:
        if isinstance(opts[field], bool) or not isinstance(opts[field], int) or opts[field] < 0:
            raise ValidationError(f"{field}: expected a whole number of at least 0, got {opts[field]!r}")
    if not isinstance(opts["node_selector"], dict):
        raise ValidationError(f"node_selector: expected a mapping of labels, got {opts['node_selector']!r}")
    if not isinstance(opts["tolerations"], list) or not all(isinstance(t, dict) for t in opts["tolerations"]):
        raise ValidationError(f"tolerations: expected a list of mappings, got {opts['tolerations']!r}")
    return opts


def _project(opts: dict[str, Any], index: int, project: Any, seen: dict[str, int]) -> dict[str, Any] | None:
    foundation = opts["foundation"]
    if not isinstance(project, dict):
        raise ValidationError(
            f"foundation {foundation!r}, project #{index + 1}: expected a mapping, got {project!r}"
        )
    name = check_dns1123_label(
        project.get("name"), _where(foundation, index, project, "name"), PROJECT_NAME_MAX
    )
    if name in seen:
        raise ValidationError(
            f"{_where(foundation, index, project, 'name')}: {name!r} is already project #{seen[name] + 1}"
        )
    seen[name] = index
    if _bool(project, "disabled", _where(foundation, index, project, "disabled")):
        return None
    archived = _bool(project, "archived", _where(foundation, index, project, "archived"))
    override = project.get("schedule")
    if override is not None:
        check_cron(override, _where(foundation, index, project, "schedule"))
    tz = check_timezone(
        project.get("timezone", opts["time_zone"]), _where(foundation, index, project, "timezone")
    )
    disk = check_quantity(
        project.get("disk_size", opts["volume_size"]), _where(foundation, index, project, "disk_size")
    )
    resources = opts["resources"]
    if project.get("resources") is not None:
        resources = _check_resources(project["resources"], _where(foundation, index, project, "resources"))
    return {
        "name": name,
        "archived": archived,
        "sync_schedule": None
        if archived
        else override or generated_schedule(name, "sync", opts["sync_minutes"]),
        "sync_source": None if archived else ("override" if override else "generated"),
        "affiliations_schedule": generated_schedule(name, "affiliations", opts["affiliations_minutes"]),
        "timezone": tz,
        "disk_size": disk,
        "resources": resources,
    }


def _objects(opts: dict[str, Any], plan: dict[str, Any]) -> list[dict[str, Any]]:
    name, namespace, foundation = plan["name"], opts["namespace"], opts["foundation"]
    pvc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(f"{name}-git", namespace, _labels(foundation, name, "git-volume")),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": plan["disk_size"]}}},
    }
    if opts["storage_class"]:
        pvc["spec"]["storageClassName"] = opts["storage_class"]
    labels = _labels(foundation, name, "provision")
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
        labels = _labels(foundation, name, command)
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


def render_projects(options: dict[str, Any], projects: list[Any]) -> dict[str, Any]:
    """All per-project manifests of one foundation and its schedule table.

    Returns {"resources": [manifest, ...], "schedules": [row, ...]} in project order; disabled projects
    are left out entirely, archived ones get no sync CronJob.
    """
    opts = check_options(options)
    if not isinstance(projects, list):
        raise ValidationError(f"foundation {opts['foundation']!r}: projects must be a list, got {projects!r}")
    seen: dict[str, int] = {}
    resources: list[dict[str, Any]] = []
    schedules: list[dict[str, Any]] = []
    for index, project in enumerate(projects):
        plan = _project(opts, index, project, seen)
        if plan is None:
            continue
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
