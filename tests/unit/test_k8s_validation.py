"""Values checked before they reach a manifest: cron, time zones, quantities, intervals, names."""

from __future__ import annotations

import pytest

from plugins.module_utils.k8s_names import check_dns1123_label, check_dns1123_subdomain
from plugins.module_utils.k8s_validation import (
    ValidationError,
    check_cron,
    check_quantity,
    check_timezone,
    interval_minutes,
)


@pytest.mark.parametrize(
    "expression",
    [
        "20 */2 * * *",
        "0 0 1 jan *",
        "5,35 8-18 * * mon-fri",
        "@hourly",
        "15-59/30 * * * *",
        "0 0 ? * *",
    ],
)
def test_valid_cron(expression: str) -> None:
    assert check_cron(expression, "here") == expression


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "has 0 fields"),
        ("* * * * * *", "has 6 fields"),
        ("0 24 * * *", "hour '24' is out of range 0-23"),
        ("0 0 0 * *", "day of month '0' is out of range 1-31"),
        ("0 0 * 13 *", "month '13' is out of range 1-12"),
        # Kubernetes' cron parser numbers weekdays 0-6 (Sunday is 0, never 7).
        ("0 3 * * 7", "day of week '7' is out of range 0-6"),
        ("0 0 * foo *", "month 'foo' is not a number 1-12 or a name"),
        ("x * * * *", "minute 'x' is not a number"),
        ("0/x * * * *", "minute step 'x' in '0/x' is not a positive integer"),
    ],
)
def test_invalid_cron(expression: str, message: str) -> None:
    with pytest.raises(ValidationError, match=r"^here: ") as error:
        check_cron(expression, "here")
    assert message in str(error.value)


@pytest.mark.parametrize("value", ["500m", "2Gi", "1.5", "1e3", "10", "0.5Ki", 3, "+1M"])
def test_valid_quantity(value: object) -> None:
    check_quantity(value, "q")


@pytest.mark.parametrize("value", ["10GB", "1.2.3", "Gi", "", "1 Gi", True, None, [1]])
def test_invalid_quantity(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^q: "):
        check_quantity(value, "q")


def test_timezones() -> None:
    assert check_timezone("Europe/Warsaw", "tz") == "Europe/Warsaw"
    for bad in ("Europe/Atlantis", "", None, "../../etc/passwd"):
        with pytest.raises(ValidationError, match=r"^tz: "):
            check_timezone(bad, "tz")


@pytest.mark.parametrize(
    ("value", "minutes"),
    [("15m", 15), ("1h", 60), ("2h", 120), ("12h", 720), ("24h", 1440), ("1d", 1440), ("7d", 10080)],
)
def test_intervals(value: str, minutes: int) -> None:
    assert interval_minutes(value, "i") == minutes


@pytest.mark.parametrize("value", ["7m", "90m", "5h", "2d", "0m", "1w", "", 60])
def test_bad_intervals(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^i: "):
        interval_minutes(value, "i")


def test_names() -> None:
    assert check_dns1123_label("a-1", "n") == "a-1"
    assert check_dns1123_subdomain("devstats-postgres.app", "n") == "devstats-postgres.app"
    for bad in ("-a", "a-", "A", "a_b", "a" * 64, "", None):
        with pytest.raises(ValidationError, match=r"^n: "):
            check_dns1123_label(bad, "n")
    for bad in ("a..b", ".a", "a" * 254, "A.b"):
        with pytest.raises(ValidationError, match=r"^n: "):
            check_dns1123_subdomain(bad, "n")
