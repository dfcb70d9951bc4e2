"""The metrics engine: DevStats-format metric definitions computed into DevStats-named series tables."""

from devstats_sync.metrics.config import MetricsConfigError
from devstats_sync.metrics.engine import MetricsError, MetricsRunSummary, run_metrics

__all__ = ["MetricsConfigError", "MetricsError", "MetricsRunSummary", "run_metrics"]
