"""The DevStats gha_* tables, created idempotently and versioned.

Names, types and keys match DevStats' ``structure.go`` (see docs in devstats-schema.md) because
DevStats' metric SQL and dashboards, and databases migrated from a bare-metal DevStats, depend on
them. Primary keys are created with the tables (ingest relies on them for ``ON CONFLICT``); the
secondary indexes are created separately by :func:`create_indexes`, after bulk loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from psycopg2.extensions import connection, cursor

SCHEMA_VERSION_VAR = "devstats_sync_schema_version"
# Serializes schema creation between concurrent commands (an ingest and a provision job, say).
_SCHEMA_LOCK_KEY = 0x64657673
# Columns the server fills on insert; rows written by the client leave them out.
_SERVER_FILLED = re.compile(r"^bigserial\b|\bdefault now\(\)")
_DEFAULT = re.compile(r"\bdefault (''|\d+)")
# The value a row needs for a NOT NULL column without default: it has none of its own.
REQUIRED = object()


class SchemaTooNewError(RuntimeError):
    pass


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @cached_property
    def row_columns(self) -> tuple[str, ...]:
        """The columns of a row the client writes, in table order: all but the server-filled ones."""
        return tuple(name for name, sql_type in self.columns if not _SERVER_FILLED.search(sql_type))

    @cached_property
    def omitted_values(self) -> dict[str, Any]:
        """What each row column holds when a row leaves it out: its literal default, NULL when it is
        nullable, :data:`REQUIRED` when it is NOT NULL without a default."""
        types = dict(self.columns)
        values: dict[str, Any] = {}
        for name in self.row_columns:
            default = _DEFAULT.search(types[name])
            if default:
                text = default.group(1)
                values[name] = "" if text == "''" else int(text)
            elif "not null" in types[name] or "primary key" in types[name] or name in self.primary_key:
                values[name] = REQUIRED
            else:
                values[name] = None
        return values

    def create_sql(self) -> str:
        parts = [f"{name} {sql_type}" for name, sql_type in self.columns]
        if self.primary_key:
            parts.append(f"primary key({', '.join(self.primary_key)})")
        return f"create table if not exists {self.name} ({', '.join(parts)})"


TABLES: tuple[Table, ...] = (
    Table(
        "gha_actors",
        (
            ("id", "bigint not null"),
            ("login", "varchar(120) not null"),
            ("name", "varchar(120)"),
            ("country_id", "varchar(2)"),
            ("sex", "varchar(1)"),
            ("sex_prob", "double precision"),
            ("tz", "varchar(40)"),
            ("tz_offset", "int"),
            ("country_name", "text"),
            ("age", "int"),
        ),
        ("id", "login"),
    ),
    Table(
        "gha_actors_affiliations",
        (
            ("actor_id", "bigint not null"),
            ("company_name", "varchar(160) not null"),
            ("original_company_name", "varchar(160) not null"),
            ("dt_from", "timestamp not null"),
            ("dt_to", "timestamp not null"),
            ("source", "varchar(30) not null default ''"),
        ),
        ("actor_id", "company_name", "dt_from", "dt_to"),
    ),
    Table(
        "gha_actors_emails",
        (
            ("actor_id", "bigint not null"),
            ("email", "varchar(120) not null"),
            ("origin", "smallint not null default 0"),
        ),
        ("actor_id", "email"),
    ),
    Table(
        "gha_actors_names",
        (
            ("actor_id", "bigint not null"),
            ("name", "varchar(120) not null"),
            ("origin", "smallint not null default 0"),
        ),
        ("actor_id", "name"),
    ),
    Table(
        "gha_assets",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("name", "varchar(200) not null"),
            ("label", "varchar(120)"),
            ("uploader_id", "bigint not null"),
            ("content_type", "varchar(80) not null"),
            ("state", "varchar(20) not null"),
            ("size", "int not null"),
            ("download_count", "int not null"),
            ("created_at", "timestamp not null"),
            ("updated_at", "timestamp not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dup_uploader_login", "varchar(120) not null"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_bot_logins",
        (("pattern", "text primary key"),),
        (),
    ),
    Table(
        "gha_branches",
        (
            ("sha", "varchar(40) not null"),
            ("event_id", "bigint not null"),
            ("user_id", "bigint"),
            ("repo_id", "bigint"),
            ("label", "varchar(200) not null"),
            ("ref", "varchar(200) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dupn_forkee_name", "varchar(160)"),
            ("dupn_user_login", "varchar(120)"),
        ),
        ("sha", "event_id"),
    ),
    Table(
        "gha_comments",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("body", "text not null"),
            ("created_at", "timestamp not null"),
            ("updated_at", "timestamp not null"),
            ("user_id", "bigint not null"),
            ("commit_id", "varchar(40)"),
            ("original_commit_id", "varchar(40)"),
            ("diff_hunk", "text"),
            ("position", "int"),
            ("original_position", "int"),
            ("path", "text"),
            ("pull_request_review_id", "bigint"),
            ("line", "int"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dup_user_login", "varchar(120) not null"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_commits",
        (
            ("sha", "varchar(40) not null"),
            ("event_id", "bigint not null"),
            ("author_name", "varchar(160) not null"),
            ("message", "text not null"),
            ("is_distinct", "boolean not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("encrypted_email", "varchar(160) not null"),
            ("author_email", "varchar(160) not null default ''"),
            ("committer_name", "varchar(160) not null default ''"),
            ("committer_email", "varchar(160) not null default ''"),
            ("author_id", "bigint"),
            ("committer_id", "bigint"),
            ("dup_author_login", "varchar(120) not null default ''"),
            ("dup_committer_login", "varchar(120) not null default ''"),
            ("loc_added", "int"),
            ("loc_removed", "int"),
            ("files_changed", "int"),
            ("origin", "smallint not null default 0"),
            ("inserted_at", "timestamp default now()"),
        ),
        ("sha", "event_id"),
    ),
    Table(
        "gha_commits_files",
        (
            ("sha", "varchar(40) not null"),
            ("path", "text not null"),
            ("size", "bigint not null"),
            ("dt", "timestamp not null"),
            ("ext", "text not null default ''"),
        ),
        ("sha", "path"),
    ),
    Table(
        "gha_commits_roles",
        (
            ("sha", "varchar(40) not null"),
            ("event_id", "bigint not null"),
            ("role", "varchar(120) not null"),
            ("actor_id", "bigint"),
            ("actor_login", "varchar(120) not null default ''"),
            ("actor_name", "varchar(160) not null default ''"),
            ("actor_email", "varchar(160) not null default ''"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_created_at", "timestamp not null"),
        ),
        ("sha", "event_id", "role", "actor_email"),
    ),
    Table(
        "gha_companies",
        (("name", "varchar(160) not null"),),
        ("name",),
    ),
    Table(
        "gha_computed",
        (
            ("metric", "text not null"),
            ("dt", "timestamp not null"),
        ),
        ("metric", "dt"),
    ),
    Table(
        "gha_countries",
        (
            ("code", "varchar(2) not null"),
            ("name", "text not null"),
        ),
        ("code",),
    ),
    Table(
        "gha_events",
        (
            ("id", "bigint not null primary key"),
            ("type", "varchar(40) not null"),
            ("actor_id", "bigint not null"),
            ("repo_id", "bigint not null"),
            ("public", "boolean not null"),
            ("created_at", "timestamp not null"),
            ("org_id", "bigint"),
            ("forkee_id", "bigint"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_name", "varchar(160) not null"),
        ),
        (),
    ),
    Table(
        "gha_events_commits_files",
        (
            ("sha", "varchar(40) not null"),
            ("event_id", "bigint not null"),
            ("path", "text not null"),
            ("size", "bigint not null"),
            ("dt", "timestamp not null"),
            ("repo_group", "varchar(80)"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("ext", "text not null default ''"),
        ),
        ("sha", "event_id", "path"),
    ),
    Table(
        "gha_forkees",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("name", "varchar(80) not null"),
            ("full_name", "varchar(200) not null"),
            ("owner_id", "bigint not null"),
            ("description", "text"),
            ("fork", "boolean not null"),
            ("created_at", "timestamp not null"),
            ("updated_at", "timestamp not null"),
            ("pushed_at", "timestamp"),
            ("homepage", "text"),
            ("size", "int not null"),
            ("stargazers_count", "int not null"),
            ("has_issues", "boolean not null"),
            ("has_projects", "boolean"),
            ("has_downloads", "boolean not null"),
            ("has_wiki", "boolean not null"),
            ("has_pages", "boolean"),
            ("forks", "int not null"),
            ("open_issues", "int not null"),
            ("watchers", "int not null"),
            ("default_branch", "varchar(200) not null"),
            ("public", "boolean"),
            ("language", "varchar(80)"),
            ("organization", "varchar(100)"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dup_owner_login", "varchar(120) not null"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_imported_shas",
        (
            ("sha", "text not null"),
            ("dt", "timestamp default now() not null"),
        ),
        ("sha",),
    ),
    Table(
        "gha_issues",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("assignee_id", "bigint"),
            ("body", "text"),
            ("closed_at", "timestamp"),
            ("comments", "int not null"),
            ("created_at", "timestamp not null"),
            ("locked", "boolean not null"),
            ("milestone_id", "bigint"),
            ("number", "int not null"),
            ("state", "varchar(20) not null"),
            ("title", "text not null"),
            ("updated_at", "timestamp not null"),
            ("user_id", "bigint not null"),
            ("is_pull_request", "boolean not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dupn_assignee_login", "varchar(120)"),
            ("dup_user_login", "varchar(120) not null"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_issues_assignees",
        (
            ("issue_id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("assignee_id", "bigint not null"),
        ),
        ("issue_id", "event_id", "assignee_id"),
    ),
    Table(
        "gha_issues_events_labels",
        (
            ("issue_id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("label_id", "bigint not null"),
            ("label_name", "varchar(160) not null"),
            ("created_at", "timestamp not null"),
            ("actor_id", "bigint not null"),
            ("actor_login", "varchar(120) not null"),
            ("repo_id", "bigint not null"),
            ("repo_name", "varchar(160) not null"),
            ("type", "varchar(40) not null"),
            ("issue_number", "int not null"),
        ),
        ("issue_id", "event_id", "label_id"),
    ),
    Table(
        "gha_issues_labels",
        (
            ("issue_id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("label_id", "bigint not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dup_issue_number", "int not null"),
            ("dup_label_name", "varchar(160) not null"),
        ),
        ("issue_id", "event_id", "label_id"),
    ),
    Table(
        "gha_issues_pull_requests",
        (
            ("issue_id", "bigint not null"),
            ("pull_request_id", "bigint not null"),
            ("number", "int not null"),
            ("repo_id", "bigint not null"),
            ("repo_name", "varchar(160) not null"),
            ("created_at", "timestamp not null"),
        ),
        (),
    ),
    Table(
        "gha_labels",
        (
            ("id", "bigint not null primary key"),
            ("name", "varchar(160) not null"),
            ("color", "varchar(8) not null"),
            ("is_default", "boolean"),
        ),
        (),
    ),
    Table(
        "gha_last_computed",
        (
            ("metric", "text not null"),
            ("dt", "timestamp not null"),
            ("start_dt", "timestamp"),
            ("took", "bigint"),
            ("took_as_str", "text"),
            ("command", "text"),
        ),
        ("metric",),
    ),
    Table(
        "gha_logs",
        (
            ("id", "bigserial"),
            ("dt", "timestamp default now()"),
            ("prog", "varchar(32) not null"),
            ("proj", "varchar(32) not null"),
            ("run_dt", "timestamp not null"),
            ("msg", "text"),
        ),
        (),
    ),
    Table(
        "gha_milestones",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("closed_at", "timestamp"),
            ("closed_issues", "int not null"),
            ("created_at", "timestamp not null"),
            ("creator_id", "bigint"),
            ("description", "text"),
            ("due_on", "timestamp"),
            ("number", "int not null"),
            ("open_issues", "int not null"),
            ("state", "varchar(20) not null"),
            ("title", "varchar(200) not null"),
            ("updated_at", "timestamp not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dupn_creator_login", "varchar(120)"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_orgs",
        (
            ("id", "bigint not null primary key"),
            ("login", "varchar(100) not null"),
        ),
        (),
    ),
    Table(
        "gha_pages",
        (
            ("sha", "varchar(40) not null"),
            ("event_id", "bigint not null"),
            ("action", "varchar(40) not null"),
            ("title", "varchar(300) not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
        ),
        ("sha", "event_id", "action", "title"),
    ),
    Table(
        "gha_parsed",
        (("dt", "timestamp not null"),),
        ("dt",),
    ),
    Table(
        "gha_payloads",
        (
            ("event_id", "bigint not null primary key"),
            ("push_id", "bigint"),
            ("size", "int"),
            ("ref", "varchar(200)"),
            ("head", "varchar(40)"),
            ("befor", "varchar(40)"),
            ("action", "varchar(40)"),
            ("issue_id", "bigint"),
            ("pull_request_id", "bigint"),
            ("comment_id", "bigint"),
            ("ref_type", "varchar(20)"),
            ("master_branch", "varchar(200)"),
            ("description", "text"),
            ("number", "int"),
            ("forkee_id", "bigint"),
            ("release_id", "bigint"),
            ("member_id", "bigint"),
            ("commit", "varchar(40)"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
        ),
        (),
    ),
    Table(
        "gha_postprocess_scripts",
        (
            ("ord", "int not null"),
            ("path", "text not null"),
        ),
        ("ord", "path"),
    ),
    Table(
        "gha_pull_requests",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("user_id", "bigint not null"),
            ("base_sha", "varchar(40) not null"),
            ("head_sha", "varchar(40) not null"),
            ("merged_by_id", "bigint"),
            ("assignee_id", "bigint"),
            ("milestone_id", "bigint"),
            ("number", "int not null"),
            ("state", "varchar(20) not null"),
            ("locked", "boolean"),
            ("title", "text not null"),
            ("body", "text"),
            ("created_at", "timestamp not null"),
            ("updated_at", "timestamp not null"),
            ("closed_at", "timestamp"),
            ("merged_at", "timestamp"),
            ("merge_commit_sha", "varchar(40)"),
            ("merged", "boolean"),
            ("mergeable", "boolean"),
            ("rebaseable", "boolean"),
            ("mergeable_state", "varchar(20)"),
            ("comments", "int"),
            ("review_comments", "int"),
            ("maintainer_can_modify", "boolean"),
            ("commits", "int"),
            ("additions", "int"),
            ("deletions", "int"),
            ("changed_files", "int"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dup_user_login", "varchar(120) not null"),
            ("dupn_assignee_login", "varchar(120)"),
            ("dupn_merged_by_login", "varchar(120)"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_pull_requests_assignees",
        (
            ("pull_request_id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("assignee_id", "bigint not null"),
        ),
        ("pull_request_id", "event_id", "assignee_id"),
    ),
    Table(
        "gha_pull_requests_requested_reviewers",
        (
            ("pull_request_id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("requested_reviewer_id", "bigint not null"),
        ),
        ("pull_request_id", "event_id", "requested_reviewer_id"),
    ),
    Table(
        "gha_releases",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("tag_name", "varchar(200) not null"),
            ("target_commitish", "varchar(200) not null"),
            ("name", "varchar(200)"),
            ("draft", "boolean not null"),
            ("author_id", "bigint not null"),
            ("prerelease", "boolean not null"),
            ("created_at", "timestamp not null"),
            ("published_at", "timestamp"),
            ("body", "text"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dup_author_login", "varchar(120) not null"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_releases_assets",
        (
            ("release_id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("asset_id", "bigint not null"),
        ),
        ("release_id", "event_id", "asset_id"),
    ),
    Table(
        "gha_repo_groups",
        (
            ("id", "bigint not null"),
            ("name", "varchar(160) not null"),
            ("repo_group", "varchar(80)"),
            ("org_id", "bigint"),
            ("org_login", "varchar(100)"),
            ("alias", "varchar(160)"),
        ),
        ("id", "name", "repo_group"),
    ),
    Table(
        "gha_repos",
        (
            ("id", "bigint not null"),
            ("name", "varchar(160) not null"),
            ("org_id", "bigint"),
            ("org_login", "varchar(100)"),
            ("repo_group", "varchar(80)"),
            ("alias", "varchar(160)"),
            ("license_key", "varchar(30)"),
            ("license_name", "varchar(160)"),
            ("license_prob", "double precision"),
            ("created_at", "timestamp default now()"),
            ("updated_at", "timestamp default now()"),
        ),
        ("id", "name"),
    ),
    Table(
        "gha_repos_langs",
        (
            ("repo_name", "varchar(160) not null"),
            ("lang_name", "varchar(60) not null"),
            ("lang_loc", "bigint not null"),
            ("lang_perc", "double precision not null"),
            ("dt", "timestamp default now()"),
        ),
        ("repo_name", "lang_name"),
    ),
    Table(
        "gha_reviews",
        (
            ("id", "bigint not null"),
            ("user_id", "bigint not null"),
            ("commit_id", "varchar(40) not null"),
            ("submitted_at", "timestamp not null"),
            ("author_association", "text not null"),
            ("state", "text not null"),
            ("body", "text"),
            ("event_id", "bigint not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
            ("dup_user_login", "varchar(120) not null"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_skip_commits",
        (
            ("sha", "varchar(40) not null"),
            ("dt", "timestamp not null"),
            ("reason", "int"),
        ),
        ("sha", "reason"),
    ),
    Table(
        "gha_teams",
        (
            ("id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("name", "varchar(120) not null"),
            ("slug", "varchar(100) not null"),
            ("permission", "varchar(20) not null"),
            ("dup_actor_id", "bigint not null"),
            ("dup_actor_login", "varchar(120) not null"),
            ("dup_repo_id", "bigint not null"),
            ("dup_repo_name", "varchar(160) not null"),
            ("dup_type", "varchar(40) not null"),
            ("dup_created_at", "timestamp not null"),
        ),
        ("id", "event_id"),
    ),
    Table(
        "gha_teams_repositories",
        (
            ("team_id", "bigint not null"),
            ("event_id", "bigint not null"),
            ("repository_id", "bigint not null"),
        ),
        ("team_id", "event_id", "repository_id"),
    ),
    Table(
        "gha_texts",
        (
            ("event_id", "bigint"),
            ("body", "text"),
            ("created_at", "timestamp not null"),
            ("actor_id", "bigint not null"),
            ("actor_login", "varchar(120) not null"),
            ("repo_id", "bigint not null"),
            ("repo_name", "varchar(160) not null"),
            ("type", "varchar(40) not null"),
        ),
        (),
    ),
    Table(
        "gha_vars",
        (
            ("name", "varchar(100)"),
            ("value_i", "bigint"),
            ("value_f", "double precision"),
            ("value_s", "text"),
            ("value_dt", "timestamp"),
        ),
        ("name",),
    ),
)

TABLE_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}


@dataclass(frozen=True)
class Index:
    """A secondary index; ``where`` makes it partial, and ``tag`` then tells its name from the full
    index on the same columns that databases made by earlier versions hold (as another ``method``
    than a btree does by itself)."""

    table: str
    columns: tuple[str, ...]
    where: str = ""
    tag: str = ""
    method: str = "btree"

    @property
    def name(self) -> str:
        kind = "" if self.method == "btree" else self.method
        suffix = "".join(f"_{part}" for part in (self.tag, kind) if part)
        return f"{self.table}_{'_'.join(self.columns)}{suffix}_idx"

    def create_sql(self) -> str:
        using = "" if self.method == "btree" else f" using {self.method}"
        # A block range is summarized once it is full, so a query meets at most one unsummarized
        # range (read whole) however long autovacuum takes to come by.
        options = " with (autosummarize = on)" if self.method == "brin" else ""
        where = f" where {self.where}" if self.where else ""
        return (
            f"create index if not exists {self.name} on {self.table}{using} "
            f"({', '.join(self.columns)}){options}{where}"
        )


def _set(table: str, column: str) -> Index:
    """An index of the rows where ``column`` is set. A query comparing the column with ``=``, ``<``,
    ``>=`` or joining on it implies ``is not null``, so the planner uses it wherever it would use
    the full index, and rows without a value (most of them) cost an hour's write nothing."""
    return Index(table, (column,), f"{column} is not null", "set")


