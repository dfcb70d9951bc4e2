"""Stable, evenly spread cron schedules for per-project CronJobs.

DevStats staggers its projects by their position in a list, so inserting one project moves every
project after it. Here a project's start offset within the interval is a hash of its own name (and the
job kind), so it never depends on the other projects: adding or removing one moves nobody else, and a
uniform hash spreads the starts evenly over the interval.
"""

from __future__ import annotations

import hashlib

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 1440


def offset_minutes(project: str, job: str, interval: int) -> int:
    """The project's start offset in [0, interval) minutes, from a hash of its name and the job kind."""
    digest = hashlib.sha256(f"{job}:{project}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % interval


def cron_for_offset(offset: int, interval: int) -> str:
    """The cron expression firing `offset` minutes into every `interval`-minute period of the day/week."""
    minute = offset % MINUTES_PER_HOUR
    if interval < MINUTES_PER_HOUR:
        return f"{minute}-59/{interval} * * * *"
    hours = interval // MINUTES_PER_HOUR
    hour = (offset // MINUTES_PER_HOUR) % 24
    if interval == MINUTES_PER_HOUR:
        return f"{minute} * * * *"
    if interval < MINUTES_PER_DAY:
        return f"{minute} {hour}-23/{hours} * * *"
    if interval == MINUTES_PER_DAY:
        return f"{minute} {hour} * * *"
    return f"{minute} {hour} * * {offset // MINUTES_PER_DAY}"


def generated_schedule(project: str, job: str, interval: int) -> str:
    """The project's generated schedule for `job` (sync, affiliations) at the given interval in minutes."""
    return cron_for_offset(offset_minutes(project, job, interval), interval)
