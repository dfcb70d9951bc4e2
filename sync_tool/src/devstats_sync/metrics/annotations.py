"""Release annotations of a project's main repository and the quick ranges built from them.

Releases come from what ingest stored: published releases (``gha_releases``) and tags created by
``CreateEvent`` (``gha_payloads.ref_type = 'tag'``), kept when their tag matches the project's
``annotation_regexp`` (by default a plain version; an empty one keeps every tag, as in DevStats).
Pre-releases are left out: a dashboard range "v1.2 - v1.3" should span real releases. The project's
start and CNCF milestones (join, incubating, graduated, archived dates) are annotations too, and
the milestones bound the ``c_*`` quick ranges DevStats' dashboards offer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg2.extensions import connection

from devstats_sync.projects_config import Project

# DevStats ignores anything before GitHub's data is complete enough to chart.
MIN_DATE = datetime(2012, 7, 1)
DEFAULT_TAG_REGEXP = r"^v?\d+\.\d+(\.\d+)?$"
# Suffix, name, PostgreSQL interval: the "last ..." quick ranges every project has.
LAST_RANGES = (
    ("d", "Last day", "1 day"),
    ("w", "Last week", "1 week"),
    ("d10", "Last 10 days", "10 days"),
    ("m", "Last month", "1 month"),
    ("q", "Last quarter", "3 months"),
    ("m6", "Last 6 months", "6 months"),
    ("y", "Last year", "1 year"),
    ("y2", "Last 2 years", "2 years"),
    ("y3", "Last 3 years", "3 years"),
    ("y5", "Last 5 years", "5 years"),
    ("y10", "Last decade", "10 years"),
    ("y100", "Last century", "100 years"),
)


@dataclass(frozen=True)
class Annotation:
    time: datetime
    title: str
    description: str


@dataclass(frozen=True)
class QuickRange:
    suffix: str
    name: str
    interval: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def data(self) -> str:
        """DevStats' ``quick_ranges_data``: ``suffix;interval;from;to``."""
        fmt = "%Y-%m-%d %H:%M:%S"
        return ";".join(
            [
                self.suffix,
                self.interval or "",
                self.start.strftime(fmt) if self.start else "",
                self.end.strftime(fmt) if self.end else "",
            ]
        )

    @property
    def is_closed(self) -> bool:
        """A range between two past releases: its data no longer changes."""
        return self.interval is None and not self.suffix.endswith("_n")


def release_annotations(
    conn: connection, main_repo: str | None, tag_regexp: str = DEFAULT_TAG_REGEXP
) -> list[Annotation]:
    if not main_repo:
        return []
    pattern = re.compile(tag_regexp)
    with conn.cursor() as cur:
        cur.execute(
            """
            select tag_name, min(created_at), (array_agg(coalesce(name, '') order by created_at))[1]
            from (
              select tag_name, coalesce(published_at, created_at) as created_at, name
              from gha_releases where dup_repo_name = %(repo)s and not draft and not prerelease
              union all
              select ref, dup_created_at, ''
              from gha_payloads
              where dup_repo_name = %(repo)s and dup_type = 'CreateEvent' and ref_type = 'tag'
                and ref is not null
            ) releases
            group by tag_name
            """,
            {"repo": main_repo},
        )
        found = cur.fetchall()
    annotations = []
    for tag, created, name in sorted(found, key=lambda row: row[1]):
        if not pattern.search(tag) or created < MIN_DATE:
            continue
        description = " ".join((name or tag)[:40].split())
        annotations.append(Annotation(created, tag, description))
    # Two releases in one hour would make a zero-length range; the first one stands for both.
    result: list[Annotation] = []
    for annotation in annotations:
        hour = annotation.time.replace(minute=0, second=0, microsecond=0)
        if result and result[-1].time.replace(minute=0, second=0, microsecond=0) == hour:
            continue
        result.append(annotation)
    return result


