{#- Product events aggregated once per account and UTC day (metrics.md §2): the daily counts every
    windowed health metric is summed from, so the windows run over account-days, not raw events.
    Days with no event have no row here; int_account_daily_metrics turns them into true zeros.
    Incremental: after an incremental build of the events, only the account-days it touched are
    aggregated again (macros/incremental_events.sql). -#}
{#- On Spark (Parquet tables: no DELETE, no CREATE OR REPLACE) a table rebuilt whole by every run,
    without the side tables; its tests then judge every row. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook='' if target.type == 'spark' else "{{ events_derived_before_build('activity_date') }}",
    post_hook='' if target.type == 'spark' else "{{ events_derived_after_build() }}",
) }}
with

events as (

    {{ events_to_derive() }}

),

daily as (

    select
        account_id,
        cast(occurred_at as date) as activity_date,
        count(case when event_type = 'login' then 1 end) as logins,
        count(case when event_type = 'conversation_handled' then 1 end) as conversations,
        count(case when event_type = 'feature_used' then 1 end) as feature_uses,
        count(case when event_type = 'blocked_feature_attempt' then 1 end) as blocked_feature_attempts,
        count(distinct user_id) as active_users,
        max(case when event_type = 'login' then occurred_at end) as last_login_at
    from events
    where account_id is not null
    group by 1, 2

)

select * from daily
