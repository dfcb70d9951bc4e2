"""Filters of the patroni role: what to PATCH into Patroni's dynamic configuration, and its REST API root."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError


def _same_setting(current: Any, desired: Any) -> bool:
    # Patroni's GET /config answers what it was given, as JSON, while the inventory may give the same
    # value as another type: 30 or "30", true or "True". Such pairs are equal.
    return str(current).lower() == str(desired).lower()


def _same_parameter(current: Any, desired: Any) -> bool:
    # PostgreSQL parameters are compared as written: "512MB" and "512mb" differ to Patroni's diff too.
    return str(current) == str(desired)


def patroni_config_patch(current: Any, desired: Any) -> dict[str, Any]:
    """The body of `PATCH /config` that turns Patroni's dynamic configuration `current` into `desired`.

    Only what differs is sent; a PostgreSQL parameter the inventory no longer names is removed (null,
    as Patroni's PATCH expects). Settings of `current` that `desired` does not mention are left alone.
    An empty result means nothing to change.
    """
    if not isinstance(current, Mapping) or not isinstance(desired, Mapping):
        raise AnsibleFilterError(
            "patroni_config_patch takes the current configuration (GET /config) and the desired one "
            "(patroni_dynamic_config), both mappings; "
            f"got {type(current).__name__} and {type(desired).__name__}"
        )
    patch: dict[str, Any] = {
        key: value
        for key, value in desired.items()
        if key != "postgresql" and not _same_setting(current.get(key), value)
    }
    desired_pg = desired.get("postgresql") or {}
    current_pg = current.get("postgresql") or {}
    current_params = current_pg.get("parameters") or {}
    desired_params = desired_pg.get("parameters") or {}
    params: dict[str, Any] = {
        key: value
        for key, value in desired_params.items()
        if not _same_parameter(current_params.get(key), value)
    }
    params.update((key, None) for key in current_params if key not in desired_params)
    pg: dict[str, Any] = {"parameters": params} if params else {}
    pg.update(
        (key, value)
        for key, value in desired_pg.items()
        if key != "parameters" and current_pg.get(key) != value
    )
    if pg:
        patch["postgresql"] = pg
    return patch


def patroni_api_root(api_url: Any) -> str:
    """`http://10.0.0.5:8008` from the member URL Patroni reports (`http://10.0.0.5:8008/patroni`)."""
    if not isinstance(api_url, str) or not api_url.startswith(("http://", "https://")):
        raise AnsibleFilterError(f"patroni_api_root: {api_url!r} is not the URL of a Patroni REST API")
    return api_url.removesuffix("/patroni").rstrip("/")


class FilterModule:
    """Filters of the patroni role."""

    def filters(self) -> dict[str, Any]:
        return {"patroni_config_patch": patroni_config_patch, "patroni_api_root": patroni_api_root}
