{#- Playbook completion rate (save-playbook tasks done by their due time / tasks due, by month of the due time and the task's CSM) and save rate (recovered / closed risk cases, by month of closing and the case's CSM), per month and CSM (scope csm) and over every CSM (scope all), with Wilson 95% intervals (metrics.md §12, §16 KPI). Thin: the logic is in transforms/risk_cases.py. -#}
select
    cast(month as date) as month,
    cast(scope as string) as scope,
    cast(csm_id as string) as csm_id,
    cast(actions_due as bigint) as actions_due,
    cast(actions_done_by_due as bigint) as actions_done_by_due,
    cast(completion_rate as double) as completion_rate,
    cast(completion_ci_low as double) as completion_ci_low,
    cast(completion_ci_high as double) as completion_ci_high,
    cast(completion_reason as string) as completion_reason,
    cast(completion_status as string) as completion_status,
    cast(cases_closed as bigint) as cases_closed,
    cast(cases_recovered as bigint) as cases_recovered,
    cast(save_rate as double) as save_rate,
    cast(save_ci_low as double) as save_ci_low,
    cast(save_ci_high as double) as save_ci_high,
    cast(save_reason as string) as save_reason,
    cast(config_version as string) as config_version
from {{ source('transforms', 'playbook_completion_monthly') }}
