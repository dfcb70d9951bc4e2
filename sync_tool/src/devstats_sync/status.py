"""Per-project freshness, the figures alerts watch: last parsed hour, last metrics, lag, flags, and
the hours and events the sync tool could not store (:mod:`devstats_sync.hour_records`).

A project is stale when its last parsed hour lags more than the limit behind, or when an hour older
than the limit is still pending: a failed hour never ages out of sight.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devstats_sync import hour_records
from devstats_sync.connections import ConnectError, connect
from devstats_sync.locking import find_holder
from devstats_sync.pipeline import PROVISIONED_VAR, RUNNING_VAR
from devstats_sync.projects_config import Project
from devstats_sync.schema import QUARANTINE


@dataclass
class ProjectStatus:
    project: str
    database: str
    reachable: bool
    provisioned: bool = False
    running: bool = False
    running_by: str = ""
    last_parsed_hour: datetime | None = None
    last_metrics_at: datetime | None = None
    lag_hours: float | None = None
    stale: bool = True
    error: str = ""
    failed_hours: list[hour_records.FailedHour] = field(default_factory=list)
    quarantined_events: int = 0

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("last_parsed_hour", "last_metrics_at"):
            out[key] = out[key].strftime("%Y-%m-%dT%H:%M:%SZ") if out[key] else None
        out["failed_hours"] = [failed.as_json() for failed in self.failed_hours]
        return out

    def as_line(self) -> str:
        if not self.reachable:
            return f"{self.project}: database {self.database} unreachable: {self.error}"
        parsed = f"{self.last_parsed_hour:%Y-%m-%d %H}:00" if self.last_parsed_hour else "never"
        metrics = f"{self.last_metrics_at:%Y-%m-%d %H:%M}" if self.last_metrics_at else "never"
        lag = f"{self.lag_hours:.1f}h" if self.lag_hours is not None else "-"
        flags = ", ".join(
            f
            for f, on in (("provisioned", self.provisioned), ("running", self.running), ("STALE", self.stale))
            if on
        )
        line = f"{self.project}: last hour {parsed}, metrics {metrics}, lag {lag} [{flags}]"
        if self.failed_hours:
            oldest = self.failed_hours[0]
            line += (
                f"; {len(self.failed_hours)} failed hour(s), the oldest {oldest.hour:%Y-%m-%d %H}:00 "
                f"({oldest.attempts} attempt(s)): {oldest.reason}"
            )
        if self.quarantined_events:
            line += f"; {self.quarantined_events} quarantined event(s) in {QUARANTINE.name}"
        return line


def project_status(dsn: str, project: Project, now: datetime, stale_after: timedelta) -> ProjectStatus:
    status = ProjectStatus(project=project.name, database=project.db, reachable=False)
    try:
        conn = connect(dsn, project.db)
    except ConnectError as error:
        status.error = str(error)
        return status
    try:
        status.reachable = True
        with conn.cursor() as cur:
            cur.execute("select to_regclass('gha_parsed') is not null")
            if not cur.fetchone()[0]:
                status.error = "no DevStats schema"
                return status
            cur.execute("select max(dt) from gha_parsed")
            status.last_parsed_hour = cur.fetchone()[0]
            cur.execute(
                "select name, value_s, value_dt from gha_vars where name in (%s, %s)",
                (PROVISIONED_VAR, RUNNING_VAR),
            )
            for name, value_s, value_dt in cur.fetchall():
                if name == PROVISIONED_VAR:
                    status.provisioned = value_dt is not None
                else:
                    status.running_by = value_s or ""
            # The metrics engine marks each metric's last computed bucket as 'metrics:<id>' in gha_computed.
            cur.execute(
                "select greatest((select max(dt) from gha_computed where metric like 'metrics:%%'), "
                "(select max(dt) from gha_last_computed))"
            )
            status.last_metrics_at = cur.fetchone()[0]
            cur.execute("select to_regclass(%s) is not null", (QUARANTINE.name,))
            if cur.fetchone()[0]:  # the schema of an older devstats-sync has no records yet
                status.failed_hours = hour_records.pending_failures(cur)
                status.quarantined_events = hour_records.quarantined_count(cur)
        conn.rollback()
        # The flag may outlive a killed run; the advisory lock cannot, so it decides.
        holder = find_holder(conn, project.name)
        status.running = holder is not None
        status.running_by = holder.application_name if holder is not None else ""
        if status.last_parsed_hour is not None:
            lag = now - (status.last_parsed_hour + timedelta(hours=1))
            status.lag_hours = round(max(lag.total_seconds(), 0.0) / 3600, 2)
            status.stale = lag > stale_after
        # A pending hour is a problem once older than the limit (the newest may just be unpublished).
        if any(now - (failed.hour + timedelta(hours=1)) > stale_after for failed in status.failed_hours):
            status.stale = True
    finally:
        conn.close()
    return status
