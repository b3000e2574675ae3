{#- Expansion pipeline per CSM, opportunity type and timing as of each run's date: transforms.expansion_pipeline typed (orchestration/assets/expansion.py). -#}
select
    cast(csm_id as string) as csm_id,
    cast(as_of_date as date) as as_of_date,
    cast(type as string) as type,
    cast(timing as string) as timing,
    cast(opportunities as bigint) as opportunities,
    cast(round(estimated_value, 2) as decimal(18,2)) as estimated_value,
    cast(unvalued as bigint) as unvalued,
    cast(config_version as string) as config_version
from {{ source('transforms', 'expansion_pipeline') }}
