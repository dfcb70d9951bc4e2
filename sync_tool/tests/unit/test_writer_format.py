from __future__ import annotations

from datetime import datetime

from devstats_sync import normalize, writer
from devstats_sync.archive import hour_file_name


def test_copy_text_escapes_and_cuts_to_column_widths() -> None:
    row = (7, "a\tb\\c\nd\re\x00f", "2024-01-01T00:00:00", 1, "login", 2, "o/r", "Type")
    (line, end) = writer.copy_text("gha_texts", [row]).split("\n")
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
    label = (1, "x" * 300, "ededed", None)
    assert writer.copy_text("gha_labels", [label]) == "1\t" + "x" * 160 + "\tededed\t\\N\n"
    assert writer.copy_text("gha_labels", [(1, "n", "c", True)]).endswith("\tt\n")
    assert len(normalize.COLUMNS["gha_labels"]) == 4
    # Pre-2015 events carry some ids as floats.
    assert writer.copy_text("gha_orgs", [(11213937.0, "o"), ("12", "p")]) == "11213937\to\n12\tp\n"


def test_collision_ids_are_stable_and_out_of_every_other_range() -> None:
    fingerprint = ("PushEvent", 1, 2, "2025-10-09T00:00:00")
    first = writer.collision_id(123, fingerprint, 0)
    assert first == writer.collision_id(123, fingerprint, 0)
    assert first != writer.collision_id(123, fingerprint, 1)
    assert writer.COLLISION_BASE <= first < 1 << 63


def test_hour_file_names_are_not_zero_padded() -> None:
    assert hour_file_name(datetime(2024, 1, 2, 5)) == "2024-01-02-5.json.gz"
    assert hour_file_name(datetime(2024, 1, 2, 15)) == "2024-01-02-15.json.gz"


def test_event_keyed_rows_are_kept_once_per_key_first_one_winning() -> None:
    forkee = ["x"] * len(normalize.COLUMNS["gha_forkees"])
    base = (5, 1, "base", *forkee[3:])
    head = (5, 1, "head", *forkee[3:])
    other = (6, 1, "other", *forkee[3:])
    kept = writer._unique_rows("gha_forkees", [base, head, other])
    assert len(kept) == 2
    assert set(kept) == {base, other}
    texts = [(1, "a", "t", 1, "l", 2, "o/r", "T")] * 2
    assert writer._unique_rows("gha_texts", texts) == texts  # no key: every row is kept
