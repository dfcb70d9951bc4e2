"""A foundation's sync workloads: one GH Archive ingest for all its projects, their affiliations, and
per project a git volume, a provisioning Job and a sync CronJob.

Pure: builds manifests as dicts from one foundation of preflight's model (plugins/module_utils/
inventory_model.py), where every inventory value is already validated and every default filled in, and
from the names and settings the devstats role passes. Nothing here checks an inventory value again.

The layout (one download and one scan of each GH Archive hour per foundation):
- ``gharchive-cache`` (PVC) and ``devstats-ingest`` (CronJob): ``ingest --pending`` loads every hour any
  active project still lacks, its whole history for a new project, into each project's database;
- ``devstats-affiliations`` (CronJob, when the inventory names a source): the gitdm files into every
  project;
- per project ``<name>-git`` (PVC), ``<name>-provision`` (Job: waits for the history the ingest
  loads, then affiliations and full metrics) and ``<name>-sync`` (CronJob: git, GitHub API,
  postprocess, metrics); neither downloads nor scans GH Archive.
"""

from __future__ import annotations

from typing import Any

from .inventory_values import interval_minutes
from .project_schedules import generated_schedule
from .sync_workloads import PROJECTS_FILE, Mount, cronjob, job, job_spec, labels, pod_spec, volume_claim

GIT_DIR = "/data"
CACHE_DIR = "/cache"
AFFILIATIONS_DIR = "/affiliations"
CACHE_CLAIM = "gharchive-cache"
INGEST_CRONJOB = "devstats-ingest"
AFFILIATIONS_CRONJOB = "devstats-affiliations"

# The module's own settings, which the inventory does not carry.
DEFAULTS: dict[str, Any] = {
    "scratch_size": "2Gi",
    "run_as_user": 10001,
    "starting_deadline_seconds": 600,
    "successful_jobs_history_limit": 3,
    "failed_jobs_history_limit": 3,
    "backoff_limit": 2,
    "ingest_active_deadline_seconds": 10800,
    "sync_active_deadline_seconds": 10800,
    "affiliations_active_deadline_seconds": 7200,
    "provision_active_deadline_seconds": 604800,
    "ttl_seconds_after_finished": 86400,
    # One ingest run loads at most this many hours (a new project's years of history take many runs).
    "ingest_max_hours": 720,
    # Cached hours older than this are removed once every project has them.
    "cache_keep_hours": 48,
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
    "resources",
    "storage_class",
    "gharchive_cache_size",
    "affiliations",
)
PROJECT_KEYS = ("name", "timezone", "disk_size", "resources", "archived", "disabled")
_COUNTS = tuple(key for key, value in DEFAULTS.items() if isinstance(value, int))


class RenderError(ValueError):
    """The input is not preflight's model, or a setting of the module itself is out of range."""


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


def sync_cronjob_name(project: str) -> str:
    return f"{project}-sync"


def data_cronjob_names(foundation: Any) -> list[str]:
    """The CronJobs that write a foundation's project databases: its ingest and each project's sync
    (what a migration keeps suspended until its cut-over)."""
    model = _checked_model(foundation)
    synced = [p["name"] for p in model["projects"] if not (p["disabled"] or p["archived"])]
    return [INGEST_CRONJOB, *(sync_cronjob_name(name) for name in synced)]


def _command(command: str, *args: str) -> list[str]:
    return [command, "--config", PROJECTS_FILE, *args]


def _project_objects(
    opts: dict[str, Any], model: dict[str, Any], project: dict[str, Any]
) -> list[dict[str, Any]]:
    name = project["name"]
    git = Mount("git", GIT_DIR, {"persistentVolumeClaim": {"claimName": f"{name}-git"}})
    git_env = (("DEVSTATS_DATA_DIR", GIT_DIR),)
    provision_labels = labels(opts, name, "provision")
    provision_pod = pod_spec(
        opts,
        container="provision",
        args=_command("provision", "--project", name, "--no-ingest", "--wait-for-history"),
        resources=project["resources"],
        mounts=(git,),
        environment=git_env,
    )
    objects = [
        volume_claim(opts, f"{name}-git", labels(opts, name, "git-volume"), project["disk_size"]),
        job(
            opts,
            f"{name}-provision",
            provision_labels,
            job_spec(opts, provision_labels, provision_pod, opts["provision_active_deadline_seconds"]),
        ),
    ]
    if not project["archived"]:
        sync_labels = labels(opts, name, "sync")
        sync_pod = pod_spec(
            opts,
            container="sync",
            args=_command("sync", "--project", name, "--no-ingest"),
            resources=project["resources"],
            mounts=(git,),
            environment=git_env,
        )
        objects.append(
            cronjob(
                opts,
                sync_cronjob_name(name),
                sync_labels,
                schedule=_sync_schedule(model, project),
                time_zone=project["timezone"],
                spec=job_spec(opts, sync_labels, sync_pod, opts["sync_active_deadline_seconds"]),
            )
        )
    return objects


