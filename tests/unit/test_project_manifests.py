"""A foundation's sync workloads, rendered from preflight's model of inventory variables: one ingest for
all projects, affiliations from each kind of source, objects per project, names within their limits,
schedules and time zones, resources, hardened pods."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.module_utils.inventory_foundations import CRONJOB_NAME_MAX, PROJECT_NAME_MAX
from plugins.module_utils.project_manifests import RenderError, data_cronjob_names, render_workloads
from tests.support.inventory_models import WORKLOAD_OPTIONS as OPTIONS
from tests.support.inventory_models import foundation_model


def _render(projects: list[dict[str, Any]], foundation_vars: dict[str, Any] | None = None, **options: Any):
    return render_workloads(foundation_model(projects, **(foundation_vars or {})), {**OPTIONS, **options})


def _pod_templates(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    if manifest["kind"] == "Job":
        return [manifest["spec"]["template"]]
    if manifest["kind"] == "CronJob":
        return [manifest["spec"]["jobTemplate"]["spec"]["template"]]
    return []


def _pod_specs(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [template["spec"] for template in _pod_templates(manifest)]


def _kinds(result: dict[str, Any], project: str) -> list[tuple[str, str]]:
    return [
        (m["kind"], m["metadata"]["name"])
        for m in result["resources"]
        if m["metadata"]["labels"]["app.kubernetes.io/instance"] == project
    ]


def _by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in result["resources"]}


def _container(manifest: dict[str, Any]) -> dict[str, Any]:
    (pod,) = _pod_specs(manifest)
    (container,) = pod["containers"]
    return container


def test_one_ingest_for_the_foundation_then_three_objects_per_project() -> None:
    result = _render([{"name": "kubernetes"}, {"name": "prometheus"}])
    assert _kinds(result, "cncf") == [
        ("PersistentVolumeClaim", "gharchive-cache"),
        ("CronJob", "devstats-ingest"),
        ("CronJob", "devstats-affiliations"),
    ]
    assert _kinds(result, "kubernetes") == [
        ("PersistentVolumeClaim", "kubernetes-git"),
        ("Job", "kubernetes-provision"),
        ("CronJob", "kubernetes-sync"),
    ]
    assert len(result["resources"]) == 9
    assert {m["metadata"]["namespace"] for m in result["resources"]} == {"devstats-cncf"}


def test_only_the_ingest_downloads_and_scans_and_it_does_so_for_every_project() -> None:
    objects = _by_name(_render([{"name": "kubernetes"}, {"name": "prometheus"}]))
    ingest = _container(objects["devstats-ingest"])
    assert ingest["args"] == [
        "ingest",
        "--config",
        "/etc/devstats/projects.yaml",
        "--pending",
        "--cache-dir",
        "/cache",
        "--max-hours",
        "720",
        "--cache-keep-hours",
        "48",
    ]
    assert {"name": "cache", "mountPath": "/cache"} in ingest["volumeMounts"]
    (pod,) = _pod_specs(objects["devstats-ingest"])
    assert {"name": "cache", "persistentVolumeClaim": {"claimName": "gharchive-cache"}} in pod["volumes"]
    assert objects["gharchive-cache"]["spec"]["resources"]["requests"]["storage"] == "50Gi"
    for project in ("kubernetes", "prometheus"):
        assert _container(objects[f"{project}-sync"])["args"] == [
            "sync",
            "--config",
            "/etc/devstats/projects.yaml",
            "--project",
            project,
            "--no-ingest",
        ]
        assert _container(objects[f"{project}-provision"])["args"][-2:] == [
            "--no-ingest",
            "--wait-for-history",
        ]
        for name in (f"{project}-sync", f"{project}-provision"):
            assert all(m["name"] != "cache" for m in _container(objects[name])["volumeMounts"])


@pytest.mark.parametrize(
    ("source", "args", "volume"),
    [
        (
            None,
            [
                "--gitdm-url",
                "https://github.com/cncf/gitdm.git",
                "--gitdm-ref",
                "master",
                "--gitdm-users-path",
                "src/github_users.json",
            ],
            None,
        ),
        (
            {"git": "https://git.example.org/gitdm.git", "ref": "v2", "companies_path": "companies.yaml"},
            [
                "--gitdm-url",
                "https://git.example.org/gitdm.git",
                "--gitdm-ref",
                "v2",
                "--gitdm-users-path",
                "src/github_users.json",
                "--gitdm-companies-path",
                "companies.yaml",
            ],
            None,
        ),
        (
            {"config_map": "gitdm", "companies_path": "companies.yaml"},
            [
                "--github-users",
                "/affiliations/github_users.json",
                "--companies",
                "/affiliations/companies.yaml",
            ],
            {"configMap": {"name": "gitdm"}},
        ),
        (
            {"claim": "gitdm-data", "users_path": "gitdm/users.json"},
            ["--github-users", "/affiliations/gitdm/users.json"],
            {"persistentVolumeClaim": {"claimName": "gitdm-data", "readOnly": True}},
        ),
    ],
)
def test_affiliations_from_each_kind_of_source(source: Any, args: list[str], volume: Any) -> None:
    variables = {} if source is None else {"devstats_affiliations": source}
    objects = _by_name(_render([{"name": "p"}], variables))
    container = _container(objects["devstats-affiliations"])
    assert container["args"] == ["affiliations", "--config", "/etc/devstats/projects.yaml", *args]
    (pod,) = _pod_specs(objects["devstats-affiliations"])
    mounted = [v for v in pod["volumes"] if v["name"] == "affiliations"]
    assert mounted == ([] if volume is None else [{"name": "affiliations", **volume}])


def test_without_a_source_of_affiliations_there_is_no_affiliations_cronjob() -> None:
    result = _render([{"name": "p"}], {"devstats_affiliations": {}})
    assert "devstats-affiliations" not in _by_name(result)
    assert result["foundation_schedules"]["affiliations"] is None


def test_archived_gets_no_sync_and_disabled_gets_nothing() -> None:
    result = _render([{"name": "old", "archived": True}, {"name": "off", "disabled": True}, {"name": "on"}])
    assert [kind for kind, _ in _kinds(result, "old")] == ["PersistentVolumeClaim", "Job"]
    assert _kinds(result, "off") == []
    assert [row["project"] for row in result["schedules"]] == ["old", "on"]
    assert result["schedules"][0]["sync"] is None


def test_override_wins_with_its_time_zone() -> None:
    result = _render([{"name": "argo", "schedule": "40 */2 * * *", "timezone": "Europe/Warsaw"}])
    row = result["schedules"][0]
    assert (row["sync"], row["sync_source"], row["timezone"]) == ("40 */2 * * *", "override", "Europe/Warsaw")
    cron = next(m for m in result["resources"] if m["metadata"]["name"] == "argo-sync")
    assert cron["spec"]["schedule"] == "40 */2 * * *"
    assert cron["spec"]["timeZone"] == "Europe/Warsaw"


def test_the_foundations_time_zone_and_intervals_shape_every_schedule() -> None:
    result = _render(
        [{"name": "argo"}, {"name": "flux", "timezone": "Asia/Tokyo"}],
        {
            "devstats_time_zone": "America/New_York",
            "devstats_sync_interval": "2h",
            "devstats_affiliations_interval": "7d",
        },
    )
    zones = {
        m["metadata"]["name"]: m["spec"]["timeZone"] for m in result["resources"] if m["kind"] == "CronJob"
    }
    assert zones == {
        "devstats-ingest": "America/New_York",
        "devstats-affiliations": "America/New_York",
        "argo-sync": "America/New_York",
        "flux-sync": "Asia/Tokyo",
    }
    for row in result["schedules"]:
        assert row["sync"].split()[1].endswith("-23/2")
    assert len(result["foundation_schedules"]["affiliations"].split()[4]) == 1
    assert result["foundation_schedules"]["ingest"].split()[1:] == ["*", "*", "*", "*"]


def test_cronjob_and_job_settings() -> None:
    result = _render([{"name": "p"}], starting_deadline_seconds=300, ttl_seconds_after_finished=600)
    for manifest in result["resources"]:
        if manifest["kind"] == "CronJob":
            spec = manifest["spec"]
            assert spec["concurrencyPolicy"] == "Forbid"
            assert spec["startingDeadlineSeconds"] == 300
            assert spec["successfulJobsHistoryLimit"] == 3
            assert spec["failedJobsHistoryLimit"] == 3
            job = spec["jobTemplate"]["spec"]
        elif manifest["kind"] == "Job":
            job = manifest["spec"]
        else:
            continue
        assert job["activeDeadlineSeconds"] > 0
        assert job["ttlSecondsAfterFinished"] == 600
        assert job["backoffLimit"] == 2


def test_every_pod_is_hardened() -> None:
    projects = [{"name": f"p{i}", "archived": i % 3 == 0} for i in range(12)]
    result = _render(
        projects, node_selector={"pool": "sync"}, tolerations=[{"key": "k", "operator": "Exists"}]
    )
    pods = [pod for manifest in result["resources"] for pod in _pod_specs(manifest)]
    # Ingest and affiliations, a provisioning Job per project, a sync CronJob per active project.
    assert len(pods) == 2 + 12 + 8
    for pod in pods:
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["nodeSelector"] == {"pool": "sync"}
        assert pod["tolerations"] == [{"key": "k", "operator": "Exists"}]
        scratch = [v for v in pod["volumes"] if "emptyDir" in v]
        assert len(scratch) == 1
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["privileged"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert any(m["name"] == scratch[0]["name"] for m in container["volumeMounts"])


def test_secrets_are_referenced_by_name_only() -> None:
    result = _render([{"name": "p"}], database_secret="pg-app", github_secret="gh")
    for manifest in result["resources"]:
        assert manifest["kind"] != "Secret"
        for pod in _pod_specs(manifest):
            for container in pod["containers"]:
                refs = {
                    env["name"]: env["valueFrom"]["secretKeyRef"]["name"]
                    for env in container["env"]
                    if "valueFrom" in env
                }
                assert refs == {"PGUSER": "pg-app", "PGPASSWORD": "pg-app", "GITHUB_TOKENS": "gh"}


def test_disk_size_storage_class_and_resources_per_project() -> None:
    custom = {"requests": {"cpu": "1", "memory": "4Gi"}}
    foundation_resources = {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}}
    result = _render(
        [{"name": "big", "disk_size": "100Gi", "resources": custom}, {"name": "small"}],
        {
            "devstats_storage_class": "gp3",
            "devstats_project_disk_size": "5Gi",
            "devstats_resources": foundation_resources,
        },
    )
    volumes = {
        m["metadata"]["name"]: m["spec"] for m in result["resources"] if m["kind"] == "PersistentVolumeClaim"
    }
    assert volumes["big-git"]["resources"]["requests"]["storage"] == "100Gi"
    assert volumes["small-git"]["resources"]["requests"]["storage"] == "5Gi"
    assert volumes["small-git"]["storageClassName"] == "gp3"
    containers = {
        m["metadata"]["name"]: m["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        for m in result["resources"]
        if m["kind"] == "CronJob"
    }
    assert containers["big-sync"]["resources"] == custom
    assert containers["small-sync"]["resources"] == foundation_resources


def test_without_a_storage_class_the_cluster_default_is_used() -> None:
    claims = [m for m in _render([{"name": "p"}])["resources"] if m["kind"] == "PersistentVolumeClaim"]
    assert [c["metadata"]["name"] for c in claims] == ["gharchive-cache", "p-git"]
    assert all("storageClassName" not in claim["spec"] for claim in claims)


def test_every_object_and_pod_carries_the_pod_labels_the_role_gives() -> None:
    result = _render([{"name": "p"}], pod_labels={"app.kubernetes.io/name": "sync", "tier": "batch"})
    for manifest in result["resources"]:
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == (
            "cncf"
            if manifest["metadata"]["name"] in ("gharchive-cache", "devstats-ingest", "devstats-affiliations")
            else "p"
        )
        assert labels == {
            "app.kubernetes.io/managed-by": "devstats-platform",
            "app.kubernetes.io/part-of": "cncf",
            "app.kubernetes.io/name": "sync",
            "tier": "batch",
            "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"],
            "app.kubernetes.io/component": labels["app.kubernetes.io/component"],
        }
        for pod_template in _pod_templates(manifest):
            assert pod_template["metadata"]["labels"] == labels


def test_longest_project_name_fits_every_limit() -> None:
    name = "a" * PROJECT_NAME_MAX
    result = _render([{"name": name}])
    for manifest in result["resources"]:
        limit = CRONJOB_NAME_MAX if manifest["kind"] == "CronJob" else 63
        assert len(manifest["metadata"]["name"]) <= limit
    assert len(f"{name}-sync") < CRONJOB_NAME_MAX


def test_input_that_is_not_preflights_model_is_refused_naming_what_is_missing() -> None:
    raw_inventory_foundation = {"name": "cncf", "projects": [{"name": "p", "orgs": ["p"]}]}
    with pytest.raises(
        RenderError, match=r"expected one foundation of preflight's model .*missing namespace"
    ):
        render_workloads(raw_inventory_foundation, OPTIONS)
    model = foundation_model([{"name": "p"}])
    del model["projects"][0]["timezone"]
    with pytest.raises(RenderError, match=r"missing projects\[0\]\.timezone"):
        render_workloads(model, OPTIONS)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"run_as_user": 0}, "run_as_user: pods run as non-root"),
        ({"backoff_limit": -1}, "backoff_limit: expected a whole number of at least 0"),
        ({"database_host": None}, "missing required options: database_host"),
    ],
)
def test_the_modules_own_settings_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(RenderError, match=message):
        render_workloads(foundation_model([{"name": "p"}]), {**OPTIONS, **options})


def test_the_cronjobs_a_migration_enables_are_the_rendered_ones_that_write_databases() -> None:
    projects = [{"name": "kubernetes"}, {"name": "old", "archived": True}, {"name": "off", "disabled": True}]
    rendered = [m["metadata"]["name"] for m in _render(projects)["resources"] if m["kind"] == "CronJob"]
    assert rendered == ["devstats-ingest", "devstats-affiliations", "kubernetes-sync"]
    assert data_cronjob_names(foundation_model(projects)) == ["devstats-ingest", "kubernetes-sync"]
