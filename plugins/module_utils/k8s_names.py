"""Kubernetes object names: DNS-1123 rules and the length limits that apply to each kind."""

from __future__ import annotations

import re

from .k8s_validation import ValidationError

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
# The CronJob controller appends "-<11 digits>" to a Job's name, and the Job's name must stay a
# valid label (it becomes the pod label job-name), hence 63 - 11 = 52.
CRONJOB_NAME_MAX = 52


def dns1123_label_problem(value: object, max_length: int = DNS1123_LABEL_MAX) -> str | None:
    """Why `value` is not a DNS-1123 label of at most `max_length` characters, or None."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > max_length:
        return f"is {len(value)} characters long; at most {max_length} are allowed"
    if not DNS1123_LABEL.match(value):
        return (
            "is not a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a "
            "letter or digit"
        )
    return None


def check_dns1123_label(value: object, where: str, max_length: int = DNS1123_LABEL_MAX) -> str:
    """Return `value` when it is a valid label, else raise with `where` and the reason."""
    problem = dns1123_label_problem(value, max_length)
    if problem:
        raise ValidationError(f"{where}: {value!r} {problem}")
    return str(value)


def check_dns1123_subdomain(value: object, where: str) -> str:
    """Return `value` when it is a valid object name (Secret, ConfigMap, ...), else raise."""
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{where}: the name must be a non-empty string")
    if len(value) > DNS1123_SUBDOMAIN_MAX or not DNS1123_SUBDOMAIN.match(value):
        raise ValidationError(
            f"{where}: {value!r} is not a DNS-1123 subdomain: at most {DNS1123_SUBDOMAIN_MAX} lower-case "
            "letters, digits, '-' and '.', starting and ending with a letter or digit"
        )
    return value
