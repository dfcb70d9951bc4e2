"""Pure helpers of the git, affiliations and locking modules."""

from __future__ import annotations

from datetime import datetime

import pytest
from devstats_sync.affiliations import (
    AffiliationsError,
    decode_emails,
    map_company,
    parse_acquisitions,
    parse_affiliation,
    parse_users,
)
from devstats_sync.git_backfill import extension, is_real_sha
from devstats_sync.locking import application_name, lock_key


def test_emails_written_with_bang_are_decoded_and_lowered() -> None:
    assert decode_emails("Alice!Acme.com, a.smith!old.org, not-an-email") == {
        "alice@acme.com",
        "a.smith@old.org",
    }
    assert decode_emails("") == set()


def test_affiliation_periods_chain_their_dates() -> None:
    periods = parse_affiliation("A < 2019-01-01, B < 2021-06-30, C", "here")
    assert [(p.company, p.dt_from, p.dt_to) for p in periods] == [
        ("A", datetime(1970, 1, 1), datetime(2019, 1, 1)),
        ("B", datetime(2019, 1, 1), datetime(2021, 6, 30)),
        ("C", datetime(2021, 6, 30), datetime(2099, 1, 1)),
    ]
    assert parse_affiliation("NotFound", "here") == []
    assert parse_affiliation("(Unknown)", "here") == []


def test_the_most_trusted_source_wins() -> None:
    users = parse_users(
        [
            {"login": "Ann", "affiliation": "Guess Inc", "source": "domain", "email": "ann!guess.io"},
            {"login": "ann", "affiliation": "Real Co", "source": "user", "email": "ann!real.co"},
            {"login": "ann", "affiliation": "Other", "source": "notfound"},
        ],
        "users.json",
    )
    assert list(users) == ["ann"]
    assert [p.company for p in users["ann"].periods] == ["Real Co"]
    assert users["ann"].emails == {"ann@guess.io", "ann@real.co"}


def test_acquisitions_map_company_names() -> None:
    acquisitions = parse_acquisitions(
        {"acquisitions": [["^CoreOS", "Red Hat"], ["^Heptio$", "VMware"]]}, "c.yaml"
    )
    assert map_company("CoreOS, Inc.", acquisitions) == "Red Hat"
    assert map_company("Heptio", acquisitions) == "VMware"
    assert map_company("Heptio Labs", acquisitions) == "Heptio Labs"
    with pytest.raises(AffiliationsError, match=r"c\.yaml: acquisition #1 is not a \[regexp, name\] pair"):
        parse_acquisitions({"acquisitions": [["only one"]]}, "c.yaml")
    with pytest.raises(AffiliationsError, match=r"acquisition #1: bad regexp '\('"):
        parse_acquisitions({"acquisitions": [["(", "X"]]}, "c.yaml")


def test_file_extensions_and_shas() -> None:
    assert extension("cmd/main.go") == "go"
    assert extension("docs/Guide.MD") == "md"
    assert extension("Makefile") == ""
    assert extension(".github/workflows/ci.yaml") == "yaml"
    assert is_real_sha("a" * 40)
    assert not is_real_sha("0" * 40)
    assert not is_real_sha("")
    assert not is_real_sha(None)
    assert not is_real_sha("g" * 40)


def test_lock_keys_are_stable_int4_and_names_fit_postgres() -> None:
    assert lock_key("kubernetes") == lock_key("kubernetes")
    assert lock_key("kubernetes") != lock_key("prometheus")
    assert all(-(1 << 31) <= lock_key(name) < (1 << 31) for name in ("a", "kubernetes", "x" * 39))
    name = application_name("provision", "a-very-long-project-name-of-39-characters")
    assert len(name) <= 63
    assert name.startswith("devstats-sync provision a-very-long-project-name")
