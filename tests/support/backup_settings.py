"""The pgBackRest settings of one Patroni cluster, as the patroni role passes them to the backup
helpers: shared by the unit tests of the pgBackRest configuration and of the backup manifests."""

from __future__ import annotations

from typing import Any

PGBACKREST_SETTINGS: dict[str, Any] = {
    "name": "devstats-postgres",
    "namespace": "devstats-cncf",
    "foundation": "cncf",
    "stanza": "devstats-postgres",
    "repo_type": "posix",
    "storage_size": "100Gi",
    "retention_full": 4,
    "retention_full_type": "count",
    "retention_diff": 7,
    "full_schedule": "15 1 * * 0",
    "diff_schedule": "15 1 * * 1-6",
    "dump_enabled": False,
    "tls_port": 8432,
    "data_dir": "/home/postgres/pgdata/pgroot/data",
    "socket_dir": "/var/run/postgresql",
    "pg_port": 5432,
    "superuser": "postgres",
    "member_hosts": ["m-0.svc", "m-1.svc"],
    "s3_bucket": "",
    "s3_region": "us-east-1",
    "s3_endpoint": "s3.us-east-1.amazonaws.com",
    "s3_port": 443,
    "s3_uri_style": "host",
    "s3_credentials_secret": "devstats-postgres-backup-s3",
}
