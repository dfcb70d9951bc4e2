from __future__ import annotations

from datetime import datetime

from devstats_sync.filters import ProjectFilter, Router
from devstats_sync.projects_config import Project

START = datetime(2015, 1, 1)


def project(name: str = "p", **fields: object) -> Project:
    return Project(name=name, db=name, start_date=START, **fields)  # type: ignore[arg-type]


def test_org_takes_every_repository_of_the_org_only() -> None:
    f = ProjectFilter(project(orgs=("kubernetes",)))
    assert f.matches("kubernetes/kubernetes")
    assert f.matches("kubernetes/test-infra")
    assert not f.matches("kubernetes-sigs/kind")
    assert not f.matches("other/kubernetes")
    assert not f.matches("Kubernetes/kubernetes")  # DevStats compares names exactly
    assert not f.matches("")


def test_repos_take_exactly_those_repositories() -> None:
    f = ProjectFilter(project(repos=("cncf/devstats", "cncf/gitdm")))
    assert f.matches("cncf/devstats")
    assert not f.matches("cncf/devstatscode")
    assert not f.matches("cncf/landscape")


def test_regexp_is_searched_and_orgs_repos_regexp_are_a_union() -> None:
    f = ProjectFilter(project(orgs=("a",), repos=("b/one",), regexp=r"^c/(x|y)$"))
    assert f.matches("a/anything")
    assert f.matches("b/one")
    assert f.matches("c/x")
    assert not f.matches("c/z")
    assert ProjectFilter(project(regexp="prom")).matches("org/prometheus-operator")


def test_regexp_is_also_searched_in_the_owner_alone_as_devstats_does() -> None:
    f = ProjectFilter(project(regexp=r"^(fluent|grafana/loki)$"))
    assert f.matches("fluent/fluentd")
    assert f.matches("grafana/loki")
    assert not f.matches("grafana/grafana")
    assert not f.matches("fluentx/y")


def test_excluded_repositories_win_over_every_rule() -> None:
    f = ProjectFilter(project(orgs=("a",), regexp="^a/", exclude_repos=("a/legacy",)))
    assert f.matches("a/new")
    assert not f.matches("a/legacy")


def test_router_fans_out_to_every_project_that_wants_a_repository() -> None:
    router = Router(
        [project("one", orgs=("a",)), project("two", repos=("a/x",)), project("three", orgs=("b",))]
    )
    assert router.route(b"a/x") == (0, 1)
    assert router.route(b"a/y") == (0,)
    assert router.route(b"c/z") == ()
    assert router.route(b"a/x") == (0, 1)  # memoized answer is the same
    assert router.route_name(None) == ()
