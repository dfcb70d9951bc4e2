"""What happens to repositories: forks (and the repositories pull request branches live in),
releases with their assets, wiki pages, and teams given access."""

from __future__ import annotations

from typing import Any

from devstats_sync.normalize.fields import utc
from devstats_sync.normalize.row_factories import builds_rows, row
from devstats_sync.normalize.rows import EventContext, Rows, user_or_actor


@builds_rows
def forkee(repo: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    owner_id, owner_login = user_or_actor(repo.get("owner"), ctx, rows)
    organization = repo.get("organization")
    if isinstance(organization, dict):
        organization = organization.get("login")
    rows.tables["gha_forkees"].append(
        row.gha_forkees(
            id=int(repo["id"]),
            event_id=ctx.event_id,
            name=repo.get("name") or "",
            full_name=repo.get("full_name") or "",
            owner_id=owner_id,
            description=repo.get("description"),
            fork=bool(repo.get("fork")),
            created_at=utc(repo.get("created_at")) or ctx.created_at,
            updated_at=utc(repo.get("updated_at")) or ctx.created_at,
            pushed_at=utc(repo.get("pushed_at")),
            homepage=repo.get("homepage"),
            size=repo.get("size") or 0,
            stargazers_count=repo.get("stargazers_count") or 0,
            has_issues=bool(repo.get("has_issues")),
            has_projects=repo.get("has_projects"),
            has_downloads=bool(repo.get("has_downloads")),
            has_wiki=bool(repo.get("has_wiki")),
            has_pages=repo.get("has_pages"),
            forks=repo.get("forks") or 0,
            open_issues=repo.get("open_issues") or 0,
            watchers=repo.get("watchers") or 0,
            default_branch=repo.get("default_branch") or repo.get("master_branch") or "",
            public=repo.get("public"),
            language=repo.get("language"),
            organization=organization,
            dup=ctx.dup,
            dup_owner_login=owner_login,
        )
    )


@builds_rows
def release(release: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    release_id = int(release["id"])
    author_id, author_login = user_or_actor(release.get("author"), ctx, rows)
    rows.tables["gha_releases"].append(
        row.gha_releases(
            id=release_id,
            event_id=ctx.event_id,
            tag_name=release.get("tag_name") or "",
            target_commitish=release.get("target_commitish") or "",
            name=release.get("name"),
            draft=bool(release.get("draft")),
            author_id=author_id,
            prerelease=bool(release.get("prerelease")),
            created_at=utc(release.get("created_at")) or ctx.created_at,
            published_at=utc(release.get("published_at")),
            body=release.get("body"),
            dup=ctx.dup,
            dup_author_login=author_login,
        )
    )
    for asset in release.get("assets") or ():
        if not isinstance(asset, dict) or asset.get("id") is None:
            continue
        uploader_id, uploader_login = user_or_actor(asset.get("uploader"), ctx, rows)
        asset_id = int(asset["id"])
        rows.tables["gha_assets"].append(
            row.gha_assets(
                id=asset_id,
                event_id=ctx.event_id,
                name=asset.get("name") or "",
                label=asset.get("label"),
                uploader_id=uploader_id,
                content_type=asset.get("content_type") or "",
                state=asset.get("state") or "",
                size=asset.get("size") or 0,
                download_count=asset.get("download_count") or 0,
                created_at=utc(asset.get("created_at")) or ctx.created_at,
                updated_at=utc(asset.get("updated_at")) or ctx.created_at,
                dup=ctx.dup,
                dup_uploader_login=uploader_login,
            )
        )
        rows.tables["gha_releases_assets"].append(
            row.gha_releases_assets(release_id=release_id, event_id=ctx.event_id, asset_id=asset_id)
        )


@builds_rows
def wiki_page(page: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    rows.tables["gha_pages"].append(
        row.gha_pages(
            sha=page.get("sha") or "",
            event_id=ctx.event_id,
            action=page.get("action") or "",
            title=page.get("title") or "",
            dup=ctx.dup,
        )
    )


@builds_rows
def team(team: dict[str, Any], repository: Any, ctx: EventContext, rows: Rows) -> None:
    team_id = int(team["id"])
    rows.tables["gha_teams"].append(
        row.gha_teams(
            id=team_id,
            event_id=ctx.event_id,
            name=team.get("name") or "",
            slug=team.get("slug") or "",
            permission=team.get("permission") or "",
            dup=ctx.dup,
        )
    )
    if isinstance(repository, dict) and repository.get("id") is not None:
        rows.tables["gha_teams_repositories"].append(
            row.gha_teams_repositories(
                team_id=team_id, event_id=ctx.event_id, repository_id=int(repository["id"])
            )
        )
