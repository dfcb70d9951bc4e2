"""Reading metrics.yaml and tags.yaml in DevStats' format, and the errors for bad ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from devstats_sync.metrics.config import BUNDLED_DIR, MetricsConfigError, load_metrics, load_tags
from devstats_sync.metrics.periods import Period


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_bundled_default_set_loads() -> None:
    metrics = load_metrics(BUNDLED_DIR, "any-project")
    names = {m.sql_files[0].stem for m in metrics}
    expected = {"events", "commits", "prs", "pr_time_to_merge", "issues", "first_response",
                "company_activity", "repo_group_activity", "country_activity", "contributors",
                "new_contributors"}  # fmt: skip
    assert expected <= names
    tags = load_tags(BUNDLED_DIR, "any-project")
    assert [t.series_name for t in tags] == ["repo_groups", "companies", "countries"]


def test_fields_periods_aggregates_and_skip(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "shared/metrics.yaml": (
                "metrics:\n"
                "  - name: Events\n"
                "    series_name_or_func: events\n"
                "    sql: events\n"
                "    periods: h,d,w\n"
                "    aggregate: 1,7,24\n"
                "    skip: h7,w7,d24,w24\n"
                "    desc: time_diff_as_string\n"
                "    add_period_to_name: true\n"
                "    drop: sold_events\n"
                "    env: {GHA2DB_NCPUS: 1}\n"
            ),
            "shared/events.sql": "select 1",
        },
    )
    (metric,) = load_metrics(root, "p")
    assert [p.label for p in metric.periods] == ["h", "h24", "d", "d7", "w"]
    assert metric.periods[1] == Period("h", 24)
    assert metric.desc == "time_diff_as_string"
    assert metric.add_period_to_name
    assert metric.drop == ("sold_events",)
    assert metric.sql_files == (root / "shared" / "events.sql",)


def test_every_devstats_metric_field_loads(tmp_path: Path) -> None:
    """One entry with every field of DevStats' metric, as its metrics.yaml files write them."""
    root = _write(
        tmp_path,
        {
            "shared/metrics.yaml": (
                "metrics:\n"
                "  - name: Countries stats\n"
                "    series_name_or_func: multi_row_multi_column\n"
                "    sqls: [countries, committers_countries]\n"
                "    periods: w,m,q,m6,y,y2,y3,y5\n"
                "    aggregate: 1,7\n"
                "    skip: w7,m7,q7,m67,y7,y27,y37,y57\n"
                "    multi_value: true\n"
                "    escape_value_name: true\n"
                "    skip_escape_series_name: true\n"
                "    merge_series: countries\n"
                "    drop: 'scountries;scountries_old'\n"
                "    custom_data: true\n"
                "    custom_data_unique_time: true\n"
                "    series_name_map:\n"
                "      graphqljavascript: graphqljs\n"
                "    start_from: 2018-01-01T00:00:00Z\n"
                "    env:\n"
                "      GHA2DB_NCPUS?: 8\n"
                "    allow_fail: true\n"
                "    wait_after_fail: 600\n"
                "    hll: true\n"
                "    always_recalc: true\n"
                "    add_period_to_name: false\n"
                "    desc: time_diff_as_string\n"
                "    project: '!kubernetes'\n"
                "    disabled: false\n"
                "  - name: Hours\n"
                "    series_name_or_func: hours\n"
                "    sql: countries\n"
                "    histogram: true\n"
                "    annotations_ranges: true\n"
                "    skip: a_0_1\n"
                "    last_hours: 8766\n"
            ),
            "shared/countries.sql": "select 1",
            "shared/committers_countries.sql": "select 1",
        },
    )
    metric, hours = load_metrics(root, "p")
    # Every aggregate 7 is skipped, the multiplied ones by their gha2db names (m6 + 7 = m67).
    assert [p.label for p in metric.periods] == ["w", "m", "q", "m6", "y", "y2", "y3", "y5"]
    assert metric.periods[3] == Period("m", 6)
    assert (metric.drop, metric.merge_series, metric.series_name_map) == (
        ("scountries", "scountries_old"),
        "countries",
        (("graphqljavascript", "graphqljs"),),
    )
    assert metric.start_from == datetime(2018, 1, 1)
    flags = ("multi_value", "escape_value_name", "skip_escape_series_name", "custom_data",
             "custom_data_unique_time", "allow_fail", "hll", "always_recalc")  # fmt: skip
    assert all(getattr(metric, name) for name in flags)
    assert (hours.histogram, hours.annotations_ranges, hours.skip, hours.last_hours) == (
        True,
        True,
        frozenset({"a_0_1"}),
        8766,
    )


def test_project_directory_overrides_shared(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "shared/metrics.yaml": "metrics:\n  - {name: A, series_name_or_func: a, sql: a, periods: d}\n",
            "shared/a.sql": "select 1",
            "proj/a.sql": "select 2",
            "other/metrics.yaml": "metrics:\n  - {name: B, series_name_or_func: b, sql: a, periods: w}\n",
        },
    )
    (metric,) = load_metrics(root, "proj")
    assert metric.sql_files == (root / "proj" / "a.sql",)
    (other,) = load_metrics(root, "other")
    assert (other.name, other.sql_files) == ("B", (root / "shared" / "a.sql",))


