select
  country_name
from
  gha_actors
where
  coalesce(country_name, '') != ''
group by
  country_name
order by
  country_name
limit {{lim}}
