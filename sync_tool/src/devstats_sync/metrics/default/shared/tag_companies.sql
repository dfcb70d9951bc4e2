-- Companies with the most affiliated contributors first.
select
  company_name
from
  gha_actors_affiliations
group by
  company_name
order by
  count(distinct actor_id) desc,
  company_name
limit {{lim}}
