-- Contributors whose first contribution to the project falls into the bucket.
select
  count(distinct e.actor_id) as new_contributors
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
  and not exists (
    select 1
    from gha_events p
    where
      p.actor_id = e.actor_id
      and p.created_at < '{{from}}'
      and p.type in (
        'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
    'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
      )
  )
