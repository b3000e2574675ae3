{#- Onboarding completion rate per program and overall: transforms.onboarding_completion typed (orchestration/assets/onboarding.py). -#}
select
    cast(as_of_date as date) as as_of_date,
    cast(program as string) as program,
    cast(completed as bigint) as completed,
    cast(window_ended as bigint) as window_ended,
    cast(rate as double) as rate,
    cast(rate_low as double) as rate_low,
    cast(rate_high as double) as rate_high,
    cast(config_version as string) as config_version
from {{ source('transforms', 'onboarding_completion') }}
