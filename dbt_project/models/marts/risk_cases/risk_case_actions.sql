{#- One row per risk case and action of its playbook, with the CRM task matched to it (the account's earliest task of that playbook and action order created between the case's opening and closing). Thin: the logic is in transforms/risk_cases.py. -#}
select
    cast(case_id as string) as case_id,
    cast(account_id as string) as account_id,
    cast(playbook as string) as playbook,
    cast(action_order as bigint) as action_order,
    cast(action as string) as action,
    cast(channel as string) as channel,
    cast(timing as string) as timing,
    cast(planned_due_at as {{ dbt.type_timestamp() }}) as planned_due_at,
    cast(task_id as string) as task_id,
    cast(task_csm_id as string) as task_csm_id,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(due_at as {{ dbt.type_timestamp() }}) as due_at,
    cast(completed_at as {{ dbt.type_timestamp() }}) as completed_at,
    cast(task_outcome as string) as task_outcome,
    cast(done as boolean) as done,
    cast(done_by_due as boolean) as done_by_due
from {{ source('transforms', 'risk_case_actions') }}
