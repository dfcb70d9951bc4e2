select
  'issues_,opened' as series,
  count(distinct i.id) as issues
from
  gha_issues i
where
  not i.is_pull_request
  and i.created_at >= '{{from}}'
  and i.created_at < '{{to}}'
  and (lower(i.dup_user_login) {{exclude_bots}})
union all
select
  'issues_,closed' as series,
  count(distinct i.id) as issues
from
  gha_issues i
where
  not i.is_pull_request
  and i.closed_at >= '{{from}}'
  and i.closed_at < '{{to}}'
  and (lower(i.dup_user_login) {{exclude_bots}})
