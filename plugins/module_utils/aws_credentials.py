# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Whether botocore finds AWS credentials for a profile, asked on the controller before anything is created.

Only the presence of credentials is checked: nothing is sent to AWS and no key is ever put into a message.
Credentials that need a call to become usable (assume-role, SSO) are found here and proven by the first
AWS call of the cluster stage.
"""

from __future__ import annotations

from typing import Optional

try:
    import botocore.session
    from botocore.exceptions import BotoCoreError, ProfileNotFound
except ImportError:
    botocore = None

_SOURCES = (
    "the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), the shared credentials "
    "and config files, SSO, or an instance or container role"
)


def credentials_problem(profile: Optional[str]) -> Optional[str]:
    """Why no AWS credentials can be found for the profile (None: the default chain), or None."""
    if botocore is None:
        return (
            "botocore is not installed on the controller; install the Python packages of requirements/dev.txt"
        )
    session = botocore.session.Session(profile=profile)
    files = (
        f"{session.get_config_variable('config_file')} or {session.get_config_variable('credentials_file')}"
    )
    try:
        credentials = session.get_credentials()
    except ProfileNotFound:
        return f"AWS profile '{profile}' is not defined in {files}"
    except BotoCoreError as err:
        # botocore's messages name the provider and the missing setting, never a key.
        return f"AWS credentials cannot be resolved: {err}"
    if credentials is None:
        where = f"AWS profile '{profile}'" if profile else "the default AWS credential chain"
        return f"no credentials found for {where}; expected them from {_SOURCES}"
    return None
