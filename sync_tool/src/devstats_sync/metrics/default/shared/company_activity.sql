-- Contributions by the company each contributor was affiliated with at the time.
select
  'company_activity_,' || aa.company_name as series,
  round(count(*) / {{n}}, 2) as contributions
from
  gha_events e
join
  gha_actors_affiliations aa
on
  aa.actor_id = e.actor_id
  and aa.dt_from <= e.created_at
  and aa.dt_to > e.created_at
where
  e.created_at >= '{{from}}'
  and e.created_at < '{{to}}'
  and e.type in (
    'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
    'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
  )
  and (lower(e.dup_actor_login) {{exclude_bots}})
group by
  aa.company_name
