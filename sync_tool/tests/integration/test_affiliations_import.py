"""gitdm affiliations into a real database: periods, acquisitions, source priority, no-op re-import."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import psycopg2
import pytest
from devstats_sync.affiliations import AffiliationsError, import_affiliations, parse_affiliation
from devstats_sync.normalize import hash_id

USERS = [
    {
        "login": "alice",
        "email": "alice!acme.com, a.smith!old.org",
        "name": "Alice Smith",
        "affiliation": "Old Co < 2019-01-01, Acme < 2021-06-30, Independent",
        "source": "config",
        "country_id": "pl",
        "tz": "Europe/Warsaw",
    },
    {
        "login": "Alice",
        "email": "alice!home.net",
        "name": "Alice Smith",
        "affiliation": "Wrong Inc",
        "source": "domain",
    },
    {"login": "bob", "email": "bob!gizmo.io", "name": "Bob", "affiliation": "Gizmo Labs", "source": "user"},
    {"login": "carol", "email": "carol!example.com", "name": "", "affiliation": "NotFound"},
]
COMPANIES = "acquisitions:\n  - ['^Gizmo Labs$', 'MegaCorp']\n"


def rows(conn: psycopg2.extensions.connection, sql: str) -> list[tuple[object, ...]]:
    with conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_import_then_reimport_is_a_noop(db_dsn: str, tmp_path: Path) -> None:
    users_file = tmp_path / "github_users.json"
    users_file.write_text(json.dumps(USERS))
    companies_file = tmp_path / "companies.yaml"
    companies_file.write_text(COMPANIES)
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        cur.execute("insert into gha_actors (id, login) values (11, 'alice'), (-5, 'alice')")
    result = import_affiliations(conn, users_file, companies_file)
    assert (result.users, result.actors_added, result.companies) == (3, 2, 4)
    bob, carol = hash_id("actor", "bob"), hash_id("actor", "carol")
    assert rows(conn, "select actor_id, email from gha_actors_emails order by actor_id, email") == sorted(
        [
            (-5, "a.smith@old.org"),
            (-5, "alice@acme.com"),
            (-5, "alice@home.net"),
            (11, "a.smith@old.org"),
            (11, "alice@acme.com"),
            (11, "alice@home.net"),
            (bob, "bob@gizmo.io"),
            (carol, "carol@example.com"),
        ]
    )
    assert rows(
        conn,
        "select company_name, original_company_name, dt_from, dt_to, source "
        "from gha_actors_affiliations where actor_id = 11 order by dt_from",
    ) == [
        ("Old Co", "Old Co", datetime(1970, 1, 1), datetime(2019, 1, 1), "config"),
        ("Acme", "Acme", datetime(2019, 1, 1), datetime(2021, 6, 30), "config"),
        ("Independent", "Independent", datetime(2021, 6, 30), datetime(2099, 1, 1), "config"),
    ]
    assert rows(
        conn,
        f"select company_name, original_company_name from gha_actors_affiliations where actor_id = {bob}",
    ) == [("MegaCorp", "Gizmo Labs")]
    assert rows(conn, "select name from gha_companies order by name") == [
        ("Acme",),
        ("Independent",),
        ("MegaCorp",),
        ("Old Co",),
    ]
    assert rows(conn, "select name, country_id, tz, tz_offset is not null from gha_actors where id = 11") == [
        ("Alice Smith", "pl", "Europe/Warsaw", True)
    ]
    assert rows(conn, "select count(*) from gha_actors_names") == [(3,)]

    counts = rows(
        conn, "select (select count(*) from gha_actors_affiliations), (select count(*) from gha_actors)"
    )
    again = import_affiliations(conn, users_file, companies_file)
    assert again.skipped and "already imported" in again.describe()
    assert (
        rows(conn, "select (select count(*) from gha_actors_affiliations), (select count(*) from gha_actors)")
        == counts
    )

    # A changed file replaces the periods of the actors it names.
    users_file.write_text(json.dumps([{**USERS[2], "affiliation": "Acme"}]))
    changed = import_affiliations(conn, users_file, companies_file)
    assert not changed.skipped
    assert rows(conn, f"select company_name from gha_actors_affiliations where actor_id = {bob}") == [
        ("Acme",)
    ]
    conn.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A < 2019-13-01, B", "'2019-13-01' in affiliation 'A < 2019-13-01, B' is not a YYYY-MM-DD date"),
        ("A, B < 2020-01-01", "only the last company of 'A, B < 2020-01-01' may lack '< date'"),
        ("A < 2020-01-01, B < 2019-01-01, C", "dates in affiliation"),
        (" < 2020-01-01, B", "empty company name"),
    ],
)
def test_bad_affiliations_say_where(text: str, message: str) -> None:
    with pytest.raises(AffiliationsError, match=r"users\.json, entry #3") as error:
        parse_affiliation(text, "users.json, entry #3")
    assert message in str(error.value)


def test_bad_files_are_reported(db_dsn: str, tmp_path: Path) -> None:
    conn = psycopg2.connect(db_dsn)
    bad = tmp_path / "u.json"
    bad.write_text("{not json")
    with pytest.raises(AffiliationsError, match=r"u.json is not valid JSON"):
        import_affiliations(conn, bad)
    bad.write_text(json.dumps([{"email": "x!y.z"}]))
    with pytest.raises(AffiliationsError, match=r"entry #1 has no 'login'"):
        import_affiliations(conn, bad)
    conn.close()


def test_country_codes_become_the_names_devstats_groups_by(db_dsn: str, tmp_path: Path) -> None:
    users_file = tmp_path / "github_users.json"
    people = [
        {"login": "alice", "email": "a!x.pl", "affiliation": "Acme", "country_id": "pl"},
        {"login": "bob", "email": "b!x.us", "name": "Bob", "affiliation": "Acme", "country_id": "US"},
        {"login": "carol", "email": "c!x.zz", "affiliation": "Acme", "country_id": "zz"},
        {"login": "dave", "email": "d!x.io", "affiliation": "Acme"},
    ]
    users_file.write_text(json.dumps(people))
    conn = psycopg2.connect(db_dsn)
    import_affiliations(conn, users_file)
    assert rows(conn, "select login, country_id, country_name from gha_actors order by login") == [
        ("alice", "pl", "Poland"),
        ("bob", "US", "United States"),
        ("carol", "zz", None),
        ("dave", None, None),
    ]
    assert rows(conn, "select count(*), count(*) filter (where code = lower(code)) from gha_countries") == [
        (249, 249)
    ]
    # A person who moved: the next file's country wins, and a code dropped takes the name with it.
    people[0]["country_id"] = "de"
    del people[1]["country_id"]
    users_file.write_text(json.dumps(people))
    import_affiliations(conn, users_file)
    assert rows(conn, "select login, country_name from gha_actors where login in ('alice', 'bob')") == [
        ("alice", "Germany"),
        ("bob", None),
    ]
