select
  coalesce(nullif(repo_group, ''), name) as repo_group
from
  gha_repos
group by
  coalesce(nullif(repo_group, ''), name)
order by
  repo_group
limit {{lim}}
