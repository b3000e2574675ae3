{#- The customer status per account and day (metrics.md, "population"): the one place every
    live-book figure (health scores, churn signals, alerts, lifecycle risk, portfolio KPIs, the CSM
    book, "accounts at risk") and the gate's rules 18 and 19 read who is a customer that day.
    A view over int_account_daily_metrics, where the status is computed with the subscription
    states it comes from (one pass over Stripe's versions per slice of accounts). -#}
{#- A table on Spark, like the staging models (dbt_project.yml). -#}
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
select
    account_id,
    as_of_date,
    csm_id,
    customer_status,
    in_live_book,
    customer_status = 'churned' and in_live_book as is_terminal_day,
    first_paying_on
from {{ ref('int_account_daily_metrics') }}
