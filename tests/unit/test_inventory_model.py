"""Unit tests of the inventory model (plugins/module_utils/inventory_*.py): each rule of docs/inventory.md."""

from __future__ import annotations

import copy
import datetime
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from plugins.module_utils import inventory_eks, inventory_foundations, inventory_values
from plugins.module_utils import inventory_model as model

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)


def valid_foundations() -> dict[str, dict[str, Any]]:
    return {
        "cncf": {
            "ansible_connection": "local",
            "devstats_domain": "devstats.cncf.io",
            "devstats_projects": [
                {"name": "kubernetes", "db": "gha", "orgs": ["kubernetes"], "start_date": "2014-06-01"},
                {"name": "prometheus", "orgs": ["prometheus"], "start_date": "2015-01-01"},
            ],
        },
        "graphql": {
            "ansible_connection": "local",
            "devstats_domain": "devstats.graphql.org",
            "devstats_projects": [
                {"name": "graphql-js", "repos": ["graphql/graphql-js"], "start_date": "2015-06-01 13"}
            ],
        },
    }


def valid_platform() -> dict[str, Any]:
    return {"platform_target": "none"}


def validate(foundations=None, platform=None, groups=None) -> model.Model:
    return model.validate_inventory(
        valid_foundations() if foundations is None else foundations,
        valid_platform() if platform is None else platform,
        groups,
        now=NOW,
    )


def load_example(name: str) -> tuple[dict, dict, dict]:
    directory = ROOT / "inventories" / name
    hosts = yaml.safe_load((directory / "hosts.yml").read_text())
    platform = {}
    for path in sorted((directory / "group_vars" / "all").glob("*.yml")):
        platform.update(yaml.safe_load(path.read_text()))
    groups = {group: list((body or {}).get("hosts") or {}) for group, body in hosts.items()}
    groups["kube_nodes"] = [
        h for child in (hosts.get("kube_nodes") or {}).get("children", {}) for h in groups[child]
    ]
    foundations = {
        name: {**host, **yaml.safe_load((directory / "host_vars" / f"{name}.yml").read_text())}
        for name, host in hosts["devstats_foundations"]["hosts"].items()
    }
    return foundations, platform, groups


# --- the examples and the defaults -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["local", "baremetal_example", "eks_example", "multi_foundation_example"])
def test_every_example_inventory_is_valid(name: str) -> None:
    foundations, platform, groups = load_example(name)
    result = model.validate_inventory(foundations, platform, groups)
    assert result.errors == []
    assert set(result.foundations) == set(foundations)


def test_multi_foundation_example_has_eight_real_cncf_projects_and_three_foundations() -> None:
    foundations, _, _ = load_example("multi_foundation_example")
    assert {"cncf", "graphql", "cdf"} <= set(foundations)
    assert len(foundations["cncf"]["devstats_projects"]) >= 8


def test_defaults_are_filled_in() -> None:
    result = validate()
    cncf = result.foundations["cncf"]
    assert cncf["namespace"] == "devstats-cncf"
    assert cncf["prune"] is False
    assert cncf["domain"] == "devstats.cncf.io"
    kubernetes, prometheus = cncf["projects"]
    assert kubernetes["db"] == "gha"
    assert kubernetes["title"] == "kubernetes"
    assert prometheus["db"] == "prometheus"
    assert prometheus["host"] == "prometheus.devstats.cncf.io"
    assert prometheus["timezone"] == "Etc/UTC"
    assert prometheus["repos"] == [] and prometheus["exclude_repos"] == []
    assert prometheus["archived"] is False and prometheus["disabled"] is False
    assert "schedule" not in prometheus and "regexp" not in prometheus
    graphql_js = result.foundations["graphql"]["projects"][0]
    assert graphql_js["db"] == "graphql_js"
    assert graphql_js["start_date"] == "2015-06-01 13"
    assert result.platform == {
        "target": "none",
        "mode": "render",
        "ingress_controller": "ingress-nginx",
        "ingress_baremetal_mode": "host-ports",
    }
    assert cncf["certificate_issuer"] == "production"
    assert "dashboards_dir" not in cncf


def test_explicit_values_win_over_defaults() -> None:
    foundations = valid_foundations()
    foundations["cncf"]["devstats_namespace"] = "cncf-apps"
    foundations["cncf"]["devstats_prune"] = True
    foundations["cncf"]["devstats_projects"][1].update(
        title="Prometheus", schedule="5 */2 * * *", timezone="Europe/Warsaw", disk_size="20Gi", archived=True
    )
    result = validate(foundations)
    assert result.errors == []
    cncf = result.foundations["cncf"]
    assert cncf["namespace"] == "cncf-apps" and cncf["prune"] is True
    prometheus = cncf["projects"][1]
    assert prometheus["title"] == "Prometheus"
    assert prometheus["schedule"] == "5 */2 * * *"
    assert prometheus["timezone"] == "Europe/Warsaw"
    assert prometheus["disk_size"] == "20Gi"
    assert prometheus["archived"] is True


def test_an_unquoted_yaml_date_is_a_date() -> None:
    foundations = valid_foundations()
    foundations["cncf"]["devstats_projects"][0]["start_date"] = datetime.date(2014, 6, 1)
    result = validate(foundations)
    assert result.errors == []
    assert result.foundations["cncf"]["projects"][0]["start_date"] == "2014-06-01"


# --- single values -----------------------------------------------------------------------------------

