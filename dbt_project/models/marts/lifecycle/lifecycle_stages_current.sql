{#- The lifecycle stage of every account on the latest day the stage machine evaluated it. -#}
select
    cast(account_id as string) as account_id,
    cast(as_of_date as date) as as_of_date,
    cast(stage as string) as stage,
    cast(days_in_stage as bigint) as days_in_stage,
    cast(config_version as string) as config_version
from {{ source('transforms', 'lifecycle_daily') }}
qualify row_number() over (partition by account_id order by as_of_date desc) = 1
