-- One series, one value column per country (multi_value): contributions by contributors' country.
select
  'country_activity,' || a.country_name as series,
  count(*) as contributions
from
  gha_events e
join
  gha_actors a
on
  a.id = e.actor_id
  and a.login = e.dup_actor_login
where
  e.created_at >= '{{from}}'
  and e.created_at < '{{to}}'
  and e.type in (
    'PushEvent', 'PullRequestEvent', 'IssuesEvent', 'IssueCommentEvent',
    'PullRequestReviewCommentEvent', 'PullRequestReviewEvent', 'CommitCommentEvent'
  )
  and (lower(e.dup_actor_login) {{exclude_bots}})
  and coalesce(a.country_name, '') != ''
group by
  a.country_name
