{#- Product events counted once per account and calendar month, up to the end of the as-of day: the
    event inputs of the monthly engagement score (int_account_engagement_monthly). Months without an
    event have no row; the engagement model turns them into true zeros where the events were
    extracted. Incremental: after an incremental build of the events, only the account-months it
    touched and the months from the previous as-of month on are counted again
    (macros/incremental_events.sql), instead of every month from every event. -#}
{#- On Spark (Parquet tables: no DELETE) a table rebuilt whole by every run. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook='' if target.type == 'spark' else "{{ events_monthly_before_build() }}",
    post_hook='' if target.type == 'spark' else "{{ events_monthly_after_build() }}",
) }}
with

events as (

    {{ events_to_count_monthly() }}

),

monthly as (

    select
        account_id,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as month,
        count(case when event_type = 'login' then 1 end) as logins,
        count(distinct user_id) as active_users,
        count(distinct case when event_type = 'feature_used' then feature_key end) as features_used,
        count(case when event_type = 'feature_used' then 1 end) as actions,
        count(case when event_type = 'conversation_automated' then 1 end) as automated_conversations,
        count(case when event_type = 'conversation_handled' then 1 end) as handled_conversations,
        count(case when event_type = 'blocked_feature_attempt' then 1 end) as blocked_feature_attempts
    from events
    where account_id is not null
    group by 1, 2

)

select * from monthly
