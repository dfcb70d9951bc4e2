from __future__ import annotations

from datetime import datetime

from devstats_sync import copy_format, event_ids, writer
from devstats_sync.archive import hour_file_name
from devstats_sync.normalize import row


def test_copy_text_escapes_and_cuts_to_column_widths() -> None:
    text = row.gha_texts(
        event_id=7,
        body="a\tb\\c\nd\re\x00f",
        created_at="2024-01-01T00:00:00",
        actor_id=1,
        actor_login="login",
        repo_id=2,
        repo_name="o/r",
        type="Type",
    )
    (line, end) = copy_format.copy_text("gha_texts", [text]).split("\n")
    assert end == ""
    assert line.split("\t") == [
        "7",
        "a\\tb\\\\c\\nd\\ref",
        "2024-01-01T00:00:00",
        "1",
        "login",
        "2",
        "o/r",
        "Type",
    ]
    label = row.gha_labels(id=1, name="x" * 300, color="ededed")
    assert copy_format.copy_text("gha_labels", [label]) == "1\t" + "x" * 160 + "\tededed\t\\N\n"
    assert copy_format.copy_text(
        "gha_labels", [row.gha_labels(id=1, name="n", color="c", is_default=True)]
    ).endswith("\tt\n")
    # Pre-2015 events carry some ids as floats.
    orgs = [row.gha_orgs(id=11213937.0, login="o"), row.gha_orgs(id="12", login="p")]
    assert copy_format.copy_text("gha_orgs", orgs) == "11213937\to\n12\tp\n"


def test_collision_ids_are_stable_and_out_of_every_other_range() -> None:
    fingerprint = ("PushEvent", 1, 2, "2025-10-09T00:00:00")
    first = event_ids.collision_id(123, fingerprint, 0)
    assert first == event_ids.collision_id(123, fingerprint, 0)
    assert first != event_ids.collision_id(123, fingerprint, 1)
    assert event_ids.COLLISION_BASE <= first < 1 << 63


def test_hour_file_names_are_not_zero_padded() -> None:
    assert hour_file_name(datetime(2024, 1, 2, 5)) == "2024-01-02-5.json.gz"
    assert hour_file_name(datetime(2024, 1, 2, 15)) == "2024-01-02-15.json.gz"


def test_event_keyed_rows_are_kept_once_per_key_first_one_winning() -> None:
    dup = (1, "actor", 2, "o/r", "ForkEvent", "2024-01-01T00:00:00")

    def forkee(forkee_id: int, name: str) -> tuple[object, ...]:
        return row.gha_forkees(
            id=forkee_id,
            event_id=1,
            name=name,
            full_name=f"o/{name}",
            owner_id=3,
            fork=True,
            created_at="2024-01-01T00:00:00",
            updated_at="2024-01-01T00:00:00",
            size=0,
            stargazers_count=0,
            has_issues=True,
            has_downloads=True,
            has_wiki=True,
            forks=0,
            open_issues=0,
            watchers=0,
            default_branch="main",
            dup=dup,
            dup_owner_login="o",
        )

    base, head, other = forkee(5, "base"), forkee(5, "head"), forkee(6, "other")
    kept = writer._unique_rows("gha_forkees", [base, head, other])
    assert len(kept) == 2
    assert set(kept) == {base, other}
    texts = [
        row.gha_texts(
            event_id=1,
            body="a",
            created_at="t",
            actor_id=1,
            actor_login="l",
            repo_id=2,
            repo_name="o/r",
            type="T",
        )
    ] * 2
    assert writer._unique_rows("gha_texts", texts) == texts  # no key: every row is kept
