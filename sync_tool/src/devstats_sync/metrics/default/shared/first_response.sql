-- Hours from opening an issue or PR to the first comment or review by someone else (bots aside),
-- for issues and PRs opened in the bucket. The response is looked up per issue through the
-- (id, event_id) key rather than by joining every comment ever made.
with opened as (
  select
    i.id,
    i.is_pull_request,
    min(i.created_at) as created_at,
    min(i.user_id) as user_id
  from
    gha_issues i
  where
    i.created_at >= '{{from}}'
    and i.created_at < '{{to}}'
    and (lower(i.dup_user_login) {{exclude_bots}})
  group by
    i.id,
    i.is_pull_request
), responses as materialized (
  select
    o.is_pull_request,
    (
      select extract(epoch from min(r.dup_created_at) - o.created_at) / 3600.0
      from gha_issues r
      where
        r.id = o.id
        and r.dup_actor_id != o.user_id
        and r.dup_created_at > o.created_at
        and r.dup_type in ('IssueCommentEvent', 'PullRequestReviewCommentEvent', 'PullRequestReviewEvent')
        and (lower(r.dup_actor_login) {{exclude_bots}})
    ) as hours
  from
    opened o
)
select
  'first_response_;' || case when is_pull_request then 'prs' else 'issues' end || ';_median,_p85' as series,
  percentile_disc(0.5) within group (order by hours) as median,
  percentile_disc(0.85) within group (order by hours) as p85
from
  responses
where
  hours is not null
group by
  is_pull_request
