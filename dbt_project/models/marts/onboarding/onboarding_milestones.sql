{#- Every milestone of each onboarding account's program as of each run's date: transforms.onboarding_milestones typed (orchestration/assets/onboarding.py). -#}
select
    cast(account_id as string) as account_id,
    cast(as_of_date as date) as as_of_date,
    cast(program as string) as program,
    cast(milestone as string) as milestone,
    cast(target_day as bigint) as target_day,
    cast(target_on as date) as target_on,
    cast(reached_on as date) as reached_on,
    cast(on_time as boolean) as on_time,
    cast(config_version as string) as config_version
from {{ source('transforms', 'onboarding_milestones') }}