def quick_ranges(annotations: list[Annotation], now: datetime, project: Project) -> list[QuickRange]:
    """The last-N ranges, release-to-release ranges ``a_<i>_<j>``, then the CNCF ranges ``c_*``."""
    ranges = [QuickRange(suffix, name, interval=interval) for suffix, name, interval in LAST_RANGES]
    tomorrow = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for index, annotation in enumerate(annotations):
        if index == len(annotations) - 1:
            ranges.append(
                QuickRange(f"a_{index}_n", f"{annotation.title} - now", start=annotation.time, end=tomorrow)
            )
        else:
            following = annotations[index + 1]
            ranges.append(
                QuickRange(
                    f"a_{index}_{index + 1}",
                    f"{annotation.title} - {following.title}",
                    start=annotation.time,
                    end=following.time,
                )
            )
    return ranges + cncf_ranges(project, now)


def milestone_annotations(project: Project) -> list[Annotation]:
    """The project's start and its CNCF milestones, titled as DevStats titles them. The start and the
    join date are left out when the join date does not follow the start (DevStats' rule)."""
    start, joined = project.start_date, project.join_date
    found = []
    if joined is None or joined > start:
        if start >= MIN_DATE:
            found.append(Annotation(start, "Project start date", f"{start:%Y-%m-%d} - project starts"))
        if joined is not None:
            found.append(Annotation(joined, "CNCF join date", f"{joined:%Y-%m-%d} - joined CNCF"))
    for moment, title, what in (
        (project.incubating_date, "Moved to incubating state", "project moved to incubating state"),
        (project.graduated_date, "Graduated", "project graduated"),
        (project.archived_date, "Archived", "project was archived"),
    ):
        if moment is not None:
            found.append(Annotation(moment, title, f"{moment:%Y-%m-%d} - {what}"))
    return found


def annotation_rows(releases: list[Annotation], milestones: list[Annotation]) -> list[dict[str, object]]:
    """``sannotations`` rows, one per hour: a release keeps its hour, a milestone takes a free one."""
    rows: dict[datetime, dict[str, object]] = {}
    for annotation in (*releases, *milestones):
        hour = annotation.time.replace(minute=0, second=0, microsecond=0)
        rows.setdefault(
            hour, {"time": hour, "title": annotation.title, "description": annotation.description}
        )
    return [rows[hour] for hour in sorted(rows)]


def cncf_ranges(project: Project, now: datetime) -> list[QuickRange]:
    """The ``c_*`` quick ranges between the project's start and its CNCF milestones (DevStats' rules:
    none without a join date after the start; incubation and graduation only in that order)."""
    start, joined = project.start_date, project.join_date
    incubating, graduated = project.incubating_date, project.graduated_date
    if joined is None or joined <= start:
        return []
    tomorrow = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    ranges = [
        QuickRange("c_b", "Before joining CNCF", start=start, end=joined),
        QuickRange("c_n", "Since joining CNCF", start=joined, end=tomorrow),
    ]
    if incubating is not None and graduated is not None and graduated <= incubating:
        return ranges
    if incubating is not None and incubating > joined:
        ranges.append(
            QuickRange("c_j_i", "CNCF join date - moved to incubation", start=joined, end=incubating)
        )
        if graduated is not None:
            ranges.append(
                QuickRange("c_i_g", "Moved to incubation - graduated", start=incubating, end=graduated)
            )
        else:
            ranges.append(
                QuickRange("c_i_n", "Since moving to incubating state", start=incubating, end=tomorrow)
            )
    if graduated is not None and graduated > joined:
        if incubating is None:
            ranges.append(QuickRange("c_j_g", "CNCF join date - graduated", start=joined, end=graduated))
        ranges.append(QuickRange("c_g_n", "Since graduating", start=graduated, end=tomorrow))
    return ranges


def quick_range_rows(ranges: list[QuickRange]) -> list[dict[str, object]]:
    """``tquick_ranges`` rows, one hour apart from 2012-07-01 so their order is the list's order."""
    return [
        {
            "time": MIN_DATE + timedelta(hours=i),
            "quick_ranges_suffix": r.suffix,
            "quick_ranges_name": r.name,
            "quick_ranges_data": r.data,
        }
        for i, r in enumerate(ranges)
    ]