def test_disabled_and_project_filters(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "shared/metrics.yaml": (
                "metrics:\n"
                "  - {name: Switched off, series_name_or_func: a, sql: a, periods: d, disabled: true}\n"
                "  - {name: Only k8s, series_name_or_func: b, sql: a, periods: d, project: kubernetes}\n"
                "  - {name: Not k8s, series_name_or_func: c, sql: a, periods: d, project: '!kubernetes'}\n"
                "  - {name: Many, series_name_or_func: d, sql: a, periods: d, project: 'kubernetes,helm'}\n"
            ),
            "shared/a.sql": "select 1",
        },
    )
    assert [m.name for m in load_metrics(root, "kubernetes")] == ["Only k8s", "Many"]
    assert [m.name for m in load_metrics(root, "helm")] == ["Not k8s", "Many"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{name: X, series_name_or_func: x, sql: a, periods: d, colour: red}", r"unknown field\(s\) colour"),
        ("{name: X, sql: a, periods: d}", r"field 'series_name_or_func': required"),
        ("{name: X, series_name_or_func: x, periods: d}", "exactly one of 'sql' or 'sqls'"),
        ("{name: X, series_name_or_func: x, sql: missing, periods: d}", "SQL file missing.sql found neither"),
        ("{name: X, series_name_or_func: x, sql: a, periods: z}", "field 'periods': 'z' is not one of"),
        ("{name: X, series_name_or_func: x, sql: a}", "field 'periods': at least one period"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, aggregate: 'x'}", "field 'aggregate': 'x'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, desc: fancy}", "field 'desc': 'fancy'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, multi_value: 'yes'}", "field 'multi_value'"),
        ("{name: X, series_name_or_func: Big-Name, sql: a, periods: d}", "must be lower case"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, merge_series: A B}", "merge_series 'A B'"),
        (
            "{name: X, series_name_or_func: x, sql: a, periods: d, annotations_ranges: true}",
            "only valid with",
        ),
        (
            "{name: X, series_name_or_func: x, sqls: [], periods: d}",
            "field 'sqls': expected a non-empty list",
        ),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, env: [1]}", "field 'env'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: m6x}", "'m6x' is not one of h, d, w, m, q, y"),
        (
            "{name: X, series_name_or_func: x, sql: a, periods: d, custom_data_unique_time: true}",
            "only valid with 'custom_data: true'",
        ),
        (
            "{name: X, series_name_or_func: x, sql: a, periods: d, last_hours: 5, start_from: 2020-01-01}",
            "either 'start_from' or 'last_hours'",
        ),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, last_hours: -1}", "field 'last_hours'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, start_from: soon}", "field 'start_from'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, series_name_map: [a]}", "'series_name_map'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, wait_after_fail: x}", "'wait_after_fail'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, hll: 1}", "field 'hll'"),
        ("{name: X, series_name_or_func: x, sql: a, periods: d, drop: [a]}", "field 'drop'"),
        (
            "{name: X, series_name_or_func: x, sql: a, histogram: true, periods: d, drop: sx}",
            "not valid on a",
        ),
    ],
)
def test_errors_name_file_metric_and_field(tmp_path: Path, entry: str, message: str) -> None:
    root = _write(tmp_path, {"shared/metrics.yaml": f"metrics:\n  - {entry}\n", "shared/a.sql": "select 1"})
    with pytest.raises(MetricsConfigError, match=message) as error:
        load_metrics(root, "p")
    assert str(root / "shared" / "metrics.yaml") in str(error.value)
    assert "'X'" in str(error.value) or "''" in str(error.value)
    assert "(#1)" in str(error.value)


def test_missing_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(MetricsConfigError, match=r"no metrics\.yaml in"):
        load_metrics(tmp_path, "p")
    _write(tmp_path, {"shared/metrics.yaml": "metrics: [\n"})
    with pytest.raises(MetricsConfigError, match="is not valid YAML"):
        load_metrics(tmp_path, "p")
    _write(tmp_path, {"shared/metrics.yaml": "- a\n"})
    with pytest.raises(MetricsConfigError, match="expected a mapping with a 'metrics' list"):
        load_metrics(tmp_path, "p")


def test_tag_errors(tmp_path: Path) -> None:
    _write(tmp_path, {"shared/tags.yaml": "tags:\n  - {name: T, sql: nope, series_name: t}\n"})
    with pytest.raises(MetricsConfigError, match=r"tag 'T' \(#1\): SQL file nope.sql not found"):
        load_tags(tmp_path, "p")
    _write(tmp_path, {"shared/tags.yaml": "tags:\n  - {name: T, sql: a, series_name: t, size: 3}\n"})
    with pytest.raises(MetricsConfigError, match=r"unknown field\(s\) size"):
        load_tags(tmp_path, "p")
