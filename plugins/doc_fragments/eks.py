# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Documentation shared by the collection's EKS modules: where they run, and how they wait."""

from __future__ import annotations


class ModuleDocFragment:
    # Every EKS module, next to amazon.aws.common.modules, amazon.aws.region.modules and amazon.aws.boto3.
    DOCUMENTATION = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: all
    description: Runs wherever boto3 reaches the EKS API (AWS, or the endpoint of O(endpoint_url)).
"""

    # The modules that change something EKS changes asynchronously.
    WAIT = r"""
options:
  wait:
    description: Wait until EKS has made the change (the resource is C(ACTIVE) again, or gone).
    type: bool
    default: true
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 1800
"""