def _sync_schedule(model: dict[str, Any], project: dict[str, Any]) -> str:
    override = project.get("schedule")
    return override or generated_schedule(project["name"], "sync", interval_minutes(model["sync_interval"]))


def _ingest_objects(opts: dict[str, Any], model: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    foundation = model["name"]
    schedule = generated_schedule(foundation, "ingest", 60)
    ingest_labels = labels(opts, foundation, "ingest")
    pod = pod_spec(
        opts,
        container="ingest",
        args=_command(
            "ingest",
            "--pending",
            "--cache-dir",
            CACHE_DIR,
            "--max-hours",
            str(opts["ingest_max_hours"]),
            "--cache-keep-hours",
            str(opts["cache_keep_hours"]),
        ),
        resources=model["resources"],
        mounts=(Mount("cache", CACHE_DIR, {"persistentVolumeClaim": {"claimName": CACHE_CLAIM}}),),
    )
    objects = [
        volume_claim(
            opts, CACHE_CLAIM, labels(opts, foundation, "gharchive-cache"), model["gharchive_cache_size"]
        ),
        cronjob(
            opts,
            INGEST_CRONJOB,
            ingest_labels,
            schedule=schedule,
            time_zone=model["time_zone"],
            spec=job_spec(opts, ingest_labels, pod, opts["ingest_active_deadline_seconds"]),
        ),
    ]
    return objects, schedule


def _affiliations_source(source: dict[str, Any]) -> tuple[list[str], tuple[Mount, ...]]:
    """The command-line arguments and the volume that bring one source's gitdm files to the tool."""
    kind = source["source"]
    if kind == "git":
        args = [
            "--gitdm-url",
            source["git"],
            "--gitdm-ref",
            source["ref"],
            "--gitdm-users-path",
            source["users_path"],
        ]
        if source["companies_path"]:
            args += ["--gitdm-companies-path", source["companies_path"]]
        return args, ()
    volume = (
        {"configMap": {"name": source["config_map"]}}
        if kind == "config_map"
        else {"persistentVolumeClaim": {"claimName": source["claim"], "readOnly": True}}
    )
    args = ["--github-users", f"{AFFILIATIONS_DIR}/{source['users_path']}"]
    if source["companies_path"]:
        args += ["--companies", f"{AFFILIATIONS_DIR}/{source['companies_path']}"]
    return args, (Mount("affiliations", AFFILIATIONS_DIR, volume, read_only=True),)


def _affiliations_objects(
    opts: dict[str, Any], model: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    if model["affiliations"]["source"] == "none":
        return [], None
    foundation = model["name"]
    schedule = generated_schedule(
        foundation, "affiliations", interval_minutes(model["affiliations_interval"])
    )
    source_args, mounts = _affiliations_source(model["affiliations"])
    job_labels = labels(opts, foundation, "affiliations")
    pod = pod_spec(
        opts,
        container="affiliations",
        args=_command("affiliations", *source_args),
        resources=model["resources"],
        mounts=mounts,
    )
    return [
        cronjob(
            opts,
            AFFILIATIONS_CRONJOB,
            job_labels,
            schedule=schedule,
            time_zone=model["time_zone"],
            spec=job_spec(opts, job_labels, pod, opts["affiliations_active_deadline_seconds"]),
        )
    ], schedule


def render_workloads(foundation: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Every sync workload of one foundation of preflight's model, and when each runs.

    Returns {"resources": [manifest, ...], "schedules": [row per project], "foundation_schedules":
    {"ingest": cron, "affiliations": cron or None}}: the foundation's objects first, then each
    project's in project order; disabled projects get nothing, archived ones no sync CronJob.
    """
    model = _checked_model(foundation)
    opts = {
        **_checked_options(options),
        "foundation": model["name"],
        "namespace": model["namespace"],
        "storage_class": model["storage_class"],
    }
    resources, ingest_schedule = _ingest_objects(opts, model)
    affiliations, affiliations_schedule = _affiliations_objects(opts, model)
    resources += affiliations
    schedules: list[dict[str, Any]] = []
    for project in model["projects"]:
        if project["disabled"]:
            continue
        resources += _project_objects(opts, model, project)
        archived = project["archived"]
        schedules.append(
            {
                "project": project["name"],
                "archived": archived,
                "sync": None if archived else _sync_schedule(model, project),
                "sync_source": None if archived else ("override" if project.get("schedule") else "generated"),
                "timezone": project["timezone"],
            }
        )
    return {
        "resources": resources,
        "schedules": schedules,
        "foundation_schedules": {"ingest": ingest_schedule, "affiliations": affiliations_schedule},
    }
