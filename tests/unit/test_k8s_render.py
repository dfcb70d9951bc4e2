"""Render mode of the k8s_objects role (plugins/plugin_utils/k8s_render.py): files, stale files, the
kustomization, check runs and diffs, on a real directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from plugins.filter.k8s_objects import k8s_owned, k8s_render_files
from plugins.plugin_utils.k8s_render import (
    HIDDEN,
    carry_out,
    foundation_files,
    manifest_yaml,
    plan_diffs,
    plan_render,
    render_pending,
)
from tests.support.k8s_manifests import config_map


def _secret(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "ns"},
        "stringData": {"password": "s3cret-value"},
    }


def _objects(component: str, *manifests: dict[str, Any], foundation: str = "cncf") -> list[dict[str, Any]]:
    return k8s_render_files(k8s_owned(list(manifests), foundation, component), component)


def _render(directory: Path, component: str, *manifests: dict[str, Any], check: bool = False):
    plan = plan_render(str(directory), "cncf", component, _objects(component, *manifests))
    if not check:
        carry_out(plan)
    return plan


def test_yaml_is_sorted_and_readable() -> None:
    text = manifest_yaml(config_map("cfg"))
    assert text.startswith("---\napiVersion: v1\ndata:\n  a: '1'\n  b: |\n    2\n    three\n")
    assert yaml.safe_load(text) == config_map("cfg")


def test_pending_lists_only_files_that_differ(tmp_path: Path) -> None:
    files = k8s_render_files([config_map("one"), config_map("two")], "c")
    assert [p["file"] for p in render_pending(files, str(tmp_path))] == [f["file"] for f in files]
    (tmp_path / files[0]["file"]).write_text(manifest_yaml(files[0]["manifest"]))
    (tmp_path / files[1]["file"]).write_text("stale")
    pending = render_pending(files, str(tmp_path))
    assert [(p["file"], p["kind"]) for p in pending] == [(files[1]["file"], "ConfigMap")]


def test_only_files_of_the_foundations_objects_are_listed(tmp_path: Path) -> None:
    owned = k8s_owned([config_map("cfg"), config_map("other-cfg")], "cncf", "devstats")
    (tmp_path / "devstats.configmap.ns.cfg.yaml").write_text(manifest_yaml(owned[0]))
    (tmp_path / "patroni.configmap.ns.other-cfg.yaml").write_text(manifest_yaml(owned[1]))
    (tmp_path / "graphql.yaml").write_text(
        manifest_yaml(k8s_owned([config_map("x")], "graphql", "devstats")[0])
    )
    (tmp_path / "notes.yaml").write_text("remember to vault the tokens\n")
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    (tmp_path / "unlabelled.yaml").write_text(manifest_yaml(config_map("y")))
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    (tmp_path / "README.md").write_text("not yaml\n")
    assert foundation_files(str(tmp_path), "cncf") == {
        "owned": ["devstats.configmap.ns.cfg.yaml", "patroni.configmap.ns.other-cfg.yaml"],
        "stray": ["broken.yaml", "graphql.yaml", "notes.yaml", "unlabelled.yaml"],
    }


def test_a_render_directory_a_check_run_did_not_create_holds_no_files(tmp_path: Path) -> None:
    assert foundation_files(str(tmp_path / "example"), "example") == {"owned": [], "stray": []}


def test_a_first_render_writes_every_file_and_a_kustomization_and_a_second_changes_nothing(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "cncf"
    first = _render(directory, "devstats", config_map("a"), config_map("b"))
    assert first.changed and first.create_directory
    names = sorted(path.name for path in directory.iterdir())
    assert names == ["devstats.configmap.ns.a.yaml", "devstats.configmap.ns.b.yaml", "kustomization.yaml"]
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    assert kustomization == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["devstats.configmap.ns.a.yaml", "devstats.configmap.ns.b.yaml"],
    }
    assert oct((directory / names[0]).stat().st_mode & 0o777) == "0o644"
    again = _render(directory, "devstats", config_map("a"), config_map("b"))
    assert not again.changed and again.pending == [] and again.stale == []


def test_components_share_the_kustomization_and_remove_only_their_own_stale_files(tmp_path: Path) -> None:
    _render(tmp_path, "patroni", config_map("db"))
    _render(tmp_path, "devstats", config_map("a"), config_map("gone"))
    plan = _render(tmp_path, "devstats", config_map("a"))
    assert plan.stale == ["devstats.configmap.ns.gone.yaml"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "devstats.configmap.ns.a.yaml",
        "kustomization.yaml",
        "patroni.configmap.ns.db.yaml",
    ]
    resources = yaml.safe_load((tmp_path / "kustomization.yaml").read_text())["resources"]
    assert resources == ["devstats.configmap.ns.a.yaml", "patroni.configmap.ns.db.yaml"]


def test_files_someone_left_are_neither_listed_nor_touched(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("remember to vault the tokens\n")
    plan = _render(tmp_path, "devstats", config_map("a"))
    assert plan.stray == ["notes.yaml"]
    assert (tmp_path / "notes.yaml").read_text() == "remember to vault the tokens\n"
    resources = yaml.safe_load((tmp_path / "kustomization.yaml").read_text())["resources"]
    assert resources == ["devstats.configmap.ns.a.yaml"]


def test_a_check_run_plans_the_same_and_writes_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "cncf"
    checked = _render(directory, "devstats", config_map("a"), check=True)
    assert not directory.exists()
    done = _render(directory, "devstats", config_map("a"))
    assert [e["file"] for e in checked.pending] == [e["file"] for e in done.pending]
    assert checked.kustomization == done.kustomization and checked.changed
    before = {path.name: path.read_bytes() for path in directory.iterdir()}
    removal = _render(directory, "devstats", config_map("b"), check=True)
    assert removal.stale == ["devstats.configmap.ns.a.yaml"] and removal.changed
    assert {path.name: path.read_bytes() for path in directory.iterdir()} == before


def test_diffs_show_files_but_never_a_secrets_content(tmp_path: Path) -> None:
    plan = _render(tmp_path, "devstats", config_map("a"), _secret("db"), check=True)
    diffs = plan_diffs(plan)
    text = repr(diffs)
    assert "s3cret-value" not in text
    secret_diff = next(d for d in diffs if d["after_header"].endswith("secret.ns.db.yaml"))
    assert secret_diff["after"] == HIDDEN and secret_diff["before_header"] == "(absent)"
    assert any("data:" in d["after"] for d in diffs if d["after_header"].endswith("configmap.ns.a.yaml"))
    assert diffs[-1]["after_header"].endswith("kustomization.yaml")


def test_an_object_file_name_that_is_not_plain_is_refused(tmp_path: Path) -> None:
    entries = _objects("devstats", config_map("a"))
    entries[0] = {**entries[0], "file": "../escape.yaml"}
    with pytest.raises(ValueError, match="not a plain object file name"):
        plan_render(str(tmp_path), "cncf", "devstats", entries)
