from __future__ import annotations

import gzip
from collections import Counter
from datetime import datetime
from pathlib import Path

import orjson
from devstats_sync.sample_data import GeneratorConfig, hour_lines, write_hours

CONFIG = GeneratorConfig(seed=5, events_per_hour=600, focus_repos=("kubernetes/kubernetes",), focus_share=0.1)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    hour = datetime(2024, 3, 1, 7)
    first = write_hours(tmp_path / "a", hour, datetime(2024, 3, 1, 9), CONFIG)
    second = write_hours(tmp_path / "b", hour, datetime(2024, 3, 1, 9), CONFIG)
    assert [p.name for p in first] == ["2024-03-01-7.json.gz", "2024-03-01-8.json.gz"]
    assert [gzip.decompress(p.read_bytes()) for p in first] == [
        gzip.decompress(p.read_bytes()) for p in second
    ]
    other = list(hour_lines(GeneratorConfig(seed=6, events_per_hour=600), hour))
    assert other != list(hour_lines(CONFIG, hour))


def test_hours_look_like_gh_archive_hours() -> None:
    events = [orjson.loads(line) for line in hour_lines(CONFIG, datetime(2024, 3, 1, 7))]
    assert len(events) == 600
    types = Counter(e["type"] for e in events)
    assert types.most_common(1)[0][0] == "PushEvent"
    assert len(types) >= 10
    assert all(e["created_at"].startswith("2024-03-01T07:") for e in events)
    assert len({e["id"] for e in events}) == 600
    focus = sum(e["repo"]["name"] == "kubernetes/kubernetes" for e in events)
    assert 20 <= focus <= 110
    sizes = [len(orjson.dumps(e)) for e in events]
    assert 2500 < sum(sizes) / len(sizes) < 6000


def test_format_follows_the_hour() -> None:
    old = [orjson.loads(line) for line in hour_lines(CONFIG, datetime(2014, 5, 1, 3))]
    assert all("id" not in e and isinstance(e["actor"], str) and "repository" in e for e in old)
    assert any("shas" in e["payload"] for e in old if e["type"] == "PushEvent")
    trimmed = [orjson.loads(line) for line in hour_lines(CONFIG, datetime(2025, 11, 1, 3))]
    pushes = [e for e in trimmed if e["type"] == "PushEvent"]
    assert pushes and all("commits" not in e["payload"] and "size" not in e["payload"] for e in pushes)
