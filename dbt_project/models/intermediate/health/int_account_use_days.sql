{#- The days each user (kind `user`, any event) and each feature (kind `feature`, feature_used
    events) of an account was used: one row per key and day. Stored on its own so that
    int_account_activity_windows runs its windows over a table: at the larger sizes the distinct and
    the two windows in one statement ran out of memory under DuckDB's limit, and each half alone fits
    (BENCHMARKS.md).
    Incremental: after an incremental build of the events, only the account-days it touched are
    derived again (macros/incremental_events.sql). -#}
{#- On Spark (Parquet tables: no DELETE, no CREATE OR REPLACE) a table rebuilt whole by every run,
    without the side tables; its tests then judge every row. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook='' if target.type == 'spark' else "{{ events_derived_before_build('used_on') }}",
    post_hook='' if target.type == 'spark' else "{{ events_derived_after_build() }}",
) }}
with

events as (

    {{ events_to_derive() }}

),

user_days as (

    select distinct
        account_id,
        'user' as usage_kind,
        user_id as usage_key,
        cast(occurred_at as date) as used_on
    from events
    where account_id is not null and user_id is not null

),

feature_days as (

    select distinct
        account_id,
        'feature' as usage_kind,
        feature_key as usage_key,
        cast(occurred_at as date) as used_on
    from events
    where account_id is not null and feature_key is not null and event_type = 'feature_used'

)

select * from user_days
union all
select * from feature_days