def _event_time(table: str, column: str) -> Index:
    """A block range index of a column holding the time of the row's event. Hours are written in
    order, so the table's blocks follow that time: a summary (lowest, highest) per 128 blocks finds
    an hour, a day or a month by reading just the blocks that hold it, and a new row costs the index
    nothing until its range is full (a btree: one insertion and one WAL record per row). It keeps no
    order, so ``min``/``max``/``order by ... limit`` of the column read the whole table; no metric
    SQL asks that of these tables (ours, DevStats'). ``gha_events.created_at`` keeps its btree: every
    hourly metric bucket starts there, and over block ranges a full recompute of the default metric
    set took 27% longer (a btree finds an hour's hundred events, a range is 128 blocks); with these
    tables over block ranges it takes about 3% longer, the commits' daily buckets a quarter second
    of it (bench_metrics.py: one project-year)."""
    return Index(table, (column,), method="brin")


# Secondary indexes: for the columns that the sync tool's queries and DevStats' metric SQL (ours
# and DevStats' own) filter or join on selectively. Kept out of the table creation so a
# full-history load writes into bare heaps (plus primary keys) and the indexes are built once
# afterwards. Every btree costs every hourly write one insertion per row, about as much as the
# row itself, so none is here without a query that uses it (the event times have block range
# indexes instead, see _event_time); left out on purpose:
# - low-cardinality columns (event type, payload type, is_pull_request): a dozen values, never the
#   selective condition of a query (which always bounds the time too); a btree of few keys is also
#   the costliest to insert into, every new row landing on the same leaf pages;
# - logins that queries compare only through lower(...) (bots), which a plain index cannot serve;
# - a second key for the same repository (events are found by repository name, not also by id);
# - an index whose columns lead another one (issue_id leads the issue/PR link's unique key);
# - texts and commits by event, payloads by time: DevStats' metric SQL reads texts and commits by
#   time and joins their event ids to other tables' keys (only its audit scripts look commits up by
#   event), and reads payloads by event, issue, pull request or tag;
# - tables no query reads by anything but their key (branches, pages, teams, assets, forkees:
#   DevStats' metric SQL reads forks by update time, and its dashboards read only series tables).
# Columns that are null or empty on most rows (the ids and e-mail only the git backfill fills, the
# issue or PR a payload names, close and merge times) are indexed where they are set.
INDEXES: tuple[Index, ...] = (
    Index("gha_events", ("actor_id",)),
    Index("gha_events", ("created_at",)),
    Index("gha_events", ("dup_repo_name",)),
    Index("gha_actors", ("login",)),
    Index("gha_actors", ("name",)),
    Index("gha_actors_emails", ("email",)),
    Index("gha_actors_names", ("name",)),
    Index("gha_actors_affiliations", ("company_name",)),
    Index("gha_actors_affiliations", ("dt_from",)),
    Index("gha_actors_affiliations", ("dt_to",)),
    Index("gha_repos", ("name",)),
    Index("gha_repos", ("org_id",)),
    Index("gha_repos", ("repo_group",)),
    Index("gha_orgs", ("login",)),
    _set("gha_payloads", "issue_id"),
    _set("gha_payloads", "pull_request_id"),
    # The release annotations look up a repository's tag creations over its whole history.
    Index("gha_payloads", ("dup_repo_name",), "ref_type = 'tag'", "tags"),
    Index("gha_issues", ("event_id",)),
    Index("gha_issues", ("number",)),
    Index("gha_issues", ("user_id",)),
    Index("gha_issues", ("created_at",)),
    _set("gha_issues", "closed_at"),
    Index("gha_issues", ("dup_repo_id",)),
    Index("gha_issues", ("dup_repo_name",)),
    _event_time("gha_issues", "dup_created_at"),
    Index("gha_issues_labels", ("label_id",)),
    _event_time("gha_issues_labels", "dup_created_at"),
    Index("gha_issues_events_labels", ("label_name",)),
    _event_time("gha_issues_events_labels", "created_at"),
    Index("gha_issues_events_labels", ("repo_name",)),
    Index("gha_issues_pull_requests", ("pull_request_id",)),
    Index("gha_issues_pull_requests", ("repo_name",)),
    Index("gha_labels", ("name",)),
    Index("gha_milestones", ("event_id",)),
    Index("gha_pull_requests", ("event_id",)),
    Index("gha_pull_requests", ("number",)),
    Index("gha_pull_requests", ("user_id",)),
    Index("gha_pull_requests", ("created_at",)),
    _set("gha_pull_requests", "merged_at"),
    _set("gha_pull_requests", "closed_at"),
    Index("gha_pull_requests", ("dup_repo_id",)),
    Index("gha_pull_requests", ("dup_repo_name",)),
    _event_time("gha_pull_requests", "dup_created_at"),
    Index("gha_comments", ("event_id",)),
    Index("gha_comments", ("user_id",)),
    Index("gha_comments", ("created_at",)),
    Index("gha_comments", ("dup_repo_name",)),
    _event_time("gha_comments", "dup_created_at"),
    Index("gha_reviews", ("event_id",)),
    Index("gha_reviews", ("user_id",)),
    Index("gha_reviews", ("submitted_at",)),
    Index("gha_reviews", ("dup_repo_name",)),
    Index("gha_commits", ("author_email",), "author_email <> ''", "set"),
    _set("gha_commits", "author_id"),
    _set("gha_commits", "committer_id"),
    Index("gha_commits", ("dup_repo_name",)),
    _event_time("gha_commits", "dup_created_at"),
    Index("gha_commits_roles", ("actor_login",)),
    Index("gha_commits_roles", ("dup_created_at",)),
    Index("gha_events_commits_files", ("dup_created_at",)),
    # DevStats' metric SQL left-joins a period's commits (and events) to their files by event id
    # alone, which the key (sha first) cannot serve; the git backfill writes these rows, not the hour.
    Index("gha_events_commits_files", ("event_id",)),
    Index("gha_events_commits_files", ("repo_group",)),
    Index("gha_releases", ("event_id",)),
    Index("gha_releases", ("created_at",)),
    _event_time("gha_texts", "created_at"),
    Index("gha_logs", ("dt",)),
    Index("gha_repo_groups", ("name",)),
)

