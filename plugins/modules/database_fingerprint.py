#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: database_fingerprint
short_description: Row counts and key checksums of every table of a PostgreSQL database
description:
  - Connects to one database and returns, for each table of the C(public) schema, its number of rows
    and an order-independent checksum of its primary-key columns (all columns for a table without a
    primary key); also the C(gha_parsed) watermark of a DevStats database and the database's comment.
  - Two databases with equal fingerprints hold the same rows by key; the migration playbook compares
    the legacy and the cluster database this way before and after a copy.
  - Reads only; never changes the database.
version_added: "0.1.0"
options:
  login_host:
    description: Host or address of the server.
    type: str
    required: true
  login_port:
    description: Port of the server.
    type: int
    default: 5432
  login_user:
    description: User to connect as; needs SELECT on every table of the database.
    type: str
    required: true
  login_password:
    description: Password of O(login_user); empty for trust or peer authentication.
    type: str
    default: ""
  db:
    description: The database.
    type: str
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only, so check mode runs the same queries.
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - psycopg2
author:
  - devstats.platform developers (@devstats)
"""

EXAMPLES = r"""
- name: Fingerprint the legacy database of a project
  devstats.platform.database_fingerprint:
    login_host: legacy.example.org
    login_user: postgres
    login_password: "{{ legacy_password }}"
    db: gha
  register: source
"""

RETURN = r"""
tables:
  description: Each table of the public schema with its rows, key checksum and the key columns used.
  returned: always
  type: dict
  sample: {"gha_events": {"rows": 1200, "checksum": "-8723645519283746", "key": ["id"]}}
watermark:
  description: The last hour in gha_parsed (YYYY-MM-DD HH:00, UTC), or null without that table or rows.
  returned: always
  type: str
  sample: "2024-03-04 02:00"
comment:
  description: The database's comment (a migration records its progress there).
  returned: always
  type: str
  sample: ""
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402
from ansible_collections.devstats.platform.plugins.module_utils.database_fingerprint import (  # noqa: E402
    fingerprint,
)

try:
    import psycopg2
except ImportError:
    PSYCOPG2_ERROR = traceback.format_exc()
    HAS_PSYCOPG2 = False
else:
    PSYCOPG2_ERROR = None
    HAS_PSYCOPG2 = True


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "login_host": {"type": "str", "required": True},
            "login_port": {"type": "int", "default": 5432},
            "login_user": {"type": "str", "required": True},
            "login_password": {"type": "str", "default": "", "no_log": True},
            "db": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=PSYCOPG2_ERROR)
    params = module.params
    try:
        conn = psycopg2.connect(
            host=params["login_host"],
            port=params["login_port"],
            user=params["login_user"],
            password=params["login_password"] or None,
            dbname=params["db"],
            application_name="devstats.platform fingerprint",
        )
    except psycopg2.Error as error:
        module.fail_json(
            msg=f"cannot connect to database {params['db']} on {params['login_host']}:"
            f"{params['login_port']}: {error}".strip()
        )
    try:
        conn.set_session(readonly=True)
        result = fingerprint(conn)
    except psycopg2.Error as error:
        module.fail_json(msg=f"fingerprint of {params['db']}: {error}".strip())
    finally:
        conn.close()
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