GOOD_CRON = [
    "* * * * *",
    "0 * * * *",
    "20 */2 * * *",
    "0,15,30,45 * * * *",
    "5-10/2 1-23/3 1,15 * *",
    "0 0 * JAN-MAR MON-FRI",
    "0 0 1 jan,jul sun",
    "59 23 31 12 6",
    "0 0 ? * MON",
    "7/10 * * * *",
    "00 05 01 01 0",
]
BAD_CRON = [
    ("", "has 0 fields"),
    ("* * * *", "has 4 fields"),
    ("* * * * * *", "has 6 fields"),
    ("@every 5m", "has 2 fields"),
    ("60 * * * *", "minute '60' is out of range 0-59"),
    ("* 24 * * *", "hour '24' is out of range 0-23"),
    ("* * 0 * *", "day of month '0' is out of range 1-31"),
    ("* * 32 * *", "day of month '32' is out of range 1-31"),
    ("* * * 13 *", "month '13' is out of range 1-12"),
    ("* * * * 7", "day of week '7' is out of range 0-6"),
    ("* * * FOO *", "month 'FOO' is not a number 1-12 or a name JAN/FEB"),
    ("* * * * MONDAY", "day of week 'MONDAY' is not a number 0-6"),
    ("*/0 * * * *", "minute step '0' in '*/0' is not a positive integer"),
    ("*/x * * * *", "step 'x'"),
    ("10-5 * * * *", "range '10-5' ends before it starts"),
    ("* * * * FRI-MON", "range 'FRI-MON' ends before it starts"),
    ("1-2-3 * * * *", "is not '*', a value or a range a-b"),
    ("1,,2 * * * *", "minute '' is not '*'"),
    ("? * * * *", "minute '?' is not a number"),
    ("-1 * * * *", "minute '-1' is not '*'"),
]


@pytest.mark.parametrize("expression", GOOD_CRON)
def test_good_cron_expressions(expression: str) -> None:
    assert inventory_values.cron_problem(expression) is None


@pytest.mark.parametrize(("expression", "expected"), BAD_CRON)
def test_bad_cron_expressions(expression: str, expected: str) -> None:
    problem = inventory_values.cron_problem(expression)
    assert problem is not None and expected in problem, problem


def test_a_cron_expression_must_be_a_string() -> None:
    assert inventory_values.cron_problem(5) == "5 is an integer, not a cron expression"


@pytest.mark.parametrize(
    "value", ["20Gi", "1", 1, "500M", "1.5Ti", "0.5Gi", ".5Gi", "1e9", "100k", "+2Gi", "3E"]
)
def test_good_quantities(value: Any) -> None:
    assert inventory_values.quantity_problem(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20GB", "is not a Kubernetes quantity"),
        ("Gi", "is not a Kubernetes quantity"),
        ("20 Gi", "is not a Kubernetes quantity"),
        ("20gi", "is not a Kubernetes quantity"),
        ("0Gi", "is not greater than zero"),
        ("-1Gi", "is not greater than zero"),
        (0, "is not greater than zero"),
        (True, "is a boolean, not a Kubernetes quantity"),
        ([20], "is a list, not a Kubernetes quantity"),
    ],
)
def test_bad_quantities(value: Any, expected: str) -> None:
    problem = inventory_values.quantity_problem(value)
    assert problem is not None and expected in problem, problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("kubernetes", None),
        ("k8s", None),
        ("3scale", None),
        ("a", None),
        ("a" * 39, None),
        ("a" * 40, "is 40 characters long; expected at most 39"),
        ("Kubernetes", "is not a DNS-1123 label"),
        ("kube_rnetes", "is not a DNS-1123 label"),
        ("-k8s", "is not a DNS-1123 label"),
        ("k8s-", "is not a DNS-1123 label"),
        ("k8s.io", "is not a DNS-1123 label"),
        ("", "is not a DNS-1123 label"),
        (42, "42 is an integer, not a DNS-1123 label"),
    ],
)
def test_dns_labels(value: Any, problem: str | None) -> None:
    found = inventory_values.dns_label_problem(value, inventory_foundations.PROJECT_NAME_MAX)
    assert (found is None) if problem is None else (found is not None and problem in found), found


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("devstats.cncf.io", True),
        ("localhost", True),
        ("a-b.c-d.example", True),
        ("x" * 63 + ".org", True),
        ("x" * 64 + ".org", False),
        (".".join(["abcdefghi"] * 26), False),
        ("Devstats.example.org", False),
        ("devstats..example.org", False),
        ("devstats.example.org.", False),
        ("*.example.org", False),
        ("https://devstats.example.org", False),
        (["devstats.example.org"], False),
    ],
)
def test_dns_names(value: Any, ok: bool) -> None:
    assert (inventory_values.dns_name_problem(value) is None) == ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("gha", True),
        ("graphql_js", True),
        ("_x", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("3scale", False),
        ("graphql-js", False),
        ("Gha", False),
        ("postgres", False),
        ("template1", False),
        ("devstats", False),
    ],
)
def test_database_names(value: str, ok: bool) -> None:
    assert (inventory_foundations.postgres_identifier_problem(value) is None) == ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("kubernetes", True),
        ("kubernetes-sigs", True),
        ("open-telemetry", True),
        ("A1", True),
        ("a" * 39, True),
        ("a" * 40, False),
        # Grandfathered forms: GitHub accounts from before 2013 keep them (project_fields.yaml).
        ("-kubernetes", True),
        ("kubernetes-", True),
        ("kube--rnetes", True),
        ("--", False),
        ("kube_rnetes", False),
        ("kube.rnetes", False),
        ("", False),
        (7, False),
    ],
)
def test_github_logins(value: Any, ok: bool) -> None:
    assert (inventory_foundations.github_login_problem(value) is None) == ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("kubernetes/kubernetes", True),
        ("kubernetes/kubernetes.github.io", True),
        ("graphql/graphql-js", True),
        ("a/b_c", True),
        ("kubernetes", False),
        ("kubernetes/", False),
        ("/kubernetes", False),
        ("a/b/c", False),
        ("a/..", False),
        ("a/.", False),
        ("old--owner/x", True),
        ("bad_owner/x", False),
        ("a/" + "x" * 101, False),
        ("a/b c", False),
    ],
)
def test_repositories(value: Any, ok: bool) -> None:
    assert (inventory_foundations.github_repo_problem(value) is None) == ok


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-06-01", None),
        ("2014-06-01 00", None),
        ("2014-06-01 23", None),
        ("2011-02-12", None),
        ("2026-01-01 12", None),
        (datetime.date(2014, 6, 1), None),
        ("2014-13-01", "'2014-13-01' is not a date; expected YYYY-MM-DD or 'YYYY-MM-DD HH'"),
        ("2014-02-30", "is not a date"),
        ("2014-06-01 24", "is not a date"),
        ("2014-06-01 5", "is not a date"),
        ("2014-06-01T00:00:00", "is not a date"),
        ("2014/06/01", "is not a date"),
        ("14-06-01", "is not a date"),
        (20140601, "is not a date"),
        (datetime.datetime(2014, 6, 1, 10, 30), "is not a date"),
        ("2011-02-11 23", "is before 2011-02-12, GH Archive's first hour"),
        ("2010-01-01", "is before 2011-02-12"),
        ("2026-01-01 13", "is in the future (now is 2026-01-01 12 UTC)"),
        ("2030-01-01", "is in the future"),
    ],
)
def test_start_dates(value: Any, expected: str | None) -> None:
    problem = inventory_foundations.start_date_problem(value, NOW)
    assert (problem is None) if expected is None else (problem is not None and expected in problem), problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Etc/UTC", None),
        ("Europe/Berlin", None),
        ("America/Argentina/Buenos_Aires", None),
        ("Europe/Berln", "did you mean 'Europe/Berlin'?"),
        ("Local", "is not an IANA time zone"),
        ("UTC+2", "is not an IANA time zone"),
        ("", "is not an IANA time zone"),
        (1, "is an integer, not a time zone"),
    ],
)
def test_timezones(value: Any, expected: str | None) -> None:
    problem = inventory_values.timezone_problem(value)
    assert (problem is None) if expected is None else (problem is not None and expected in problem), problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("^kubernetes/", None),
        ("^(a|b)/", None),
        ("^(a|b/", "is not a valid Python regular expression: missing ), unterminated subpattern"),
        ("[", "is not a valid Python regular expression"),
        ("", "is empty"),
        (["^a"], "is a list, not a regular expression"),
    ],
)
def test_regular_expressions(value: Any, expected: str | None) -> None:
    problem = inventory_values.regexp_problem(value)
    assert (problem is None) if expected is None else (problem is not None and expected in problem), problem


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (inventory_values.email_problem, "admins@example.org", "admins.example.org"),
        (inventory_values.email_problem, "a.b+c@mail.example.org", "a b@example.org"),
        (inventory_eks.aws_region_problem, "eu-west-1", "eu-west"),
        (inventory_eks.aws_region_problem, "us-gov-west-1", "EU-WEST-1"),
        (inventory_eks.aws_region_problem, "ap-southeast-3", "westeurope"),
        (inventory_eks.eks_cluster_name_problem, "devstats", "-devstats"),
        (inventory_eks.eks_cluster_name_problem, "Dev_stats-1", "dev.stats"),
        (inventory_values.string_problem, "x", ""),
        (inventory_values.string_problem, "title", 12),
        (inventory_values.bool_problem, True, "yes"),
        (inventory_values.bool_problem, False, 0),
    ],
)
def test_small_checks(check, good: Any, bad: Any) -> None:
    assert check(good) is None
    assert check(bad) is not None