# Indexes earlier schema versions made that the set above no longer has (left out, or now partial
# or a block range index under another name), by the version whose migration drops them, by these
# names only, so indexes someone else made (a migrated DevStats database's own) stay. Version 4's
# two had no reader: DevStats' metric SQL reads texts by creation time (their event ids only join
# to other tables' keys) and payloads by event, issue, pull request or tag, never by time; ours
# neither. Version 5's are the btrees of the event times that block range indexes replace, and
# commits by event (read by DevStats' audit scripts only).
INDEXES_DROPPED_BY_VERSION: dict[int, tuple[str, ...]] = {
    3: tuple(
        f"{table}_{column}_idx"
        for table, column in (
            ("gha_events", "type"),
            ("gha_events", "repo_id"),
            ("gha_events", "org_id"),
            ("gha_events", "dup_actor_login"),
            ("gha_payloads", "issue_id"),
            ("gha_payloads", "pull_request_id"),
            ("gha_payloads", "dup_type"),
            ("gha_payloads", "dup_repo_name"),
            ("gha_issues", "closed_at"),
            ("gha_issues", "is_pull_request"),
            ("gha_issues_pull_requests", "issue_id"),
            ("gha_pull_requests", "merged_at"),
            ("gha_pull_requests", "closed_at"),
            ("gha_commits", "author_email"),
            ("gha_commits", "author_id"),
            ("gha_commits", "committer_id"),
            ("gha_commits", "dup_actor_login"),
            ("gha_texts", "actor_login"),
            ("gha_texts", "repo_name"),
            ("gha_texts", "type"),
            ("gha_forkees", "event_id"),
            ("gha_assets", "event_id"),
            ("gha_pages", "dup_created_at"),
            ("gha_branches", "repo_id"),
            ("gha_teams", "event_id"),
        )
    ),
    4: ("gha_texts_event_id_idx", "gha_payloads_dup_created_at_idx"),
    5: tuple(
        f"{table}_{column}_idx"
        for table, column in (
            ("gha_texts", "created_at"),
            ("gha_commits", "dup_created_at"),
            ("gha_issues", "dup_created_at"),
            ("gha_pull_requests", "dup_created_at"),
            ("gha_comments", "dup_created_at"),
            ("gha_issues_labels", "dup_created_at"),
            ("gha_issues_events_labels", "created_at"),
            ("gha_commits", "event_id"),
        )
    ),
}
DROPPED_INDEXES: tuple[str, ...] = tuple(
    name for names in INDEXES_DROPPED_BY_VERSION.values() for name in names
)


