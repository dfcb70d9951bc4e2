"""Series names from metric rows, as DevStats forms them."""

from __future__ import annotations

import pytest
from devstats_sync.metrics.names import (
    RowNaming,
    SeriesNameError,
    names_for_row,
    normalize_name,
    table_identifier,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kubernetes", "kubernetes"),
        ("  Red Hat, Inc. ", "red_hat__inc_"),
        ("sig-apps/x.y", "sig_apps_x_y"),
        ("already_ok_1", "already_ok_1"),
        ("Zürich", "z_rich"),
    ],
)
def test_normalize_name(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


@pytest.mark.parametrize(
    ("kind", "first", "options", "expected"),
    [
        (
            "single_row_multi_column",
            "prs_opened,prs_merged",
            {},
            [("prs_opened", "value"), ("prs_merged", "value")],
        ),
        ("multi_row_single_column", "company_activity_,Red Hat", {}, [("company_activity_red_hat", "value")]),
        ("multi_row_single_column", "prs,Sig-Apps", {}, [("prssig_apps", "value")]),
        ("multi_row_single_column", ",name", {}, []),
        ("multi_row_single_column", "prefix,", {}, []),
        ("multi_row_single_column", "country,Poland", {"multi_value": True}, [("country", "Poland")]),
        (
            "multi_row_single_column",
            "country,Poland",
            {"multi_value": True, "escape_value_name": True},
            [("country", "poland")],
        ),
        (
            "multi_row_single_column",
            "hist_,All`Sig Apps",
            {"multi_value": True},
            [("hist_sig_apps", "All")],
        ),
        (
            "multi_row_multi_column",
            "first_response_;PRs;_median,_p85",
            {},
            [("first_response_prs_median", "value"), ("first_response_prs_p85", "value")],
        ),
        (
            "multi_row_multi_column",
            "tm_;Group A;median,p85",
            {"multi_value": True},
            [("tm_median", "Group A"), ("tm_p85", "Group A")],
        ),
        ("multi_row_multi_column", "tm_;;median", {}, []),
        ("multi_row_multi_column", "too;few", {}, []),
        # calc_metric names a row by the part between the first and second comma only.
        ("multi_row_single_column", "sig_,apps,extra", {}, [("sig_apps", "value")]),
        (
            "multi_row_single_column",
            "prj_,GraphQL JavaScript",
            {"name_map": {"graphql_javascript": "graphqljs"}},
            [("prj_graphqljs", "value")],
        ),
        (
            "multi_row_single_column",
            "prj_,GraphQL-IDE",
            {"multi_value": True, "escape_value_name": True, "name_map": {"graphql_ide": "graphiql"}},
            [("prj_", "graphiql")],
        ),
        (
            "multi_row_multi_column",
            "prjcntr;Poland`Team A;_users",
            {"multi_value": True, "skip_escape_series_name": True},
            [("prjcntrTeam A_users", "Poland")],
        ),
        (
            "multi_row_multi_column",
            "prjcntr;x;Big Name",
            {"skip_escape_series_name": True},
            [("prjcntrxBig Name", "value")],
        ),
    ],
)
def test_names_for_row(
    kind: str, first: str, options: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert names_for_row(kind, first, RowNaming(**options)) == expected  # type: ignore[arg-type]


def test_unknown_function_is_an_error() -> None:
    with pytest.raises(SeriesNameError, match="unknown series_name_or_func function 'rows'"):
        names_for_row("rows", "a,b")


def test_table_identifier_limit() -> None:
    assert table_identifier("s", "x" * 62) == "s" + "x" * 62
    with pytest.raises(SeriesNameError, match="64 bytes; PostgreSQL allows 63"):
        table_identifier("s", "x" * 63)
