"""Values of every shape a row's cell can hold, for the COPY formatter tests (unit and sync tiers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from devstats_sync import copy_format
from devstats_sync.copy_format import BOOLEAN, NUMBER


class Login(str):
    """A str subclass: the Python formatter writes it as JSON, so the compiled one must too."""


NUMBERS: list[Any] = [
    None,
    0,
    -1,
    7,
    2**31 - 1,
    -(2**31),
    2**31,
    2**15,
    -(2**15) - 1,
    2**63 - 1,
    -(2**63),
    2**63,
    2**64,
    -(2**70),
    11213937.0,
    2.5,
    -0.0,
    float("nan"),
    float("inf"),
    1e308,
    "12",
    True,
    False,
]
BOOLEANS: list[Any] = [None, True, False, 0, 1, "", "x"]
TEXTS: list[Any] = [
    None,
    "",
    "plain",
    "tab\there, new\nline\r\n, back\\slash",
    "nul\x00byte",
    "\\N",
    "héllo wörld ✓ 🚀",
    "lone \ud800 surrogate",
    "long " * 80,
    "é" * 400,
    "\t" * 300,
    Login("login"),
    {"a": [1, 2]},
    7,
    2.5,
    datetime(2025, 6, 2, 14, 3, 4),
    # Timestamps: the binary form takes YYYY-MM-DDTHH:MM:SS[.ffffff] with a valid date and time only.
    "2025-06-02T14:03:04",
    "2025-06-02T14:03:04.5",
    "2025-06-02T14:03:04.123456",
    "2025-06-02T14:03:04.1234567",
    "2024-02-29T23:59:59",
    "2023-02-29T00:00:00",
    "2025-06-02T24:00:00",
    "2025-06-02T14:03:60",
    "2025-06-02T14:03:04Z",
    "2025-06-02T14:03:04+02:00",
    "2025-06-02 14:03:04",
    "0001-01-01T00:00:00",
    "1999-12-31T23:59:59.999999",
    "9999-12-31T23:59:59",
    "0000-01-01T00:00:00",
    "2025-13-01T00:00:00",
    "yesterday",
]


def rows_for(table: str) -> list[tuple[Any, ...]]:
    """Rows that put every value of its kind into every column of the table at least once."""
    kinds, _ = copy_format.column_kinds(table)
    pools = [NUMBERS if kind == NUMBER else BOOLEANS if kind == BOOLEAN else TEXTS for kind in kinds]
    count = max(len(pool) for pool in pools)
    return [
        tuple(pool[(index + column) % len(pool)] for column, pool in enumerate(pools))
        for index in range(count)
    ]
