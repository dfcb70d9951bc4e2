"""Sample data: deterministic, realistic GH Archive hours for tests, benchmarks and the local run.

Not used by the sync itself; ``devstats-sync generate`` and ``devstats-sync demo`` are its
commands. Everything derives from the seed and the hour, so the same arguments give the same bytes.
"""

from devstats_sync.sample_data.events import GeneratorConfig
from devstats_sync.sample_data.hour_files import hour_lines, write_hour, write_hours

__all__ = ["GeneratorConfig", "hour_lines", "write_hour", "write_hours"]