# The sync tool's own records, beside DevStats' tables (which know nothing of them).
FAILED_HOURS = Table(
    "devstats_sync_failed_hours",
    (
        ("dt", "timestamp not null"),
        ("reason", "text not null"),
        ("attempts", "int not null"),
        ("first_failed_at", "timestamp not null"),
        ("last_failed_at", "timestamp not null"),
        # Set when the hour was accepted as empty (--accept-empty): it is parsed, and this is why.
        ("accepted_at", "timestamp"),
    ),
    ("dt",),
)
QUARANTINE = Table(
    "devstats_sync_quarantine",
    (
        ("dt", "timestamp not null"),
        ("source", "text not null"),
        ("line", "int not null"),
        ("event_id", "text"),
        ("reason", "text not null"),
        ("event", "text not null"),
        ("quarantined_at", "timestamp not null default now()"),
    ),
    ("dt", "source", "line"),
)
TOOL_TABLES = (FAILED_HOURS, QUARANTINE)
# Links are derived from issues and pull requests, so one per pair (DevStats' own postprocess makes
# them so too); the key is what lets concurrent or repeated runs insert them idempotently.
ISSUE_PR_LINK_KEY = "gha_issues_pull_requests_issue_id_pull_request_id_key"


def _create_tables_v1(cur: cursor) -> None:
    for table in TABLES:
        cur.execute(table.create_sql())


