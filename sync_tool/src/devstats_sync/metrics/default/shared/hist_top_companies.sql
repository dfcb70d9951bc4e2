select
  aa.company_name as company,
  count(*) as contributions
from
  gha_events e
join
  gha_actors_affiliations aa
on
  aa.actor_id = e.actor_id
  and aa.dt_from <= e.created_at
  and aa.dt_to > e.created_at
where
  {{period:e.created_at}}
  and e.type in (
    'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
    'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
  )
  and (lower(e.dup_actor_login) {{exclude_bots}})
group by
  aa.company_name
order by
  contributions desc,
  company
limit 50
