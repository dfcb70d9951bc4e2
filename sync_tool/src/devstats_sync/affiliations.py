"""Affiliations from cncf/gitdm: ``github_users.json`` and ``companies.yaml`` into the actor tables.

Facts of the format (cncf/gitdm, as DevStats' import_affs reads it): a JSON list of users with
``login``, ``email`` (``@`` written as ``!``, several separated by ``, ``), ``name``, ``affiliation``
(``"A < 2019-01-01, B < 2021-06-30, C"``: A until 2019-01-01, then B until 2021-06-30, then C),
optional ``country_id``, ``sex``, ``sex_prob``, ``tz``, ``age`` and ``source`` (who said so). A login
may appear several times; the entry from the most trusted source wins. ``companies.yaml`` lists
``acquisitions`` as ``[regexp, new name]`` pairs: a company matching the regexp is reported under
the new name (``original_company_name`` keeps what the file said).

The whole import is one transaction; the files' combined SHA-256 is remembered in ``gha_vars``, so
importing the same files again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from psycopg2.extensions import connection
from psycopg2.extras import execute_values

from devstats_sync.countries import name_actors_countries
from devstats_sync.normalize import hash_id

HASH_VAR = "affiliations_import_sha256"
DATE_FROM = datetime(1970, 1, 1)
DATE_TO = datetime(2099, 1, 1)
_NO_AFFILIATION = frozenset({"", "?", "NotFound", "(Unknown)", "-"})
# Most trusted first; an unknown source ranks below every known one.
SOURCE_PRIORITY: tuple[str, ...] = ("user_manual", "manual", "config", "user", "domain", "notfound")
_EMAIL_RE = re.compile(r"([^\s!]+)!([^\s!]+)")


class AffiliationsError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    company: str
    dt_from: datetime
    dt_to: datetime


@dataclass
class UserAffiliations:
    login: str
    source: str
    name: str = ""
    emails: set[str] = field(default_factory=set)
    periods: list[Period] = field(default_factory=list)
    country_id: str | None = None
    sex: str | None = None
    sex_prob: float | None = None
    tz: str | None = None
    age: int | None = None


@dataclass
class ImportResult:
    skipped: bool = False
    sha256: str = ""
    users: int = 0
    actors_added: int = 0
    emails: int = 0
    names: int = 0
    affiliations: int = 0
    companies: int = 0

    def describe(self) -> str:
        if self.skipped:
            return f"affiliations: files already imported (sha256 {self.sha256[:12]}), nothing to do"
        return (
            f"affiliations: {self.users} users, {self.actors_added} new actors, {self.emails} emails, "
            f"{self.names} names, {self.affiliations} affiliation periods, {self.companies} companies"
        )


def decode_emails(text: str) -> set[str]:
    decoded = _EMAIL_RE.sub(r"\1@\2", text or "")
    return {part.strip().lower() for part in decoded.split(",") if "@" in part}


def parse_affiliation(text: str, where: str) -> list[Period]:
    """``"A < 2019-01-01, B"`` -> [A from 1970 to 2019-01-01, B from 2019-01-01 to 2099]."""
    if text.strip() in _NO_AFFILIATION:
        return []
    periods: list[Period] = []
    start = DATE_FROM
    parts = [part.strip() for part in text.split(",") if part.strip()]
    for index, part in enumerate(parts):
        company, sep, until = part.partition("<")
        company = company.strip()
        if not company:
            raise AffiliationsError(f"{where}: empty company name in affiliation {text!r}")
        if not sep:
            if index != len(parts) - 1:
                raise AffiliationsError(f"{where}: only the last company of {text!r} may lack '< date'")
            periods.append(Period(company, start, DATE_TO))
            break
        try:
            end = datetime.strptime(until.strip(), "%Y-%m-%d")
        except ValueError:
            raise AffiliationsError(
                f"{where}: {until.strip()!r} in affiliation {text!r} is not a YYYY-MM-DD date"
            ) from None
        if end <= start:
            raise AffiliationsError(f"{where}: dates in affiliation {text!r} are not increasing")
        periods.append(Period(company, start, end))
        start = end
    return periods


def _rank(source: str) -> int:
    return SOURCE_PRIORITY.index(source) if source in SOURCE_PRIORITY else len(SOURCE_PRIORITY)


def parse_users(data: Any, where: str) -> dict[str, UserAffiliations]:
    """One entry per lower-cased login; periods from the most trusted source, emails and names from all."""
    if not isinstance(data, list):
        raise AffiliationsError(f"{where}: expected a JSON list of users")
    users: dict[str, UserAffiliations] = {}
    for index, raw in enumerate(data):
        if not isinstance(raw, dict) or not isinstance(raw.get("login"), str) or not raw["login"]:
            raise AffiliationsError(f"{where}: entry #{index + 1} has no 'login'")
        login = raw["login"]
        at = f"{where}, entry #{index + 1} ({login})"
        source = str(raw.get("source") or "")
        periods = parse_affiliation(str(raw.get("affiliation") or ""), at)
        key = login.lower()
        user = users.get(key)
        if user is None:
            user = users[key] = UserAffiliations(login=login, source=source)
            user.periods = periods
        elif periods and (not user.periods or _rank(source) < _rank(user.source)):
            user.periods, user.source = periods, source
        user.emails |= decode_emails(str(raw.get("email") or ""))
        if raw.get("name") and not user.name:
            user.name = str(raw["name"])[:120]
        for attr in ("country_id", "sex", "sex_prob", "tz", "age"):
            if raw.get(attr) is not None and getattr(user, attr) is None:
                setattr(user, attr, raw[attr])
    return users


def parse_acquisitions(data: Any, where: str) -> list[tuple[re.Pattern[str], str]]:
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("acquisitions", []), list):
        raise AffiliationsError(f"{where}: expected a mapping with an 'acquisitions' list")
    out: list[tuple[re.Pattern[str], str]] = []
    for index, pair in enumerate(data.get("acquisitions") or []):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise AffiliationsError(f"{where}: acquisition #{index + 1} is not a [regexp, name] pair")
        try:
            out.append((re.compile(pair[0]), pair[1]))
        except re.error as error:
            raise AffiliationsError(
                f"{where}: acquisition #{index + 1}: bad regexp {pair[0]!r}: {error}"
            ) from None
    return out


def map_company(company: str, acquisitions: Iterable[tuple[re.Pattern[str], str]]) -> str:
    for pattern, new_name in acquisitions:
        if pattern.search(company):
            return new_name
    return company


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise AffiliationsError(f"cannot read {what} {path}: {error.strerror}") from None


def import_affiliations(
    conn: connection, users_file: Path, companies_file: Path | None = None, *, force: bool = False
) -> ImportResult:
    users_bytes = _read(users_file, "users file")
    companies_bytes = _read(companies_file, "companies file") if companies_file else None
    digest = hashlib.sha256(users_bytes)
    if companies_bytes is not None:
        digest.update(b"\0")
        digest.update(companies_bytes)
    result = ImportResult(sha256=digest.hexdigest())
    try:
        data = json.loads(users_bytes)
    except ValueError as error:
        raise AffiliationsError(f"{users_file} is not valid JSON: {error}") from None
    users = parse_users(data, str(users_file))
    acquisitions: list[tuple[re.Pattern[str], str]] = []
    if companies_bytes is not None:
        try:
            companies_doc = yaml.safe_load(companies_bytes)
        except yaml.YAMLError as error:
            raise AffiliationsError(f"{companies_file} is not valid YAML: {error}") from None
        acquisitions = parse_acquisitions(companies_doc, str(companies_file))
    with conn, conn.cursor() as cur:
        cur.execute("select value_s from gha_vars where name = %s for update", (HASH_VAR,))
        row = cur.fetchone()
        if row and row[0] == result.sha256 and not force:
            result.skipped = True
            return result
        _write(cur, users, acquisitions, result)
        cur.execute(
            "insert into gha_vars(name, value_s, value_dt) values (%s, %s, now() at time zone 'utc') "
            "on conflict (name) do update set value_s = excluded.value_s, value_dt = excluded.value_dt",
            (HASH_VAR, result.sha256),
        )
        cur.execute("insert into gha_imported_shas(sha) values (%s) on conflict do nothing", (result.sha256,))
    return result


def _write(
    cur: Any,
    users: dict[str, UserAffiliations],
    acquisitions: list[tuple[re.Pattern[str], str]],
    result: ImportResult,
) -> None:
    result.users = len(users)
    cur.execute("create temporary table _aff_users (login text primary key, name text) on commit drop")
    execute_values(
        cur, "insert into _aff_users values %s", [(k, u.name) for k, u in users.items()], page_size=5000
    )
    # Actors the database has never seen get the same derived id ingest gives a login-only actor.
    new_actors = [(hash_id("actor", u.login), u.login[:120], u.name or None) for k, u in users.items()]
    cur.execute("select lower(login) from gha_actors where lower(login) in (select login from _aff_users)")
    known = {r[0] for r in cur.fetchall()}
    new_actors = [a for a in new_actors if a[1].lower() not in known]
    execute_values(
        cur, "insert into gha_actors(id, login, name) values %s on conflict do nothing", new_actors
    )
    result.actors_added = cur.rowcount if new_actors else 0
    cur.execute("select a.id, lower(a.login) from gha_actors a join _aff_users u on u.login = lower(a.login)")
    ids: dict[str, list[int]] = {}
    for actor_id, login in cur.fetchall():
        ids.setdefault(login, []).append(actor_id)
    updates = [
        (u.name or None, u.country_id, u.sex, u.sex_prob, u.tz, u.age, k)
        for k, u in users.items()
        if u.name or u.country_id or u.sex or u.tz or u.age is not None
    ]
    execute_values(
        cur,
        "update gha_actors a set name = coalesce(v.name, a.name), country_id = v.country_id, sex = v.sex, "
        "sex_prob = v.sex_prob::double precision, tz = v.tz, age = v.age::int, "
        "tz_offset = (select (extract(epoch from utc_offset) / 60)::int from pg_timezone_names "
        "where name = v.tz) from (values %s) as v(name, country_id, sex, sex_prob, tz, age, login) "
        "where lower(a.login) = v.login",
        updates,
        page_size=2000,
    )
    name_actors_countries(cur)
    emails = sorted({(aid, e[:120]) for k, u in users.items() for aid in ids.get(k, ()) for e in u.emails})
    execute_values(
        cur, "insert into gha_actors_emails(actor_id, email) values %s on conflict do nothing", emails
    )
    result.emails = len(emails)
    names = sorted({(aid, u.name) for k, u in users.items() if u.name for aid in ids.get(k, ())})
    execute_values(
        cur, "insert into gha_actors_names(actor_id, name) values %s on conflict do nothing", names
    )
    result.names = len(names)
    affiliated = sorted({aid for k, u in users.items() if u.periods for aid in ids.get(k, ())})
    # The file is the truth for the actors it names: their periods are replaced, not merged.
    cur.execute("delete from gha_actors_affiliations where actor_id = any(%s)", (affiliated,))
    rows = sorted(
        {
            (
                aid,
                map_company(p.company, acquisitions)[:160],
                p.company[:160],
                p.dt_from,
                p.dt_to,
                u.source[:30],
            )
            for k, u in users.items()
            for aid in ids.get(k, ())
            for p in u.periods
        }
    )
    execute_values(
        cur,
        "insert into gha_actors_affiliations"
        "(actor_id, company_name, original_company_name, dt_from, dt_to, source) "
        "values %s on conflict do nothing",
        rows,
        page_size=5000,
    )
    result.affiliations = len(rows)
    companies = sorted({(r[1],) for r in rows})
    execute_values(cur, "insert into gha_companies(name) values %s on conflict do nothing", companies)
    result.companies = len(companies)
