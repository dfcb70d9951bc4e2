"""Every fixture event, normalized: the rows each table gets follow from the event's own JSON."""

from __future__ import annotations

from typing import Any

import pytest
from devstats_sync import normalize
from devstats_sync.schema import TABLE_BY_NAME

from tests.support.sync_inputs import CURRENT, PRE2015, fixture_events

ALL_EVENTS = [*fixture_events(CURRENT), *fixture_events(PRE2015)]


def rows_of(event: dict[str, Any]) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    rows = normalize.Rows()
    event_id = normalize.event_id_of(event)
    normalize.normalize(event, event_id, rows)
    return event_id, rows.finish()


def column(table: str, name: str, row: tuple[Any, ...]) -> Any:
    return row[TABLE_BY_NAME[table].row_columns.index(name)]


# Mapped types no fixture event carries yet: rare in GH Archive (TeamAddEvent) or pre-2015 types that
# hold nothing beyond the event itself.
WITHOUT_FIXTURE = {"TeamAddEvent", "FollowEvent", "GistEvent", "DownloadEvent", "ForkApplyEvent"}


def test_fixtures_cover_every_event_type_with_a_mapping() -> None:
    types = {e["type"] for e in ALL_EVENTS}
    assert types >= normalize.KNOWN_TYPES - WITHOUT_FIXTURE
    assert not types & WITHOUT_FIXTURE, "a fixture now carries it: take it off WITHOUT_FIXTURE"


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: f"{e['type']}-{e.get('id') or e['created_at']}")
def test_every_fixture_event_lands_in_the_right_tables(  # noqa: PLR0912, PLR0915 - one check of every table
    event: dict[str, Any],
) -> None:
    event_id, tables = rows_of(event)
    payload = event.get("payload") or {}
    pre2015 = normalize.is_pre2015(event)

    (row,) = tables["gha_events"]
    assert column("gha_events", "id", row) == event_id
    assert column("gha_events", "type", row) == event["type"]
    assert column("gha_events", "dup_repo_name", row) == normalize.repo_name_of(event)
    assert len(tables["gha_payloads"]) == 1
    if pre2015:
        assert event_id < 0
        assert column("gha_events", "dup_actor_login", row) == event["actor"]
    else:
        assert event_id == int(event["id"])
        assert column("gha_events", "actor_id", row) == event["actor"]["id"]
        assert column("gha_events", "repo_id", row) == event["repo"]["id"]
        assert (column("gha_events", "org_id", row) is None) == ("org" not in event)
    assert all(column("gha_payloads", "event_id", r) == event_id for r in tables["gha_payloads"])

    commits = payload.get("commits") or payload.get("shas") or []
    assert len(tables["gha_commits"]) == len(commits)
    issue = payload.get("issue")
    if isinstance(issue, dict):
        (issue_row,) = tables["gha_issues"]
        assert column("gha_issues", "id", issue_row) == issue["id"]
        assert column("gha_issues", "is_pull_request", issue_row) == ("pull_request" in issue)
        assert len(tables["gha_issues_labels"]) == len(issue.get("labels") or [])
        assert len(tables["gha_issues_events_labels"]) == len(issue.get("labels") or [])
        assert len(tables["gha_issues_assignees"]) == len(issue.get("assignees") or [])
    else:
        assert tables["gha_issues"] == []
    pull_request = payload.get("pull_request")
    if isinstance(pull_request, dict):
        (pr_row,) = tables["gha_pull_requests"]
        assert column("gha_pull_requests", "id", pr_row) == pull_request["id"]
        assert column("gha_pull_requests", "number", pr_row) == pull_request["number"]
        assert column("gha_pull_requests", "base_sha", pr_row) == pull_request["base"]["sha"]
        assert len(tables["gha_pull_requests_assignees"]) == len(pull_request.get("assignees") or [])
        reviewers = pull_request.get("requested_reviewers") or []
        assert len(tables["gha_pull_requests_requested_reviewers"]) == len(reviewers)
        assert {column("gha_branches", "sha", b) for b in tables["gha_branches"]} == {
            pull_request["base"]["sha"],
            pull_request["head"]["sha"],
        }
    else:
        assert tables["gha_pull_requests"] == []
    comment = payload.get("comment")
    if isinstance(comment, dict):
        (comment_row,) = tables["gha_comments"]
        assert column("gha_comments", "id", comment_row) == comment["id"]
        assert (comment["body"], event_id) in {(t[1], t[0]) for t in tables["gha_texts"]}
    else:
        assert tables["gha_comments"] == []
    review = payload.get("review")
    assert len(tables["gha_reviews"]) == (1 if isinstance(review, dict) else 0)
    release = payload.get("release")
    if isinstance(release, dict):
        assert len(tables["gha_releases"]) == 1
        assert len(tables["gha_assets"]) == len(release["assets"]) == len(tables["gha_releases_assets"])
    else:
        assert tables["gha_releases"] == []
    forkee = payload.get("forkee")
    if isinstance(forkee, dict):
        assert forkee["id"] in {column("gha_forkees", "id", f) for f in tables["gha_forkees"]}
        assert column("gha_events", "forkee_id", row) == forkee["id"]
    assert len(tables["gha_pages"]) == len(payload.get("pages") or [])
    member = payload.get("member")
    if isinstance(member, dict):
        assert (member["id"], member["login"]) in {(a[0], a[1]) for a in tables["gha_actors"]}
    # Every row of an event-keyed table points at this event.
    for table, table_rows in tables.items():
        if "event_id" in TABLE_BY_NAME[table].row_columns:
            assert {column(table, "event_id", r) for r in table_rows} <= {event_id}, table


