"""Filters of the k8s_objects role and the projects.yaml filter of the devstats role."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

from plugins.filter.devstats_config import devstats_projects_config
from plugins.filter.k8s_objects import (
    k8s_kinds,
    k8s_label_selectors,
    k8s_owned,
    k8s_owner_selectors,
    k8s_render_files,
    k8s_stale,
)
from plugins.module_utils.inventory_model import validate_inventory
from tests.support.k8s_manifests import config_map


def test_recommended_labels_are_added_where_missing_and_the_owner_is_forced() -> None:
    original = config_map("x", **{"app.kubernetes.io/part-of": "other", "app.kubernetes.io/name": "grafana"})
    (labelled,) = k8s_owned([original], "cncf", "devstats")
    assert labelled["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "devstats-platform",
        "app.kubernetes.io/part-of": "other",
        "app.kubernetes.io/name": "grafana",
        "devstats.platform/owner": "cncf.devstats",
    }
    assert original["metadata"]["labels"] == {
        "app.kubernetes.io/part-of": "other",
        "app.kubernetes.io/name": "grafana",
    }


def test_an_object_cannot_claim_another_owner() -> None:
    (same,) = k8s_owned([config_map("x", **{"devstats.platform/owner": "cncf.devstats"})], "cncf", "devstats")
    assert same["metadata"]["labels"]["devstats.platform/owner"] == "cncf.devstats"
    with pytest.raises(
        AnsibleFilterError, match=r"manifest #2 \(ConfigMap y\) sets the label devstats.platform/owner"
    ):
        k8s_owned(
            [config_map("x"), config_map("y", **{"devstats.platform/owner": "cncf.patroni"})],
            "cncf",
            "devstats",
        )


def test_pruning_selects_by_the_owner_label_alone() -> None:
    assert k8s_owner_selectors("cncf", "devstats") == ["devstats.platform/owner=cncf.devstats"]
    with pytest.raises(AnsibleFilterError, match="is not a valid label value"):
        k8s_owner_selectors("a" * 60, "devstats")


def test_file_names_are_stable_and_unique() -> None:
    files = k8s_render_files(
        [config_map("cfg"), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}], "devstats"
    )
    assert [f["file"] for f in files] == ["devstats.configmap.ns.cfg.yaml", "devstats.namespace.ns.yaml"]
    with pytest.raises(AnsibleFilterError, match="manifest #2 and manifest #1 are the same object"):
        k8s_render_files([config_map("cfg"), config_map("cfg")], "devstats")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("text", "manifest #1: expected a mapping"),
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "'apiVersion' is missing"),
        ({"apiVersion": "v1", "metadata": {"name": "x"}}, "'kind' is missing"),
        (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
            "(ConfigMap): 'metadata.name' is missing",
        ),
    ],
)
def test_bad_manifests_are_named(manifest: Any, message: str) -> None:
    with pytest.raises(AnsibleFilterError) as error:
        k8s_render_files([manifest], "c")
    assert message in str(error.value)


def test_stale_objects_and_selectors() -> None:
    found = [config_map("keep"), config_map("gone"), config_map("keep", namespace="other")]
    assert k8s_stale(found, [config_map("keep")]) == [
        {"api_version": "v1", "kind": "ConfigMap", "namespace": "ns", "name": "gone"},
        {"api_version": "v1", "kind": "ConfigMap", "namespace": "other", "name": "keep"},
    ]
    assert k8s_kinds([config_map("a"), config_map("b")]) == [{"api_version": "v1", "kind": "ConfigMap"}]
    assert k8s_label_selectors({"b": "2", "a": "1"}) == ["a=1", "b=2"]


NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def test_projects_config_takes_the_preflight_model() -> None:
    raw = {
        "devstats_domain": "devstats.cd.foundation",
        "devstats_projects": [
            {
                "name": "jenkins-x",
                "orgs": ["jenkins-x"],
                "start_date": datetime.date(2018, 1, 1),
                "schedule": "1 * * * *",
            },
            {"name": "all", "title": "All", "db": "allprj", "regexp": "^a/", "start_date": "2014-01-01 05"},
        ],
        "ansible_connection": "local",
    }
    model = validate_inventory({"cdf": raw}, {"platform_target": "none"}, now=NOW)
    assert not model.errors, model.errors
    config = devstats_projects_config(model.foundations["cdf"])
    assert config["foundation"] == "cdf"
    assert config["domain"] == "devstats.cd.foundation"
    first, second = config["projects"]
    assert first == {
        "name": "jenkins-x",
        "title": "jenkins-x",
        "db": "jenkins_x",
        "orgs": ["jenkins-x"],
        "repos": [],
        "exclude_repos": [],
        "start_date": "2018-01-01",
        "project_scale": 1.0,
        "archived": False,
        "disabled": False,
    }
    assert second["regexp"] == "^a/"
    assert second["start_date"] == "2014-01-01 05"
    assert "main_repo" not in second
    with pytest.raises(AnsibleFilterError, match="did the preflight play run"):
        devstats_projects_config([{"title": "x"}])
