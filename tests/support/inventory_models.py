"""Preflight's model of a foundation, made from inventory variables the way the preflight play makes it.

Tests of what consumes the model (the project_cronjobs module, the projects.yaml filter) start from
raw inventory variables and go through the real validation, so the seam with preflight is tested too.
"""

from __future__ import annotations

import datetime
from typing import Any

from plugins.module_utils.inventory_model import validate_inventory

# Far enough ahead that every start date of the tests is in the past.
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

# One small valid foundation, for tests of the platform's variables.
ONE_FOUNDATION: dict[str, Any] = {
    "cdf": {
        "ansible_connection": "local",
        "devstats_domain": "devstats.cd.foundation",
        "devstats_projects": [{"name": "tekton", "orgs": ["tektoncd"], "start_date": "2018-08-01"}],
    }
}

# What the devstats role passes to the project_cronjobs module besides the model.
WORKLOAD_OPTIONS: dict[str, Any] = {
    "image": "ghcr.io/devstats/devstats-sync:0.1.0",
    "image_pull_policy": "IfNotPresent",
    "config_map": "devstats-projects",
    "database_secret": "devstats-postgres-app",
    "github_secret": "devstats-github",
    "database_host": "devstats-postgres",
    "database_port": 5432,
    "pod_labels": {"app.kubernetes.io/name": "devstats", "app.kubernetes.io/part-of": "cncf"},
    "node_selector": {},
    "tolerations": [],
}


def foundation_model(projects: list[dict[str, Any]], name: str = "cncf", **variables: Any) -> dict[str, Any]:
    """The model of one foundation with these projects (each gets an org and a start date unless it
    sets its own) and these foundation variables (devstats_*); fails on any preflight error."""
    raw_projects = [{"orgs": ["example"], "start_date": "2020-01-01", **project} for project in projects]
    raw = {
        "ansible_connection": "local",
        "devstats_domain": f"devstats.{name}.io",
        "devstats_projects": raw_projects,
        **variables,
    }
    model = validate_inventory({name: raw}, {"platform_target": "none"}, now=NOW)
    assert model.errors == [], model.errors
    return model.foundations[name]