def test_trimmed_2025_push_event_keeps_the_event_without_commits() -> None:
    (push,) = [e for e in fixture_events(CURRENT) if e["created_at"].startswith("2025")]
    _, tables = rows_of(push)
    assert tables["gha_commits"] == []
    (payload,) = tables["gha_payloads"]
    assert column("gha_payloads", "size", payload) is None
    assert column("gha_payloads", "head", payload) == push["payload"]["head"]


def test_pre2015_ids_are_derived_stably_from_what_identifies_the_event() -> None:
    event = fixture_events(PRE2015)[0]
    first = normalize.event_id_of(event)
    assert first == normalize.event_id_of(dict(event))
    assert first < 0
    assert normalize.event_id_of({**event, "type": "WatchEvent"}) != first
    assert normalize.event_id_of({**event, "created_at": "2014-06-10T18:39:00-07:00"}) != first
    ids = [normalize.event_id_of(e) for e in fixture_events(PRE2015)]
    assert len(set(ids)) == len(ids)


def test_pre2015_times_are_converted_to_utc() -> None:
    assert normalize.utc("2014-06-10T18:38:59-07:00") == "2014-06-11T01:38:59"
    assert normalize.utc("2017-07-05T18:07:52Z") == "2017-07-05T18:07:52"
    assert normalize.utc(None) is None
    event = fixture_events(PRE2015)[0]
    _, tables = rows_of(event)
    assert column("gha_events", "created_at", tables["gha_events"][0]) == "2014-06-11T01:38:59"


def test_unknown_event_types_are_kept_and_counted() -> None:
    rows = normalize.Rows()
    event = {
        "id": "1",
        "type": "SponsorshipEvent",
        "actor": {"id": 1, "login": "a"},
        "repo": {"id": 2, "name": "o/r"},
        "payload": {"action": "created"},
        "public": True,
        "created_at": "2024-01-01T00:00:00Z",
    }
    normalize.normalize(event, 1, rows)
    tables = rows.finish()
    assert len(tables["gha_events"]) == 1
    assert len(tables["gha_payloads"]) == 1
    assert rows.unknown_types == {"SponsorshipEvent": 1}


def test_an_hour_normalized_in_parts_has_the_rows_of_one_pass() -> None:
    events = [*ALL_EVENTS, {"type": "SomeNewEvent", "id": "1", "actor": {"id": 1, "login": "a"}}]
    whole = normalize.Rows()
    for event in events:
        normalize.normalize(event, normalize.event_id_of(event), whole)
    # An actor first seen without a name, then with one: the named row wins, as in one pass.
    whole.actor({"id": 9, "login": "n"})
    whole.actor({"id": 9, "login": "n"}, "Name")
    merged = normalize.Rows()
    for part_events in (events[::2], events[1::2]):
        part = normalize.Rows()
        for event in part_events:
            normalize.normalize(event, normalize.event_id_of(event), part)
        merged.absorb(part)
    unnamed, named = normalize.Rows(), normalize.Rows()
    unnamed.actor({"id": 9, "login": "n"})
    named.actor({"id": 9, "login": "n"}, "Name")
    merged.absorb(unnamed)
    merged.absorb(named)
    shared = ("gha_actors", "gha_repos", "gha_orgs", "gha_labels")
    whole_tables, merged_tables = whole.finish(), merged.finish()
    for table in shared:
        assert sorted(map(repr, whole_tables[table])) == sorted(map(repr, merged_tables[table])), table
    assert normalize.row.gha_actors(id=9, login="n", name="Name") in merged_tables["gha_actors"]
    assert merged.unknown_types == whole.unknown_types == {"SomeNewEvent": 1}
