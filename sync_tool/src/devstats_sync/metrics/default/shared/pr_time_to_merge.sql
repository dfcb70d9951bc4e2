-- Hours from opening to merging, for PRs merged in the bucket.
with merged as (
  select
    pr.id,
    min(pr.created_at) as created_at,
    max(pr.merged_at) as merged_at
  from
    gha_pull_requests pr
  where
    pr.merged_at >= '{{from}}'
    and pr.merged_at < '{{to}}'
    and (lower(pr.dup_user_login) {{exclude_bots}})
  group by
    pr.id
)
select
  'pr_time_to_merge_median,pr_time_to_merge_p85' as series,
  coalesce(percentile_disc(0.5) within group (order by extract(epoch from merged_at - created_at) / 3600.0), 0) as median,
  coalesce(percentile_disc(0.85) within group (order by extract(epoch from merged_at - created_at) / 3600.0), 0) as p85
from
  merged
