"""Filters of the k8s_objects role and the projects.yaml filter of the devstats role."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from plugins.filter.devstats_config import devstats_projects_config
from plugins.filter.k8s_objects import (
    k8s_foundation_files,
    k8s_kinds,
    k8s_label_selectors,
    k8s_manifest_yaml,
    k8s_owned,
    k8s_owner_selectors,
    k8s_render_files,
    k8s_render_pending,
    k8s_stale,
)
from plugins.module_utils.inventory_model import validate_inventory


def _cm(name: str, namespace: str | None = "ns", **labels: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {"b": "2\nthree\n", "a": "1"},
    }


def test_recommended_labels_are_added_where_missing_and_the_owner_is_forced() -> None:
    original = _cm("x", **{"app.kubernetes.io/part-of": "other", "app.kubernetes.io/name": "grafana"})
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
    (same,) = k8s_owned([_cm("x", **{"devstats.platform/owner": "cncf.devstats"})], "cncf", "devstats")
    assert same["metadata"]["labels"]["devstats.platform/owner"] == "cncf.devstats"
    with pytest.raises(
        AnsibleFilterError, match=r"manifest #2 \(ConfigMap y\) sets the label devstats.platform/owner"
    ):
        k8s_owned([_cm("x"), _cm("y", **{"devstats.platform/owner": "cncf.patroni"})], "cncf", "devstats")


def test_pruning_selects_by_the_owner_label_alone() -> None:
    assert k8s_owner_selectors("cncf", "devstats") == ["devstats.platform/owner=cncf.devstats"]
    with pytest.raises(AnsibleFilterError, match="is not a valid label value"):
        k8s_owner_selectors("a" * 60, "devstats")


def test_file_names_are_stable_and_unique() -> None:
    files = k8s_render_files(
        [_cm("cfg"), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}], "devstats"
    )
    assert [f["file"] for f in files] == ["devstats.configmap.ns.cfg.yaml", "devstats.namespace.ns.yaml"]
    with pytest.raises(AnsibleFilterError, match="manifest #2 and manifest #1 are the same object"):
        k8s_render_files([_cm("cfg"), _cm("cfg")], "devstats")


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


def test_yaml_is_sorted_and_readable() -> None:
    text = k8s_manifest_yaml(_cm("cfg"))
    assert text.startswith("---\napiVersion: v1\ndata:\n  a: '1'\n  b: |\n    2\n    three\n")
    assert yaml.safe_load(text) == _cm("cfg")


def test_pending_lists_only_files_that_differ(tmp_path: Path) -> None:
    files = k8s_render_files([_cm("one"), _cm("two")], "c")
    assert [p["file"] for p in k8s_render_pending(files, str(tmp_path))] == [f["file"] for f in files]
    (tmp_path / files[0]["file"]).write_text(k8s_manifest_yaml(files[0]["manifest"]))
    (tmp_path / files[1]["file"]).write_text("stale")
    pending = k8s_render_pending(files, str(tmp_path))
    assert [(p["file"], p["kind"]) for p in pending] == [(files[1]["file"], "ConfigMap")]


def test_stale_objects_and_selectors() -> None:
    found = [_cm("keep"), _cm("gone"), _cm("keep", namespace="other")]
    assert k8s_stale(found, [_cm("keep")]) == [
        {"api_version": "v1", "kind": "ConfigMap", "namespace": "ns", "name": "gone"},
        {"api_version": "v1", "kind": "ConfigMap", "namespace": "other", "name": "keep"},
    ]
    assert k8s_kinds([_cm("a"), _cm("b")]) == [{"api_version": "v1", "kind": "ConfigMap"}]
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
        "archived": False,
        "disabled": False,
    }
    assert second["regexp"] == "^a/"
    assert second["start_date"] == "2014-01-01 05"
    assert "main_repo" not in second
    with pytest.raises(AnsibleFilterError, match="did the preflight play run"):
        devstats_projects_config([{"title": "x"}])


def test_only_files_of_the_foundations_objects_are_listed(tmp_path: Path) -> None:
    owned = k8s_owned([_cm("cfg"), _cm("other-cfg")], "cncf", "devstats")
    (tmp_path / "devstats.configmap.ns.cfg.yaml").write_text(k8s_manifest_yaml(owned[0]))
    (tmp_path / "patroni.configmap.ns.other-cfg.yaml").write_text(k8s_manifest_yaml(owned[1]))
    (tmp_path / "graphql.yaml").write_text(k8s_manifest_yaml(k8s_owned([_cm("x")], "graphql", "devstats")[0]))
    (tmp_path / "notes.yaml").write_text("remember to vault the tokens\n")
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    (tmp_path / "unlabelled.yaml").write_text(k8s_manifest_yaml(_cm("y")))
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    (tmp_path / "README.md").write_text("not yaml\n")
    assert k8s_foundation_files(str(tmp_path), "cncf") == {
        "owned": ["devstats.configmap.ns.cfg.yaml", "patroni.configmap.ns.other-cfg.yaml"],
        "stray": ["broken.yaml", "graphql.yaml", "notes.yaml", "unlabelled.yaml"],
    }


def test_a_render_directory_a_check_run_did_not_create_holds_no_files(tmp_path: Path) -> None:
    assert k8s_foundation_files(str(tmp_path / "example"), "example") == {"owned": [], "stray": []}
