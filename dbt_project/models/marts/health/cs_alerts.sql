{#- One row per alert for CS (score drop > 15 in 7 days: high; grade D/F today not yesterday: critical; a high-severity churn signal absent the day before), with account, CSM, reason and values. Thin: the logic is in transforms/health.py (score and grade alerts) and transforms/churn_signals.py (signal alerts), run by orchestration/assets/health.py. -#}
select
    cast(account_id as varchar) as account_id,
    cast(as_of_date as date) as as_of_date,
    cast(alert as varchar) as alert,
    cast(severity as varchar) as severity,
    cast(reason as varchar) as reason,
    cast(signal as varchar) as signal,
    cast(value as double) as value,
    cast(previous_value as double) as previous_value,
    cast(threshold as double) as threshold,
    cast(grade as varchar) as grade,
    cast(previous_grade as varchar) as previous_grade,
    cast(config_version as varchar) as config_version,
    cast(csm_id as varchar) as csm_id
from {{ source('transforms', 'cs_alerts') }}
