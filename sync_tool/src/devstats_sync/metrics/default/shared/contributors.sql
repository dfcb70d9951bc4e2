select
  count(distinct e.actor_id) as contributors
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
