"""Role variables and templates as Ansible resolves them (its own Templar, the roles' defaults and vars,
the pins of roles/versions), for unit tests of what a role computes without running a play."""

from __future__ import annotations

from typing import Any

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from tests.support.ansible_playbook import REPO_ROOT, VERSIONS

ROLES = REPO_ROOT / "roles"


def _trusted(value: Any) -> Any:
    """Role defaults as Ansible loads them: their strings are templates."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    return value


def render(role: str, template: str, **overrides: Any) -> str:
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    internal = yaml.safe_load((ROLES / role / "vars" / "main.yml").read_text())
    variables = {
        **VERSIONS,
        **defaults,
        **internal,
        "ansible_managed": "Ansible managed",
        "ansible_facts": {"architecture": "x86_64"},
        **overrides,
    }
    templar = Templar(loader=DataLoader(), variables=_trusted(variables))
    source = (ROLES / role / "templates" / template).read_text()
    return str(templar.template(trust_as_template(source)))


def resolve(role: str, expression: str, **overrides: Any) -> Any:
    """A role variable's value as a task would see it."""
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    internal = yaml.safe_load((ROLES / role / "vars" / "main.yml").read_text())
    variables = {**VERSIONS, **defaults, **internal, **overrides}
    templar = Templar(loader=DataLoader(), variables=_trusted(variables))
    return templar.template(trust_as_template("{{ " + expression + " }}"))
