"""How long a 429 or 503 asks the download to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from devstats_sync.archive import retry_after


def test_retry_after_takes_seconds_or_a_date() -> None:
    assert retry_after("7") == 7.0
    assert retry_after(None) is None and retry_after("soon") is None
    later = retry_after(format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True))
    assert later is not None and 80 <= later <= 90
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
