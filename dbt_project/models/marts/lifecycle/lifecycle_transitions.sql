{#- One row per lifecycle stage change (metrics.md §5) with the rule that fired. Thin: the logic is in transforms/lifecycle.py, run by orchestration/assets/lifecycle.py. -#}
select
    cast(account_id as varchar) as account_id,
    cast(as_of_date as date) as as_of_date,
    cast(from_stage as varchar) as from_stage,
    cast(to_stage as varchar) as to_stage,
    cast(rule as varchar) as rule,
    cast(detail as varchar) as detail,
    cast(config_version as varchar) as config_version
from {{ source('transforms', 'lifecycle_transitions') }}
