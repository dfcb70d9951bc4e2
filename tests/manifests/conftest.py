"""The manifests tier: every example inventory rendered once, shared by the tests of this directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ansible_playbook import INVENTORIES, render


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example inventory rendered once, each into its own directory."""
    out = {}
    for inventory in INVENTORIES:
        directory = tmp_path_factory.mktemp(f"render-{inventory}")
        render(inventory, directory)
        out[inventory] = directory
    return out
