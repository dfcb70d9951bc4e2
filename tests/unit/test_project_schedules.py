"""Generated schedules: stable per project, spread evenly, valid cron for every supported interval."""

from __future__ import annotations

import collections

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.module_utils.inventory_values import cron_problem, interval_minutes
from plugins.module_utils.project_manifests import render_workloads
from plugins.module_utils.project_schedules import cron_for_offset, generated_schedule, offset_minutes
from tests.support.inventory_models import WORKLOAD_OPTIONS as OPTIONS
from tests.support.inventory_models import foundation_model

PROJECT_NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,37}[a-z0-9]", fullmatch=True)


def _schedules(names: list[str], interval: str = "1h") -> dict[str, str]:
    rendered = render_workloads(
        foundation_model([{"name": name} for name in names], devstats_sync_interval=interval), OPTIONS
    )
    return {row["project"]: row["sync"] for row in rendered["schedules"]}


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(PROJECT_NAMES, min_size=1, max_size=40, unique=True),
    extra=PROJECT_NAMES,
    interval=st.sampled_from(["15m", "30m", "1h", "2h", "6h", "1d", "7d"]),
)
def test_adding_or_removing_a_project_moves_no_other(names: list[str], extra: str, interval: str) -> None:
    before = _schedules(names, interval)
    with_extra = _schedules([*names, extra] if extra not in names else names, interval)
    without_first = _schedules(names[1:], interval) if len(names) > 1 else {}
    for name in names:
        assert with_extra[name] == before[name]
    for name in names[1:]:
        assert without_first[name] == before[name]


@settings(max_examples=30, deadline=None)
@given(names=st.lists(PROJECT_NAMES, min_size=2, max_size=30, unique=True), seed=st.randoms())
def test_order_of_projects_does_not_matter(names: list[str], seed: object) -> None:
    shuffled = list(names)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _schedules(shuffled) == _schedules(names)


def test_three_hundred_hourly_projects_spread_over_the_hour() -> None:
    schedules = _schedules([f"project-{index:03d}" for index in range(300)])
    minutes = collections.Counter(int(cron.split()[0]) for cron in schedules.values())
    # 300 over 60 minutes is 5 on average; a uniform hash puts at most about 12 on the fullest minute.
    assert max(minutes.values()) <= 12
    assert len(minutes) >= 55


@pytest.mark.parametrize(
    "interval", ["5m", "15m", "30m", "1h", "2h", "3h", "4h", "6h", "8h", "12h", "24h", "1d", "7d"]
)
def test_every_offset_gives_a_valid_cron_expression(interval: str) -> None:
    minutes = interval_minutes(interval)
    for offset in range(0, minutes, max(1, minutes // 97)):
        assert cron_problem(cron_for_offset(offset, minutes)) is None, offset


@pytest.mark.parametrize(
    ("offset", "interval", "expected"),
    [
        (7, 15, "7-59/15 * * * *"),
        (42, 60, "42 * * * *"),
        (75, 120, "15 1-23/2 * * *"),
        (359, 360, "59 5-23/6 * * *"),
        (61, 1440, "1 1 * * *"),
        (1440 * 3 + 62, 10080, "2 1 * * 3"),
    ],
)
def test_offset_to_cron(offset: int, interval: int, expected: str) -> None:
    assert cron_for_offset(offset, interval) == expected


def test_sync_and_affiliations_use_independent_offsets() -> None:
    offsets = {
        (offset_minutes(f"p{i}", "sync", 1440), offset_minutes(f"p{i}", "affiliations", 1440))
        for i in range(50)
    }
    assert any(sync != affiliations for sync, affiliations in offsets)


def test_schedule_is_a_function_of_the_name_alone() -> None:
    assert generated_schedule("kubernetes", "sync", 60) == generated_schedule("kubernetes", "sync", 60)
    assert _schedules(["kubernetes"])["kubernetes"] == generated_schedule("kubernetes", "sync", 60)
