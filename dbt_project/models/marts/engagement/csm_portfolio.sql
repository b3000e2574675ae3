{#- Engagement portfolio per CSM and calendar month: transforms.csm_portfolio typed (orchestration/assets/engagement.py). -#}
select
    cast(csm_id as string) as csm_id,
    cast(month as date) as month,
    cast(accounts as bigint) as accounts,
    cast(high as bigint) as high,
    cast(medium as bigint) as medium,
    cast(low as bigint) as low,
    cast(unscored as bigint) as unscored,
    cast(at_risk_accounts as {{ csw_string_list_type() }}) as at_risk_accounts,
    cast(mean_score as double) as mean_score,
    cast(config_version as string) as config_version
from {{ source('transforms', 'csm_portfolio') }}
