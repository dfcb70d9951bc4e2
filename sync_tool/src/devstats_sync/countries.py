"""Country names for the affiliations' country codes, as DevStats keeps them.

DevStats' country dashboards group contributors by ``gha_actors.country_name``, which it derives from
the ``country_id`` of cncf/gitdm's github_users.json through its ``gha_countries`` table. The table's
content (ISO 3166-1 codes and English names) ships with the tool in ``data/countries.tsv``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from psycopg2.extensions import cursor
from psycopg2.extras import execute_values


@cache
def country_names() -> dict[str, str]:
    """Lower-case ISO 3166-1 alpha-2 code -> English short name."""
    text = resources.files("devstats_sync").joinpath("data/countries.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return dict(rows)


def name_actors_countries(cur: cursor) -> int:
    """Fills ``gha_countries`` and sets every actor's ``country_name`` from its ``country_id``;
    returns how many actors changed. A code the table lacks leaves the name empty."""
    execute_values(
        cur,
        "insert into gha_countries(code, name) values %s on conflict (code) do update "
        "set name = excluded.name where gha_countries.name is distinct from excluded.name",
        sorted(country_names().items()),
    )
    cur.execute(
        "update gha_actors a set country_name = c.name from gha_countries c "
        "where c.code = lower(a.country_id) and a.country_name is distinct from c.name"
    )
    named = cur.rowcount
    cur.execute(
        "update gha_actors a set country_name = null where a.country_name is not null and not exists "
        "(select 1 from gha_countries c where c.code = lower(a.country_id))"
    )
    return named + cur.rowcount