def _records_and_link_key_v2(cur: cursor) -> None:
    for table in TOOL_TABLES:
        cur.execute(table.create_sql())
    cur.execute(
        "delete from gha_issues_pull_requests a using gha_issues_pull_requests b "
        "where a.issue_id = b.issue_id and a.pull_request_id = b.pull_request_id and a.ctid > b.ctid"
    )
    cur.execute(
        f"create unique index if not exists {ISSUE_PR_LINK_KEY} "
        "on gha_issues_pull_requests (issue_id, pull_request_id)"
    )


def _dropping_indexes_of(version: int) -> Callable[[cursor], None]:
    """The step that drops the indexes ``version`` no longer has; their replacements (partial, or
    block range indexes) come with the next create_indexes, as after any load."""

    def step(cur: cursor) -> None:
        for name in INDEXES_DROPPED_BY_VERSION[version]:
            cur.execute(f"drop index if exists {name}")

    return step


# Each entry moves a database from the previous version to this one; a release that changes the
# schema appends a step, and every database catches up on its next run.
MIGRATIONS: tuple[tuple[int, str, Callable[[cursor], None]], ...] = (
    (1, "DevStats gha_* tables with their primary keys", _create_tables_v1),
    (2, "failed hours and quarantined events; one link per issue and pull request", _records_and_link_key_v2),
    (
        3,
        "secondary indexes only where queries use them; partial where values are rare",
        _dropping_indexes_of(3),
    ),
    (4, "no index of texts by event or of payloads by time (nothing reads them)", _dropping_indexes_of(4)),
    (
        5,
        "event times indexed by block ranges, not btrees; no index of commits by event",
        _dropping_indexes_of(5),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version(cur: cursor) -> int:
    cur.execute("select to_regclass('gha_vars') is not null")
    if not cur.fetchone()[0]:
        return 0
    cur.execute("select value_i from gha_vars where name = %s", (SCHEMA_VERSION_VAR,))
    row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def ensure_schema(conn: connection) -> int:
    """Bring the database to SCHEMA_VERSION in one transaction; returns the version found before."""
    with conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
        found = current_version(cur)
        if found > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {found} is newer than this devstats-sync supports "
                f"({SCHEMA_VERSION}); upgrade devstats-sync"
            )
        for version, _description, step in MIGRATIONS:
            if version > found:
                step(cur)
        if found < SCHEMA_VERSION:
            cur.execute(
                "insert into gha_vars(name, value_i) values (%s, %s) "
                "on conflict (name) do update set value_i = excluded.value_i",
                (SCHEMA_VERSION_VAR, SCHEMA_VERSION),
            )
    return found


def create_indexes(conn: connection) -> int:
    """Create the missing secondary indexes; returns how many were created."""
    created = 0
    with conn, conn.cursor() as cur:
        # Two runs finishing at once would race on the same names.
        cur.execute("select pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
        cur.execute("select indexname from pg_indexes where schemaname = current_schema()")
        existing = {row[0] for row in cur.fetchall()}
        for index in INDEXES:
            if index.name not in existing:
                cur.execute(index.create_sql())
                created += 1
    return created