@pytest.mark.parametrize(
    ("value", "minutes"),
    [("15m", 15), ("1h", 60), ("2h", 120), ("12h", 720), ("24h", 1440), ("1d", 1440), ("7d", 10080)],
)
def test_intervals(value: str, minutes: int) -> None:
    assert inventory_values.interval_problem(value) is None
    assert inventory_values.interval_minutes(value) == minutes


@pytest.mark.parametrize("value", ["7m", "90m", "5h", "2d", "0m", "1w", "", 60, None])
def test_bad_intervals(value: Any) -> None:
    assert "is not an interval a cron schedule repeats evenly" in inventory_values.interval_problem(value)
    with pytest.raises(ValueError):
        inventory_values.interval_minutes(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}, None),
        ({"limits": {"nvidia.com/gpu": 1}}, None),
        ({"request": {"cpu": "1"}}, "unknown key 'request'; expected 'requests' and/or 'limits'"),
        ({"requests": {"cpu": "lots"}}, "requests.cpu: 'lots' is not a Kubernetes quantity"),
        ({"requests": {}}, "requests is empty; expected a mapping of resources"),
        ({"limits": "2Gi"}, "limits: '2Gi' is a string, not a mapping of resources"),
        ("2Gi", "'2Gi' is a string, not a mapping of 'requests' and/or 'limits'"),
    ],
)
def test_resources(value: Any, expected: str | None) -> None:
    problem = inventory_values.resources_problem(value)
    assert problem == expected if expected is None else expected in problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, None),
        ({"git": "https://github.com/cncf/gitdm.git"}, None),
        (
            {"git": "file:///srv/gitdm", "ref": "v1", "users_path": "a/b.json", "companies_path": "c.yaml"},
            None,
        ),
        ({"config_map": "gitdm-files"}, None),
        ({"claim": "gitdm", "users_path": "users.json"}, None),
        ("cncf/gitdm", "'cncf/gitdm' is a string, not a mapping with one of 'git', 'config_map' or 'claim'"),
        ({"git": "u", "claim": "c"}, "sets git and claim; expected one source"),
        ({"url": "u"}, "unknown key 'url'; expected 'git', 'config_map' or 'claim'"),
        ({"config_map": "m", "ref": "x"}, "unknown key 'ref' for a config_map source"),
        ({"git": ""}, "git: is empty; expected a non-empty string; expected the URL of a git repository"),
        ({"git": "u", "ref": 3}, "ref: 3 is an integer, not a string"),
        ({"claim": "Bad_Name"}, "claim: 'Bad_Name' is not a DNS name"),
        ({"claim": "c", "users_path": "/etc/passwd"}, "users_path: '/etc/passwd' is not a relative path"),
        ({"git": "u", "companies_path": "../x"}, "companies_path: '../x' is not a relative path"),
        ({"git": "u", "users_path": ""}, "users_path is empty"),
    ],
)
def test_sources_of_affiliations(value: Any, expected: str | None) -> None:
    problem = inventory_foundations.affiliations_problem(value)
    assert problem is None if expected is None else expected in problem


