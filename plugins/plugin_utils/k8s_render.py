# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Render mode of the k8s_objects role: one component's objects written into a foundation's directory.

Controller-side (the render_manifests action plugin and the k8s_objects filters), so it may use PyYAML.
A render directory mirrors the desired state of a foundation for GitOps: one file per object, named
`<component>.<kind>.<namespace>.<name>.yaml`, and a kustomization.yaml listing every file that holds an
object of the foundation. Rendering a component again writes only the files whose bytes differ,
removes the files of objects the component no longer renders, and lists the foundation's files again;
a check run computes exactly the same plan and writes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from ..module_utils.k8s_ownership import OWNER_LABEL

KUSTOMIZATION = "kustomization.yaml"
KUSTOMIZATION_HEADER = (
    "---\n"
    "# Written by devstats.platform (role k8s_objects): every object file of this foundation.\n"
    "apiVersion: kustomize.config.k8s.io/v1beta1\n"
    "kind: Kustomization\n"
)
# What a diff shows instead of a Secret's content, which must never reach a log.
HIDDEN = "(the content of a Secret is not shown)\n"


class _ManifestDumper(yaml.SafeDumper):
    """Block style, and multi-line strings (a ConfigMap's files) as literal blocks people can read."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_ManifestDumper.add_representer(str, _represent_str)


def manifest_yaml(manifest: Any) -> str:
    """The file content of one object: a YAML document, keys sorted, so equal objects give equal bytes."""
    # Through JSON to plain types: what Kubernetes accepts anyway, and no templating types in the dump.
    plain = json.loads(json.dumps(manifest))
    body = yaml.dump(
        plain, Dumper=_ManifestDumper, default_flow_style=False, sort_keys=True, width=4096, indent=2
    )
    return "---\n" + body


def kustomization_yaml(files: Sequence[str]) -> str:
    """The kustomization.yaml listing these files, in the order given."""
    return KUSTOMIZATION_HEADER + "resources:\n" + "".join(f"  - {name}\n" for name in files)


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def render_pending(labelled: Sequence[Mapping[str, Any]], directory: str) -> list[dict[str, Any]]:
    """The objects (entries of k8s_render_files) whose file in `directory` differs from what it should
    hold: {file, kind, content, before} each, `before` None for a new file."""
    pending = []
    for entry in labelled:
        content = manifest_yaml(entry["manifest"])
        before = _read(os.path.join(directory, entry["file"]))
        if before != content:
            pending.append(
                {
                    "file": entry["file"],
                    "kind": entry["manifest"]["kind"],
                    "content": content,
                    "before": before,
                }
            )
    return pending


def foundation_files(directory: str, foundation: str) -> dict[str, list[str]]:
    """The object files of `directory` by whether an object of the collection for `foundation` is in them.

    {"owned": [...], "stray": [...]}, file names sorted: a file is owned when it holds one object whose
    ownership label names the foundation (any component); anything else a person or a tool left there
    (notes, a broken file, another foundation's object) is stray, so the kustomization never lists it.
    A directory that does not exist yet (a check run, which creates nothing) holds no files.
    """
    owned: list[str] = []
    stray: list[str] = []
    if not os.path.isdir(directory):
        return {"owned": owned, "stray": stray}
    prefix = f"{foundation}."
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".yaml") or name == KUSTOMIZATION or name.startswith("."):
            continue
        try:
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                manifest = yaml.safe_load(handle)
            owner = manifest["metadata"]["labels"][OWNER_LABEL]
        except (OSError, yaml.YAMLError, TypeError, KeyError):
            owner = None
        (owned if isinstance(owner, str) and owner.startswith(prefix) else stray).append(name)
    return {"owned": owned, "stray": stray}


@dataclass
class RenderPlan:
    """What rendering one component changes in a foundation's directory."""

    directory: str
    create_directory: bool
    pending: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    stray: list = field(default_factory=list)
    kustomization: str = ""
    kustomization_before: Optional[str] = None

    @property
    def changed(self) -> bool:
        return bool(
            self.create_directory
            or self.pending
            or self.stale
            or self.kustomization != self.kustomization_before
        )


def plan_render(
    directory: str, foundation: str, component: str, labelled: Sequence[Mapping[str, Any]]
) -> RenderPlan:
    """The plan of rendering `labelled` (k8s_render_files entries of one component, already labelled)."""
    files = [entry["file"] for entry in labelled]
    for name in files:
        if os.path.basename(name) != name or name.startswith(".") or name == KUSTOMIZATION:
            raise ValueError(f"refusing to write {name!r}: not a plain object file name")
    present = foundation_files(directory, foundation)
    component_prefix = f"{component}."
    # A file this component wrote earlier for an object it no longer renders would deploy a removed
    # object through GitOps; whatever else holds the component's prefix is its to replace.
    existing = present["owned"] + present["stray"]
    stale = sorted(name for name in existing if name.startswith(component_prefix) and name not in files)
    others = [name for name in present["owned"] if not name.startswith(component_prefix)]
    stray = [name for name in present["stray"] if not name.startswith(component_prefix)]
    return RenderPlan(
        directory=directory,
        create_directory=not os.path.isdir(directory),
        pending=render_pending(labelled, directory),
        stale=stale,
        stray=stray,
        kustomization=kustomization_yaml(sorted(set(others) | set(files))),
        kustomization_before=_read(os.path.join(directory, KUSTOMIZATION)),
    )


def _write(directory: str, name: str, content: str) -> None:
    # Through a temporary file and a rename, so a reader never sees half a manifest.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, os.path.join(directory, name))
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def carry_out(plan: RenderPlan) -> None:
    """Makes the directory what the plan says: files written, stale files removed, kustomization last."""
    os.makedirs(plan.directory, mode=0o755, exist_ok=True)
    for entry in plan.pending:
        _write(plan.directory, entry["file"], entry["content"])
    for name in plan.stale:
        os.unlink(os.path.join(plan.directory, name))
    if plan.kustomization != plan.kustomization_before:
        _write(plan.directory, KUSTOMIZATION, plan.kustomization)


def plan_diffs(plan: RenderPlan) -> list[dict[str, str]]:
    """Ansible diffs of the plan, one per file; a Secret's content is replaced by a notice."""
    diffs = []
    for entry in plan.pending:
        secret = entry["kind"] == "Secret"
        before = entry["before"]
        diffs.append(
            {
                "before_header": os.path.join(plan.directory, entry["file"])
                if before is not None
                else "(absent)",
                "after_header": os.path.join(plan.directory, entry["file"]),
                "before": "" if before is None else HIDDEN if secret else before,
                "after": HIDDEN if secret else entry["content"],
            }
        )
    for name in plan.stale:
        path = os.path.join(plan.directory, name)
        diffs.append({"before_header": path, "after_header": "(absent)", "before": "(file)\n", "after": ""})
    if plan.kustomization != plan.kustomization_before:
        path = os.path.join(plan.directory, KUSTOMIZATION)
        diffs.append(
            {
                "before_header": path,
                "after_header": path,
                "before": plan.kustomization_before or "",
                "after": plan.kustomization,
            }
        )
    return diffs
