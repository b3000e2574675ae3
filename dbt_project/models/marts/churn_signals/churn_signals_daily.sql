{#- One row per account, day and churn signal that fired (metrics.md §4), with the observed value and threshold. Thin: the logic is in transforms/churn_signals.py, run by orchestration/assets/churn_signals.py. -#}
select
    cast(account_id as string) as account_id,
    cast(as_of_date as date) as as_of_date,
    cast(signal as string) as signal,
    cast(severity as string) as severity,
    cast(observed_value as double) as observed_value,
    cast(operator as string) as operator,
    cast(threshold as double) as threshold,
    cast(config_version as string) as config_version,
    cast(csm_id as string) as csm_id,
    cast(customer_status as string) as customer_status
from {{ source('transforms', 'churn_signals_daily') }}
