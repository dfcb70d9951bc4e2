select
  round(count(*) / {{n}}, 2) as events
from
  gha_events e
where
  e.created_at >= '{{from}}'
  and e.created_at < '{{to}}'
  and (lower(e.dup_actor_login) {{exclude_bots}})
