from __future__ import annotations

import pytest
from devstats_sync import writer


@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2500, 7000, 40_000, 123_457])
def test_slices_cover_the_hour_once_and_are_small_at_both_ends(count: int) -> None:
    bounds = writer._slice_bounds(count)
    covered = [i for start, end in bounds for i in range(start, end)]
    assert covered == list(range(count))
    sizes = [end - start for start, end in bounds]
    assert all(0 < size <= writer._SLICE for size in sizes)
    if count >= 4 * writer._FIRST_SLICE:
        # The server waits for the first slice and the client for the last one.
        assert sizes[0] == writer._FIRST_SLICE
        assert sizes[-1] <= writer._FIRST_SLICE
    if count >= 40_000:
        assert writer._SLICE in sizes
