"""`ansible-galaxy collection build` works and the tarball carries the collection, not the workshop."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

from plugins.module_utils.project_schema import SCHEMA_PATH, project_schema

ROOT = Path(__file__).resolve().parents[2]
NEVER_SHIPPED = (
    "tests/",
    "molecule/",
    "bench/",
    "build/",
    ".venv/",
    ".collections/",
    ".git/",
    ".ci/",
    "sync_tool/tests/",
)


def test_the_collection_builds_without_tests_and_build_leftovers(tmp_path: Path) -> None:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-galaxy"),
            "collection",
            "build",
            "--output-path",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")),
        check=True,
        capture_output=True,
        timeout=120,
    )
    tarball = tmp_path / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    with tarfile.open(tarball) as archive:
        names = [member.name + ("/" if member.isdir() else "") for member in archive.getmembers()]
    assert [name for name in names if name.startswith(NEVER_SHIPPED)] == []
    assert [
        name for name in names if "__pycache__" in name or ".egg-info" in name or name.endswith(".pyc")
    ] == []
    for shipped in (
        "MANIFEST.json",
        "meta/runtime.yml",
        "plugins/action/validate_inventory.py",
        "plugins/modules/validate_inventory.py",
        "plugins/module_utils/inventory_model.py",
        "plugins/module_utils/inventory_values.py",
        "plugins/module_utils/project_schema.py",
        # The project fields preflight reads, which the sync tool owns (see project_schema.py).
        SCHEMA_PATH,
        "roles/preflight/tasks/main.yml",
        "roles/versions/defaults/main.yml",
        "playbooks/site.yml",
        "playbooks/preflight.yml",
        "docs/inventory.md",
        "inventories/local/hosts.yml",
    ):
        assert shipped in names
    # The installed collection finds them relative to its own root.
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path / "collection", filter="data")
    assert project_schema(str(tmp_path / "collection")).names() == project_schema().names()