def test_affiliation_sources_get_their_defaults() -> None:
    assert inventory_foundations.normalize_affiliations({}) == {"source": "none"}
    assert inventory_foundations.normalize_affiliations({"git": "u"}) == {
        "source": "git",
        "git": "u",
        "ref": "master",
        "users_path": "src/github_users.json",
        "companies_path": "",
    }
    assert inventory_foundations.normalize_affiliations({"claim": "c", "companies_path": "x.yaml"}) == {
        "source": "claim",
        "claim": "c",
        "users_path": "github_users.json",
        "companies_path": "x.yaml",
    }
    cncf = validate().foundations["cncf"]
    assert cncf["affiliations"]["git"] == "https://github.com/cncf/gitdm.git"
    assert cncf["gharchive_cache_size"] == "50Gi"


def test_storage_class_empty_means_the_default_class() -> None:
    assert inventory_values.storage_class_problem("") is None
    assert inventory_values.storage_class_problem("gp3") is None
    assert "is not a DNS name" in inventory_values.storage_class_problem("Fast_SSD")


def test_the_foundation_settings_are_the_defaults_of_its_projects() -> None:
    foundations = valid_foundations()
    resources = {"requests": {"cpu": "1"}}
    foundations["cncf"].update(
        devstats_time_zone="Europe/Berlin",
        devstats_sync_interval="30m",
        devstats_project_disk_size="50Gi",
        devstats_resources=resources,
        devstats_storage_class="fast",
    )
    own = {"limits": {"memory": "8Gi"}}
    foundations["cncf"]["devstats_projects"][1].update(timezone="Asia/Tokyo", disk_size="5Gi", resources=own)
    result = validate(foundations)
    assert result.errors == []
    cncf = result.foundations["cncf"]
    assert (cncf["time_zone"], cncf["sync_interval"], cncf["affiliations_interval"]) == (
        "Europe/Berlin",
        "30m",
        "1d",
    )
    assert (cncf["storage_class"], cncf["project_disk_size"], cncf["resources"]) == (
        "fast",
        "50Gi",
        resources,
    )
    kubernetes, prometheus = cncf["projects"]
    assert (kubernetes["timezone"], kubernetes["disk_size"], kubernetes["resources"]) == (
        "Europe/Berlin",
        "50Gi",
        resources,
    )
    assert (prometheus["timezone"], prometheus["disk_size"], prometheus["resources"]) == (
        "Asia/Tokyo",
        "5Gi",
        own,
    )
    graphql = result.foundations["graphql"]
    assert graphql["time_zone"] == "Etc/UTC" and graphql["storage_class"] == ""
    default_resources = inventory_foundations.FOUNDATION_DEFAULTS["devstats_resources"]
    assert graphql["projects"][0]["resources"] == default_resources


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, None),
        ({"devstats_database_host": "pg.example.org"}, None),
        (
            {
                "devstats_database_host": "pg.example.org",
                "devstats_database_secret": "pg-credentials",
                "devstats_database_username": "devstats",
                "devstats_database_password": "s3cret",
            },
            None,
        ),
        (
            {"devstats_database_username": "devstats", "devstats_database_password": "s3cret"},
            "field 'devstats_database_username': is set but devstats_database_host and "
            "devstats_database_secret are not; credentials are for another PostgreSQL",
        ),
        (
            {"devstats_database_host": "pg.example.org", "devstats_database_password": "s3cret"},
            "field 'devstats_database_password': is set but devstats_database_secret is not",
        ),
    ],
)
def test_database_credentials_are_for_another_postgresql(variables: dict, expected: str | None) -> None:
    foundations = valid_foundations()
    foundations["cncf"].update(variables)
    errors = validate(foundations).errors
    assert errors == [] if expected is None else len(errors) == 1 and expected in errors[0]
    assert not any("s3cret" in error for error in errors)
    assert "s3cret" not in str(validate(foundations).foundations)


def test_a_bad_foundation_setting_is_reported_once_and_its_projects_still_checked() -> None:
    foundations = valid_foundations()
    foundations["cncf"].update(devstats_time_zone="Mars/Base", devstats_sync_interval="45m")
    foundations["cncf"]["devstats_projects"][1]["schedule"] = "* * *"
    errors = validate(foundations).errors
    assert errors[0].startswith("foundation 'cncf', field 'devstats_time_zone': 'Mars/Base' is not an IANA")
    assert errors[1].startswith("foundation 'cncf', field 'devstats_sync_interval': '45m' is not an interval")
    assert len(errors) == 3 and "field 'schedule'" in errors[2]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("x", "'x'"),
        (True, "true"),
        (None, "null"),
        (3, "3"),
        (["a", 1], '["a", 1]'),
        ({"b": 1, "a": 2}, '{"a": 2, "b": 1}'),
        ("y" * 100, "'" + "y" * 76 + "..."),
    ],
)
def test_values_are_shown_as_in_yaml(value: Any, shown: str) -> None:
    assert inventory_values.show(value) == shown


# --- whole inventories -------------------------------------------------------------------------------


def broken(change) -> tuple[dict, dict, dict]:
    foundations, platform = valid_foundations(), valid_platform()
    groups: dict = {}
    change(foundations, platform, groups)
    return foundations, platform, groups


