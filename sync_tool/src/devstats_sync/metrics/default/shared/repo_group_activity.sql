-- Contributions per repository group (a repository without a group is its own group), and all.
select
  'repo_group_activity_,' || coalesce(nullif(r.repo_group, ''), r.name) as series,
  count(*) as contributions
from
  gha_events e
join
  gha_repos r
on
  r.id = e.repo_id
  and r.name = e.dup_repo_name
where
  e.created_at >= '{{from}}'
  and e.created_at < '{{to}}'
  and e.type in (
    'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
    'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
  )
  and (lower(e.dup_actor_login) {{exclude_bots}})
group by
  coalesce(nullif(r.repo_group, ''), r.name)
union all
select
  'repo_group_activity_,all' as series,
  count(*) as contributions
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
