select
  e.dup_actor_login as contributor,
  count(*) as contributions
from
  gha_events e
where
  {{period:e.created_at}}
  and e.type in (
    'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
    'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
  )
  and (lower(e.dup_actor_login) {{exclude_bots}})
group by
  e.dup_actor_login
order by
  contributions desc,
  contributor
limit 50
