"""The patroni role's configuration diff: what PATCH /config gets, from what Patroni reports."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

from plugins.filter.patroni_config import patroni_api_root, patroni_config_patch

DESIRED: dict[str, Any] = {
    "ttl": 30,
    "loop_wait": 10,
    "synchronous_mode": False,
    "postgresql": {
        "use_pg_rewind": True,
        "use_slots": True,
        "parameters": {"max_connections": 200, "shared_buffers": "512MB", "wal_log_hints": "on"},
        "pg_hba": ["local all all scram-sha-256", "host all all 0.0.0.0/0 scram-sha-256"],
    },
}


def _current(**changes: Any) -> dict[str, Any]:
    current = copy.deepcopy(DESIRED)
    current.update(changes)
    return current


def test_the_same_configuration_needs_no_patch_whatever_the_json_types() -> None:
    assert patroni_config_patch(DESIRED, DESIRED) == {}
    # Patroni answers what it was given: "30" or "False" from an earlier PATCH compare equal.
    assert patroni_config_patch(_current(ttl="30", synchronous_mode="false"), DESIRED) == {}


def test_only_what_differs_is_sent() -> None:
    current = _current(ttl=20)
    current["postgresql"]["parameters"]["shared_buffers"] = "256MB"
    assert patroni_config_patch(current, DESIRED) == {
        "ttl": 30,
        "postgresql": {"parameters": {"shared_buffers": "512MB"}},
    }


def test_a_parameter_the_inventory_no_longer_names_is_removed() -> None:
    current = _current()
    current["postgresql"]["parameters"]["work_mem"] = "64MB"
    assert patroni_config_patch(current, DESIRED) == {"postgresql": {"parameters": {"work_mem": None}}}


def test_parameters_compare_as_written_and_other_postgresql_settings_exactly() -> None:
    current = _current()
    current["postgresql"]["parameters"]["shared_buffers"] = "512mb"
    current["postgresql"]["pg_hba"] = ["local all all trust"]
    assert patroni_config_patch(current, DESIRED) == {
        "postgresql": {"parameters": {"shared_buffers": "512MB"}, "pg_hba": DESIRED["postgresql"]["pg_hba"]}
    }


def test_an_empty_dcs_gets_everything_and_unknown_settings_stay() -> None:
    assert patroni_config_patch({}, DESIRED) == DESIRED
    assert patroni_config_patch(_current(master_start_timeout=300), DESIRED) == {}


def test_the_inputs_are_not_modified() -> None:
    current = _current(ttl=5)
    before = copy.deepcopy((current, DESIRED))
    patroni_config_patch(current, DESIRED)
    assert (current, DESIRED) == before


def test_input_that_is_not_a_configuration_is_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="both mappings; got str and dict"):
        patroni_config_patch("{}", DESIRED)


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("http://10.0.0.5:8008/patroni", "http://10.0.0.5:8008"),
        ("https://db-0.db-members:8008/patroni", "https://db-0.db-members:8008"),
        ("http://127.1.2.3:8008/", "http://127.1.2.3:8008"),
    ],
)
def test_the_rest_api_root_of_a_member(url: str, root: str) -> None:
    assert patroni_api_root(url) == root


@pytest.mark.parametrize("url", [None, "", "10.0.0.5:8008/patroni"])
def test_a_member_without_a_rest_api_url_is_refused(url: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="is not the URL of a Patroni REST API"):
        patroni_api_root(url)
