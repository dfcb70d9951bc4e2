"""Filters of the cluster-wide chart stages: the ingress controller's facts and every chart's values."""

from __future__ import annotations

import functools
from typing import Any, Callable

from ansible.errors import AnsibleFilterError
from ansible_collections.devstats.platform.plugins.module_utils.chart_values import (
    ChartValuesError,
    cert_manager_chart_values,
    ingress_chart_values,
    ingress_controller,
)


def _as_filter_error(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ChartValuesError as error:
            raise AnsibleFilterError(f"{function.__name__}: {error}") from error

    return wrapper


_FILTERS = (ingress_controller, ingress_chart_values, cert_manager_chart_values)


class FilterModule:
    """Chart filters of the ingress and cert_manager roles."""

    def filters(self) -> dict[str, Any]:
        return {function.__name__: _as_filter_error(function) for function in _FILTERS}