def project(foundations: dict, index: int = 0, foundation: str = "cncf") -> dict:
    return foundations[foundation]["devstats_projects"][index]


CNCF = "foundation 'cncf'"
K8S = "foundation 'cncf', project 'kubernetes' (#1), field"
PROM = "foundation 'cncf', project 'prometheus' (#2), field"

# (id, change(foundations, platform, groups), expected message fragments)
BROKEN = [
    (
        "no foundations",
        lambda f, p, g: f.clear(),
        ["group 'devstats_foundations', field 'hosts': has no hosts"],
    ),
    (
        "foundation name",
        lambda f, p, g: f.update({"CNCF_2": f.pop("cncf")}),
        ["foundation 'CNCF_2', field 'inventory_hostname': 'CNCF_2' is not a DNS-1123 label"],
    ),
    (
        "foundation name too long",
        lambda f, p, g: f.update({"f" * 31: f.pop("cncf")}),
        ["field 'inventory_hostname': '" + "f" * 31 + "' is 31 characters long; expected at most 30"],
    ),
    (
        "domain missing",
        lambda f, p, g: f["cncf"].pop("devstats_domain"),
        [f"{CNCF}, field 'devstats_domain': is required"],
    ),
    (
        "domain",
        lambda f, p, g: f["cncf"].update(devstats_domain="DevStats.cncf.io"),
        [f"{CNCF}, field 'devstats_domain': 'DevStats.cncf.io' is not a DNS name"],
    ),
    (
        "namespace",
        lambda f, p, g: f["cncf"].update(devstats_namespace="cncf.apps"),
        [f"{CNCF}, field 'devstats_namespace': 'cncf.apps' is not a DNS-1123 label"],
    ),
    (
        "connection not local",
        lambda f, p, g: f["cncf"].update(ansible_connection="ssh"),
        [
            f"{CNCF}, field 'ansible_connection': 'ssh' is not 'local'; "
            "expected local: a foundation is not a machine"
        ],
    ),
    (
        "connection not set",
        lambda f, p, g: f["cncf"].pop("ansible_connection"),
        [f"{CNCF}, field 'ansible_connection': is not set; expected local"],
    ),
    (
        "prune",
        lambda f, p, g: f["cncf"].update(devstats_prune="true"),
        [f"{CNCF}, field 'devstats_prune': 'true' is a string, not a boolean; expected true or false"],
    ),
    (
        "projects missing",
        lambda f, p, g: f["cncf"].pop("devstats_projects"),
        [f"{CNCF}, field 'devstats_projects': is required"],
    ),
    (
        "projects empty",
        lambda f, p, g: f["cncf"].update(devstats_projects=[]),
        [f"{CNCF}, field 'devstats_projects': is empty; expected at least one project"],
    ),
    (
        "projects not a list",
        lambda f, p, g: f["cncf"].update(devstats_projects={"name": "x"}),
        [f'{CNCF}, field \'devstats_projects\': {{"name": "x"}} is a mapping, not a list of projects'],
    ),
    (
        "project not a mapping",
        lambda f, p, g: f["cncf"]["devstats_projects"].append("helm"),
        [f"{CNCF}, project #3, field '*': 'helm' is a string, not a mapping of project fields"],
    ),
    (
        "name missing",
        lambda f, p, g: project(f, 1).pop("name"),
        [f"{CNCF}, project #2, field 'name': is required"],
    ),
    (
        "name",
        lambda f, p, g: project(f, 1).update(name="Prometheus"),
        [f"{CNCF}, project 'Prometheus' (#2), field 'name': 'Prometheus' is not a DNS-1123 label"],
    ),
    (
        "name type",
        lambda f, p, g: project(f, 1).update(name=7),
        [f"{CNCF}, project #2, field 'name': 7 is an integer"],
    ),
    (
        "duplicate name",
        lambda f, p, g: project(f, 1).update(name="kubernetes", db="k8s"),
        [
            "foundation 'cncf', project 'kubernetes' (#2), field 'name': 'kubernetes' is also the name of "
            "project #1; names must be unique within a foundation"
        ],
    ),
    (
        "duplicate db",
        lambda f, p, g: project(f, 1).update(db="gha"),
        [f"{PROM} 'db': 'gha' is also the db of project #1; dbs must be unique within a foundation"],
    ),
    (
        "duplicate default db",
        lambda f, p, g: f["cncf"]["devstats_projects"].append(
            {"name": "helm", "db": "prometheus", "orgs": ["helm"], "start_date": "2016-01-01"}
        ),
        ["foundation 'cncf', project 'helm' (#3), field 'db': 'prometheus' is also the db of project #2"],
    ),
    (
        "default db from a name starting with a digit",
        lambda f, p, g: project(f, 1).update(name="3scale"),
        [
            "project '3scale' (#2), field 'db': the default taken from the name: '3scale' is not a "
            "PostgreSQL identifier; expected lowercase letters, digits and '_', not starting with a digit, "
            "at most 63 characters; set 'db' explicitly"
        ],
    ),
    (
        "db",
        lambda f, p, g: project(f).update(db="k8s-db"),
        [f"{K8S} 'db': 'k8s-db' is not a PostgreSQL identifier"],
    ),
    (
        "reserved db",
        lambda f, p, g: project(f).update(db="postgres"),
        [f"{K8S} 'db': 'postgres' is reserved"],
    ),
    ("title", lambda f, p, g: project(f).update(title=""), [f"{K8S} 'title': is empty"]),
    (
        "unknown field",
        lambda f, p, g: project(f).update(schedul="0 * * * *"),
        [
            f"{K8S} 'schedul': unknown field (did you mean 'schedule'?); "
            "allowed fields: archived, db, disabled, disk_size, exclude_repos, files_skip_pattern, "
            "main_repo, name, orgs, project_scale, regexp, repos, resources, schedule, start_date, "
            "timezone, title"
        ],
    ),
    (
        "no repositories",
        lambda f, p, g: project(f).update(orgs=[]),
        [f"{K8S} 'orgs': no repositories: expected at least one of 'orgs', 'repos' or 'regexp'"],
    ),
    (
        "orgs not a list",
        lambda f, p, g: project(f).update(orgs="kubernetes"),
        [f"{K8S} 'orgs': 'kubernetes' is a string, not a list of GitHub logins"],
    ),
    (
        "org login",
        lambda f, p, g: project(f).update(orgs=["kubernetes", "kubernetes_sigs", "x.y"]),
        [f"{K8S} 'orgs': 'kubernetes_sigs' is not a GitHub login", "(also 'x.y')"],
    ),
    (
        "duplicate org",
        lambda f, p, g: project(f).update(orgs=["kubernetes", "kubernetes"]),
        [f"{K8S} 'orgs': 'kubernetes' listed more than once"],
    ),
    (
        "repo",
        lambda f, p, g: project(f).update(repos=["kubernetes"]),
        [f"{K8S} 'repos': 'kubernetes' is not a repository; expected 'owner/name'"],
    ),
    (
        "exclude repo",
        lambda f, p, g: project(f).update(exclude_repos=["a/b/c"]),
        [f"{K8S} 'exclude_repos': 'a/b/c' is not a repository"],
    ),
    (
        "main repo",
        lambda f, p, g: project(f).update(main_repo="kubernetes"),
        [f"{K8S} 'main_repo': 'kubernetes' is not a repository"],
    ),
    (
        "regexp",
        lambda f, p, g: project(f).update(orgs=[], regexp="^(kubernetes"),
        [f"{K8S} 'regexp': '^(kubernetes' is not a valid Python regular expression"],
    ),
    (
        "files skip pattern",
        lambda f, p, g: project(f).update(files_skip_pattern="*.md"),
        [f"{K8S} 'files_skip_pattern': '*.md' is not a valid Python regular expression: nothing to repeat"],
    ),
    (
        "start date missing",
        lambda f, p, g: project(f).pop("start_date"),
        [f"{K8S} 'start_date': is required"],
    ),
    (
        "start date",
        lambda f, p, g: project(f).update(start_date="2014-13-01"),
        [f"{K8S} 'start_date': '2014-13-01' is not a date; expected YYYY-MM-DD or 'YYYY-MM-DD HH'"],
    ),
    (
        "start date too early",
        lambda f, p, g: project(f).update(start_date="2011-01-01"),
        [f"{K8S} 'start_date': '2011-01-01' is before 2011-02-12"],
    ),
    (
        "start date in the future",
        lambda f, p, g: project(f).update(start_date="2027-01-01"),
        [f"{K8S} 'start_date': '2027-01-01' is in the future"],
    ),
    (
        "schedule",
        lambda f, p, g: project(f).update(schedule="0 */2 * *"),
        [f"{K8S} 'schedule': '0 */2 * *' has 4 fields; expected a 5-field cron expression"],
    ),
    (
        "timezone",
        lambda f, p, g: project(f).update(timezone="CET-1"),
        [f"{K8S} 'timezone': 'CET-1' is not an IANA time zone"],
    ),
    (
        "disk size",
        lambda f, p, g: project(f).update(disk_size="20GB"),
        [f"{K8S} 'disk_size': '20GB' is not a Kubernetes quantity"],
    ),
    (
        "archived",
        lambda f, p, g: project(f).update(archived="no"),
        [f"{K8S} 'archived': 'no' is a string, not a boolean"],
    ),
    (
        "disabled",
        lambda f, p, g: project(f).update(disabled=1),
        [f"{K8S} 'disabled': 1 is an integer, not a boolean"],
    ),
    (
        "host too long",
        lambda f, p, g: f["cncf"].update(devstats_domain=".".join(["d" * 60] * 4) + ".org"),
        [f"{K8S} 'name': host 'kubernetes.ddd", "is longer than 253 characters"],
    ),
    (
        "same domain",
        lambda f, p, g: f["graphql"].update(devstats_domain="devstats.cncf.io"),
        [
            "foundation 'graphql', field 'devstats_domain': 'devstats.cncf.io' is also the domain of "
            "foundation 'cncf'; domains must be unique across foundations"
        ],
    ),
    (
        "same namespace",
        lambda f, p, g: f["graphql"].update(devstats_namespace="devstats-cncf"),
        [
            "foundation 'graphql', field 'devstats_namespace': 'devstats-cncf' is also the namespace of "
            "foundation 'cncf'"
        ],
    ),
    (
        "project host is another foundation's domain",
        lambda f, p, g: f["graphql"].update(devstats_domain="kubernetes.devstats.cncf.io"),
        [
            f"{K8S} 'name': host 'kubernetes.devstats.cncf.io' is also the domain (home page) of "
            "foundation 'graphql'"
        ],
    ),
    (
        "platform variable on one foundation",
        lambda f, p, g: f["cncf"].update(platform_target="eks"),
        [f"{CNCF}, field 'platform_target': 'eks' differs from the platform's value ('none')"],
    ),
    ("target missing", lambda f, p, g: p.clear(), ["platform, field 'platform_target': is required"]),
    (
        "target",
        lambda f, p, g: p.update(platform_target="gke"),
        [
            "platform, field 'platform_target': 'gke' is not a known target; "
            "expected one of none, baremetal, eks, kubeconfig"
        ],
    ),
    (
        "unknown platform variable",
        lambda f, p, g: p.update(platform_kubeconfg="x"),
        ["platform, field 'platform_kubeconfg': unknown variable (did you mean 'platform_kubeconfig'?)"],
    ),
    (
        "kubeconfig without path",
        lambda f, p, g: p.update(platform_target="kubeconfig", platform_letsencrypt_email="a@example.org"),
        ["platform, field 'platform_kubeconfig': is required with platform_target 'kubeconfig'"],
    ),
    (
        "kubeconfig empty",
        lambda f, p, g: p.update(
            platform_target="kubeconfig", platform_kubeconfig="", platform_letsencrypt_email="a@example.org"
        ),
        ["platform, field 'platform_kubeconfig': is empty"],
    ),
    (
        "email",
        lambda f, p, g: p.update(
            platform_target="kubeconfig", platform_kubeconfig="k", platform_letsencrypt_email="x"
        ),
        ["platform, field 'platform_letsencrypt_email': 'x' is not an e-mail address"],
    ),
    (
        "eks without settings",
        lambda f, p, g: p.update(platform_target="eks"),
        [
            "platform, field 'platform_eks_region': is required with platform_target 'eks'",
            "platform, field 'platform_eks_cluster_name': is required",
            "platform, field 'platform_eks_node_groups': is required",
            "platform, field 'platform_letsencrypt_email': is required",
        ],
    ),
    (
        "eks region and name",
        lambda f, p, g: p.update(platform_eks_region="Frankfurt", platform_eks_cluster_name="dev stats"),
        [
            "platform, field 'platform_eks_region': 'Frankfurt' is not an AWS region",
            "platform, field 'platform_eks_cluster_name': 'dev stats' is not an EKS cluster name",
        ],
    ),
    (
        "node groups",
        lambda f, p, g: p.update(
            platform_eks_node_groups=[
                {
                    "name": "general",
                    "instance_type": "m6i.2xlarge",
                    "min_size": 3,
                    "max_size": 6,
                    "desired_size": 7,
                },
                {"name": "general", "instance_type": "big", "min_size": -1, "max_size": 2, "desired_size": 1},
                {
                    "name": "x",
                    "instance_type": "t3.small",
                    "min_size": 0,
                    "max_size": 0,
                    "desired_size": 0,
                    "ami": 1,
                },
                "spot",
                {"instance_type": "t3.small"},
            ]
        ),
        [
            "platform, node group 'general' (#1), field 'desired_size': 7 is not between min_size 3 "
            "and max_size 6",
            "platform, node group 'general' (#2), field 'instance_type': 'big' is not an EC2 instance type",
            "platform, node group 'general' (#2), field 'min_size': -1 is not a whole number of nodes",
            "platform, node group 'general' (#2), field 'name': 'general' is also the name of node group #1",
            "platform, node group 'x' (#3), field 'ami': unknown field",
            "platform, node group 'x' (#3), field 'max_size': is 0; expected at least 1 node",
            "platform, node group #4, field '*': 'spot' is a string, not a mapping of node group fields",
            "platform, node group #5, field 'name': is required",
            "platform, node group #5, field 'min_size': is required",
        ],
    ),
    (
        "node groups empty",
        lambda f, p, g: p.update(platform_eks_node_groups=[]),
        ["platform, field 'platform_eks_node_groups': is empty; expected at least one node group"],
    ),
    (
        "baremetal without nodes",
        lambda f, p, g: p.update(platform_target="baremetal", platform_letsencrypt_email="a@example.org"),
        [
            "platform, field 'platform_target': 'baremetal' needs at least one host in the group "
            "'kube_control_plane'",
            "platform, field 'platform_target': 'baremetal' needs at least one host in the group "
            "'kube_nodes'",
        ],
    ),
    (
        "render dir",
        lambda f, p, g: p.update(platform_render_dir=["build"]),
        ["platform, field 'platform_render_dir': [\"build\"] is a list, not a string"],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_inventories(change, expected: list[str]) -> None:
    errors = validate(*broken(change)).errors
    for fragment in expected:
        assert any(fragment in error for error in errors), f"{fragment!r} not in {errors}"


def test_every_error_is_one_line_naming_where_and_the_field() -> None:
    shape = re.compile(
        r"^(foundation '[^']*'(, project ('[^']*' )?\(?#\d+\)?)?|platform(, node group .*)?|group '.*')"
        r", field '"
    )
    for _, change, _ in BROKEN:
        for error in validate(*broken(change)).errors:
            assert shape.match(error), error
            assert "\n" not in error


def test_a_valid_inventory_with_every_optional_field() -> None:
    def change(f: dict, p: dict, g: dict) -> None:
        project(f).update(
            title="Kubernetes",
            repos=["kubernetes/kubernetes"],
            regexp="^kubernetes-sigs/",
            exclude_repos=["kubernetes/kubernetes.github.io"],
            main_repo="kubernetes/kubernetes",
            schedule="10 */2 * * *",
            timezone="Europe/Berlin",
            disk_size="100Gi",
            files_skip_pattern="^vendor/",
            archived=False,
            disabled=False,
        )
        p.update(
            platform_target="eks",
            platform_eks_region="eu-west-1",
            platform_eks_cluster_name="devstats",
            platform_eks_node_groups=[
                {
                    "name": "general",
                    "instance_type": "m6i.2xlarge",
                    "min_size": 1,
                    "max_size": 3,
                    "desired_size": 2,
                }
            ],
            platform_letsencrypt_email="admins@example.org",
            platform_render_dir="/srv/manifests",
            platform_kubeconfig="/etc/kubeconfig",
        )
        g.update(kube_control_plane=[], kube_nodes=[])

    result = validate(*broken(change))
    assert result.errors == []
    assert result.platform["eks_node_groups"][0]["instance_types"] == ["m6i.2xlarge"]
    assert result.platform["render_dir"] == "/srv/manifests"


def test_baremetal_with_nodes_is_valid() -> None:
    platform = {"platform_target": "baremetal", "platform_letsencrypt_email": "a@example.org"}
    groups = {"kube_control_plane": ["cp1"], "kube_nodes": ["cp1", "w1"]}
    assert validate(platform=platform, groups=groups).errors == []


def test_every_error_is_reported_in_one_run() -> None:
    def change(f: dict, p: dict, g: dict) -> None:
        project(f).update(start_date="2014-13-01", name="K8s")
        project(f, 1).update(schedule="61 * * * *", orgs=["bad_org"])
        f["graphql"].update(devstats_domain="devstats.cncf.io")
        p.update(platform_target="gke")

    errors = validate(*broken(change)).errors
    assert errors == [
        "foundation 'cncf', project 'K8s' (#1), field 'name': 'K8s' is not a DNS-1123 label; expected "
        "lowercase letters, digits and '-', starting and ending with a letter or digit, "
        "at most 39 characters",
        "foundation 'cncf', project 'K8s' (#1), field 'start_date': '2014-13-01' is not a date; expected "
        "YYYY-MM-DD or 'YYYY-MM-DD HH'",
        f"{PROM} 'orgs': 'bad_org' is not a GitHub login; expected letters, digits and '-', "
        "at most 39 characters",
        f"{PROM} 'schedule': '61 * * * *' is not a valid cron expression: minute '61' is out of range 0-59",
        "foundation 'graphql', field 'devstats_domain': 'devstats.cncf.io' is also the domain of foundation "
        "'cncf'; domains must be unique across foundations",
        "platform, field 'platform_target': 'gke' is not a known target; expected one of none, baremetal, "
        "eks, kubeconfig",
    ]


def test_a_value_that_cannot_be_templated_is_reported_once_and_hides_nothing_else() -> None:
    def change(f: dict, p: dict, g: dict) -> None:
        project(f).update(start_date=inventory_values.Unresolved("'when' is undefined"))
        project(f, 1).update(schedule="* * *")
        f["graphql"].update(devstats_domain=inventory_values.Unresolved("'base' is undefined"))
        p.update(platform_target=inventory_values.Unresolved("'t' is undefined"))

    errors = validate(*broken(change)).errors
    assert errors == [
        f"{K8S} 'start_date': cannot be templated: 'when' is undefined",
        f"{PROM} 'schedule': '* * *' has 3 fields; expected a 5-field cron expression "
        "(minute hour day-of-month month day-of-week), e.g. '20 */2 * * *'",
        "foundation 'graphql', field 'devstats_domain': cannot be templated: 'base' is undefined",
        "platform, field 'platform_target': cannot be templated: 't' is undefined",
    ]


def test_the_input_is_not_modified() -> None:
    foundations, platform = valid_foundations(), valid_platform()
    before = copy.deepcopy((foundations, platform))
    validate(foundations, platform)
    assert (foundations, platform) == before


def test_preflight_needs_the_ansible_version_the_collection_requires() -> None:
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    defaults = yaml.safe_load((ROOT / "roles" / "preflight" / "defaults" / "main.yml").read_text())
    assert runtime["requires_ansible"] == ">=" + defaults["preflight_min_ansible_version"]


def documented_names(heading: str) -> list[str]:
    """The first column of the table under a heading of docs/inventory.md."""
    section = (ROOT / "docs" / "inventory.md").read_text().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_the_documentation_lists_exactly_the_fields_preflight_knows() -> None:
    assert documented_names("Projects") == list(inventory_foundations.PROJECT_FIELDS)
    assert documented_names("Foundations") == ["inventory_hostname", *inventory_foundations.FOUNDATION_VARS]
    assert documented_names("The platform (group `all`)") == list(model.PLATFORM_VARS)


# --- ingress, certificates, dashboards ---------------------------------------------------------------


def test_ingress_controller_and_issuer_choices_are_kept() -> None:
    foundations = valid_foundations()
    foundations["cncf"].update(
        devstats_certificate_issuer="staging", devstats_dashboards_dir="/srv/dashboards"
    )
    platform = {
        "platform_target": "none",
        "platform_ingress_controller": "traefik",
        "platform_ingress_baremetal_mode": "node-port",
    }
    result = validate(foundations, platform)
    assert result.errors == []
    assert result.platform["ingress_controller"] == "traefik"
    assert result.platform["ingress_baremetal_mode"] == "node-port"
    assert result.foundations["cncf"]["certificate_issuer"] == "staging"
    assert result.foundations["cncf"]["dashboards_dir"] == "/srv/dashboards"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "platform_ingress_controller",
            "nginx",
            "platform, field 'platform_ingress_controller': 'nginx' is not one of ingress-nginx, traefik",
        ),
        (
            "platform_ingress_baremetal_mode",
            "hostport",
            "platform, field 'platform_ingress_baremetal_mode': 'hostport' is not one of "
            "host-ports, node-port",
        ),
    ],
)
def test_unknown_ingress_choices_are_errors(variable: str, value: str, message: str) -> None:
    assert validate(platform={"platform_target": "none", variable: value}).errors == [message]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "devstats_certificate_issuer",
            "letsencrypt",
            "'letsencrypt' is not one of production, staging, self-signed",
        ),
        ("devstats_dashboards_dir", "", "is empty; expected a non-empty string"),
        ("devstats_dashboards_dir", ["a"], "is a list, not a string"),
    ],
)
def test_bad_foundation_face_fields_are_errors(variable: str, value: Any, message: str) -> None:
    foundations = valid_foundations()
    foundations["graphql"][variable] = value
    (error,) = validate(foundations).errors
    assert error.startswith(f"foundation 'graphql', field '{variable}': ")
    assert message in error


@pytest.mark.parametrize(
    ("target", "mode"),
    [("none", "render"), ("baremetal", "apply"), ("eks", "apply"), ("kubeconfig", "apply")],
)
def test_the_model_decides_once_whether_stages_render_or_apply(target: str, mode: str) -> None:
    """Every role's *_mode default reads this one value."""
    platform = {"platform_target": target}
    assert validate(platform=platform).platform["mode"] == mode
