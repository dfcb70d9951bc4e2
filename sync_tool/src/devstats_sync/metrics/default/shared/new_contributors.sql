-- Contributors whose first contribution to the project falls into the bucket. The earlier-contribution
-- probe runs once per contributor of the bucket, not once per event.
select
  count(*) as new_contributors
from (
  select distinct
    e.actor_id
  from
    gha_events e
  where
    e.created_at >= '{{from}}'
    and e.created_at < '{{to}}'
    and e.type in (
      'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
    'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
    )
    and (lower(e.dup_actor_login) {{exclude_bots}})
) a
where
  -- Before the first event there is nothing to probe (this spares the first buckets a full scan).
  (select min(created_at) from gha_events) >= '{{from}}'
  or not exists (
    select 1
    from gha_events p
    where
      p.actor_id = a.actor_id
      and p.created_at < '{{from}}'
      and p.type in (
        'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
        'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
      )
  )
