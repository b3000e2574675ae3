{#- One row per lifecycle stage change (metrics.md §5) with the rule that fired. Thin: the logic is in transforms/lifecycle.py, run by orchestration/assets/lifecycle.py. -#}
select
    cast(account_id as string) as account_id,
    cast(as_of_date as date) as as_of_date,
    cast(from_stage as string) as from_stage,
    cast(to_stage as string) as to_stage,
    cast(rule as string) as rule,
    cast(detail as string) as detail,
    cast(config_version as string) as config_version
from {{ source('transforms', 'lifecycle_transitions') }}
