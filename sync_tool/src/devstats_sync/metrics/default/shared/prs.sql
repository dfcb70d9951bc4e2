select
  'prs_opened,prs_merged' as series,
  (
    select count(distinct pr.id)
    from gha_pull_requests pr
    where
      pr.created_at >= '{{from}}'
      and pr.created_at < '{{to}}'
      and (lower(pr.dup_user_login) {{exclude_bots}})
  ) as opened,
  (
    select count(distinct pr.id)
    from gha_pull_requests pr
    where
      pr.merged_at >= '{{from}}'
      and pr.merged_at < '{{to}}'
      and (lower(pr.dup_user_login) {{exclude_bots}})
  ) as merged
