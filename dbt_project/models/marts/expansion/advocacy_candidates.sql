{#- Advocacy candidates as of each run's date: transforms.advocacy_candidates typed (orchestration/assets/expansion.py). -#}
select
    cast(as_of_date as date) as as_of_date,
    cast(rank as bigint) as rank,
    cast(account_id as string) as account_id,
    cast(csm_id as string) as csm_id,
    cast(nps_score as double) as nps_score,
    cast(health_score as double) as health_score,
    cast(round(mrr, 2) as decimal(18,2)) as mrr,
    cast(config_version as string) as config_version
from {{ source('transforms', 'advocacy_candidates') }}
