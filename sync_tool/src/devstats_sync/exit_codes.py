"""The exit codes of every ``devstats-sync`` command (documented in sync_tool/README.md)."""

OK = 0
# status: a project is stale, or has a failed hour older than the staleness limit.
STALE = 1
# Bad configuration or arguments (a projects file, a DSN, a password, an unknown database): nothing
# was changed, and nothing will be until the configuration is.
CONFIG = 2
# A runtime failure: an hour or a step failed and is retried by the next run (the others completed),
# or the database could not be reached or was lost.
FAILED = 3
# sync: the project has not been provisioned yet.
NOT_PROVISIONED = 4
