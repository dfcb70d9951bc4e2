-- Pushed commits (GH Archive or git backfill) by their author's login, or the pusher's without one.
select
  round(count(distinct c.sha) / {{n}}, 2) as commits
from
  gha_commits c
where
  c.dup_created_at >= '{{from}}'
  and c.dup_created_at < '{{to}}'
  and (lower(coalesce(nullif(c.dup_author_login, ''), c.dup_actor_login)) {{exclude_bots}})
