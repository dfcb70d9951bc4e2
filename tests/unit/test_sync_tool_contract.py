"""The seam between the collection and the sync tool: what the rendered workloads run, the tool accepts;
the users the patroni role creates are the ones the tool's init names."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from devstats_sync import cli
from devstats_sync.commands import init

from plugins.module_utils.project_manifests import render_workloads
from tests.support.inventory_models import WORKLOAD_OPTIONS as OPTIONS
from tests.support.inventory_models import foundation_model

PATRONI_DEFAULTS = Path(__file__).resolve().parents[2] / "roles" / "patroni" / "defaults" / "main.yml"
SOURCES: list[dict[str, Any]] = [
    {},
    {"git": "https://github.com/cncf/gitdm.git", "ref": "v1", "companies_path": "companies.yaml"},
    {"config_map": "gitdm-files", "companies_path": "companies.yaml"},
    {"claim": "gitdm-volume"},
]


def _commands(affiliations: dict[str, Any]) -> list[list[str]]:
    model = foundation_model(
        [{"name": "kubernetes"}, {"name": "prometheus"}], devstats_affiliations=affiliations
    )
    commands = []
    for manifest in render_workloads(model, OPTIONS)["resources"]:
        spec = manifest.get("spec", {})
        pod = spec.get("jobTemplate", {}).get("spec", spec).get("template", {}).get("spec")
        for container in (pod or {}).get("containers", []):
            assert container["command"] == ["devstats-sync"]
            commands.append(container["args"])
    return commands


@pytest.mark.parametrize("affiliations", SOURCES, ids=["none", "git", "config_map", "claim"])
def test_every_rendered_command_is_one_the_sync_tool_accepts(affiliations: dict[str, Any]) -> None:
    commands = _commands(affiliations)
    assert {args[0] for args in commands} == {"ingest", "provision", "sync"} | (
        {"affiliations"} if affiliations else set()
    )
    parser = cli.build_parser()
    for args in commands:
        refused = io.StringIO()
        with contextlib.redirect_stderr(refused):
            try:
                parsed = parser.parse_args(args)
            except SystemExit:
                pytest.fail(f"devstats-sync refuses {' '.join(args)}: {refused.getvalue()}")
        if args[0] in ("provision", "sync"):
            assert parsed.ingest is False, args


def test_init_names_the_users_the_patroni_role_creates() -> None:
    defaults = yaml.safe_load(PATRONI_DEFAULTS.read_text())
    assert (
        defaults["patroni_app_username"],
        defaults["patroni_readonly_username"],
        defaults["patroni_team_username"],
    ) == (init.OWNER_ROLE, init.READONLY_ROLE, init.TEAM_ROLE)
