{#- Expansion opportunities as of each run's date: transforms.expansion_opportunities typed (orchestration/assets/expansion.py). -#}
select
    cast(account_id as string) as account_id,
    cast(as_of_date as date) as as_of_date,
    cast(csm_id as string) as csm_id,
    cast(type as string) as type,
    cast(product as string) as product,
    cast(round(estimated_value, 2) as decimal(18,2)) as estimated_value,
    cast(probability as double) as probability,
    cast(signals as {{ csw_string_list_type() }}) as signals,
    cast(timing as string) as timing,
    cast(health_score as double) as health_score,
    cast(config_version as string) as config_version
from {{ source('transforms', 'expansion_opportunities') }}
