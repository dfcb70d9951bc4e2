"""Generated hours as GH Archive publishes them: one gzip of JSON lines per hour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from isal import igzip

from devstats_sync.archive import hour_file_name
from devstats_sync.sample_data.events import GeneratorConfig, HourBuilder


def hour_lines(config: GeneratorConfig, hour: datetime) -> Iterator[bytes]:
    for event in HourBuilder(config, hour).events():
        yield orjson.dumps(event)


def write_hour(directory: Path, hour: datetime, config: GeneratorConfig, level: int = 1) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / hour_file_name(hour)
    tmp = path.with_name(path.name + ".tmp")
    with igzip.open(tmp, "wb", compresslevel=level) as out:
        batch: list[bytes] = []
        for line in hour_lines(config, hour):
            batch.append(line)
            if len(batch) >= 2000:
                out.write(b"\n".join(batch) + b"\n")
                batch.clear()
        if batch:
            out.write(b"\n".join(batch) + b"\n")
    tmp.replace(path)
    return path


def write_hours(directory: Path, start: datetime, end: datetime, config: GeneratorConfig) -> list[Path]:
    paths = []
    hour = start
    while hour < end:
        paths.append(write_hour(directory, hour, config))
        hour += timedelta(hours=1)
    return paths
