"""The per-project manifests: objects per project, names and limits, validation errors, hardened pods."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.module_utils.k8s_names import CRONJOB_NAME_MAX, DNS1123_LABEL_MAX
from plugins.module_utils.k8s_validation import ValidationError
from plugins.module_utils.project_manifests import PROJECT_NAME_MAX, render_projects

OPTIONS: dict[str, Any] = {"foundation": "cncf", "image": "ghcr.io/devstats/devstats-sync:0.1.0"}


def _render(projects: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return render_projects({**OPTIONS, **options}, projects)


def _pod_specs(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    if manifest["kind"] == "Job":
        return [manifest["spec"]["template"]["spec"]]
    if manifest["kind"] == "CronJob":
        return [manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    return []


def _kinds(result: dict[str, Any], project: str) -> list[tuple[str, str]]:
    return [
        (m["kind"], m["metadata"]["name"])
        for m in result["resources"]
        if m["metadata"]["labels"]["app.kubernetes.io/instance"] == project
    ]


def test_four_objects_per_project_in_order() -> None:
    result = _render([{"name": "kubernetes"}, {"name": "prometheus"}])
    assert _kinds(result, "kubernetes") == [
        ("PersistentVolumeClaim", "kubernetes-git"),
        ("Job", "kubernetes-provision"),
        ("CronJob", "kubernetes-sync"),
        ("CronJob", "kubernetes-affiliations"),
    ]
    assert len(result["resources"]) == 8
    assert {m["metadata"]["namespace"] for m in result["resources"]} == {"devstats-cncf"}


def test_archived_gets_no_sync_and_disabled_gets_nothing() -> None:
    result = _render([{"name": "old", "archived": True}, {"name": "off", "disabled": True}, {"name": "on"}])
    assert [kind for kind, _ in _kinds(result, "old")] == ["PersistentVolumeClaim", "Job", "CronJob"]
    assert _kinds(result, "old")[-1][1] == "old-affiliations"
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
    assert len(pods) == 12 * 2 + 8
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
    result = _render(
        [{"name": "big", "disk_size": "100Gi", "resources": custom}, {"name": "small"}],
        storage_class="gp3",
        volume_size="5Gi",
    )
    volumes = {
        m["metadata"]["name"]: m["spec"] for m in result["resources"] if m["kind"] == "PersistentVolumeClaim"
    }
    assert volumes["big-git"]["resources"]["requests"]["storage"] == "100Gi"
    assert volumes["small-git"]["resources"]["requests"]["storage"] == "5Gi"
    assert volumes["small-git"]["storageClassName"] == "gp3"
    big_sync = next(m for m in result["resources"] if m["metadata"]["name"] == "big-sync")
    container = big_sync["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == custom


def test_longest_project_name_fits_every_limit() -> None:
    name = "a" * PROJECT_NAME_MAX
    result = _render([{"name": name}])
    for manifest in result["resources"]:
        limit = CRONJOB_NAME_MAX if manifest["kind"] == "CronJob" else DNS1123_LABEL_MAX
        assert len(manifest["metadata"]["name"]) <= limit
    assert len(f"{name}-affiliations") == CRONJOB_NAME_MAX


@pytest.mark.parametrize(
    ("projects", "options", "message"),
    [
        ([{"name": "Kube"}], {}, "project 'Kube' (#1), field 'name': 'Kube' is not a DNS-1123 label"),
        ([{"name": "a" * 40}], {}, "is 40 characters long; at most 39 are allowed"),
        ([{"name": "p"}, {"name": "p"}], {}, "project 'p' (#2), field 'name': 'p' is already project #1"),
        (
            [{"name": "p", "schedule": "61 * * * *"}],
            {},
            "field 'schedule': '61 * * * *' is not a valid cron expression: minute '61' is out of range 0-59",
        ),
        ([{"name": "p", "schedule": "* * *"}], {}, "has 3 fields; expected a 5-field cron expression"),
        ([{"name": "p", "schedule": "0 5-1 * * *"}], {}, "hour range '5-1' ends before it starts"),
        ([{"name": "p", "schedule": "*/0 * * * *"}], {}, "step '0' in '*/0' is not a positive integer"),
        (
            [{"name": "p", "timezone": "Mars/Olympus"}],
            {},
            "field 'timezone': 'Mars/Olympus' is not an IANA time zone",
        ),
        ([{"name": "p", "disk_size": "10GB"}], {}, "field 'disk_size': '10GB' is not a Kubernetes quantity"),
        ([{"name": "p", "archived": "yes"}], {}, "field 'archived': expected true or false"),
        ([{"name": "p", "resources": {"requests": {"cpu": "lots"}}}], {}, "resources'.requests.cpu: 'lots'"),
        (["p"], {}, "project #1: expected a mapping"),
        ([{"name": "p"}], {"foundation": "CNCF"}, "foundation: 'CNCF' is not a DNS-1123 label"),
        ([{"name": "p"}], {"foundation": "f" * 31}, "at most 30 are allowed"),
        ([{"name": "p"}], {"sync_interval": "7m"}, "sync_interval: '7m' is not an interval"),
        ([{"name": "p"}], {"sync_interval": "5h"}, "sync_interval: '5h' is not an interval"),
        ([{"name": "p"}], {"time_zone": "UTC+2"}, "time_zone: 'UTC+2' is not an IANA time zone"),
        ([{"name": "p"}], {"volume_size": "big"}, "volume_size: 'big' is not a Kubernetes quantity"),
        (
            [{"name": "p"}],
            {"database_secret": "Bad_Secret"},
            "database_secret: 'Bad_Secret' is not a DNS-1123",
        ),
        ([{"name": "p"}], {"run_as_user": 0}, "run_as_user: pods run as non-root"),
        ([{"name": "p"}], {"image": " "}, "image: the sync tool's image must be a non-empty string"),
        ([{"name": "p"}], {"backoff_limit": -1}, "backoff_limit: expected a whole number of at least 0"),
    ],
)
def test_bad_input_names_what_and_where(projects: list[Any], options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        _render(projects, **options)
    assert message in str(error.value)
