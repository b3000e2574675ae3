{#- The days on which a user (kind `user`, any event) or a feature (kind `feature`, feature_used
    events) counts as used "in the last 30 days" for its account: each run of use days closer than
    30 days apart becomes one window [first use, last use + 29]. Windows of one key never overlap,
    so the number of distinct users or features used in the 30 days ending on day t is the number of
    windows covering t — a range join instead of a distinct count over a sliding window. The use
    days come stored from int_account_use_days (one statement for both ran out of memory at the
    larger sizes).
    Incremental: after an incremental build of the events, each touched account's windows ending on
    or after its earliest changed day m are computed again, from its use days on or after m and,
    for the window that started before m, that start and its last use day before m
    (macros/incremental_events.sql, activity_windows_before_build). -#}
{#- On Spark (Parquet tables: no DELETE, no CREATE OR REPLACE) a table rebuilt whole by every run,
    without the side tables; its tests then judge every row. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook='' if target.type == 'spark' else "{{ activity_windows_before_build() }}",
    post_hook='' if target.type == 'spark' else "{{ events_derived_after_build() }}",
) }}
{%- set increment = events_derived_increment() %}
with

{% if increment.full -%}

-- Every use day is a span of one day.
spans as (

    select account_id, usage_kind, usage_key, used_on as first_day, used_on as last_day
    from {{ ref('int_account_use_days') }}

),

{%- else -%}

changed as (

    {{ events_changed_accounts() }}

),

-- The part before m of the window that started before m: its start and its last use before m.
kept_prefixes as (

    select
        redo.account_id,
        redo.usage_kind,
        redo.usage_key,
        redo.redo_start as first_day,
        max(use_days.used_on) as last_day
    from {{ _csw_side_table(this, 'redo') }} as redo
    inner join changed
        on changed.account_id = redo.account_id
    inner join {{ ref('int_account_use_days') }} as use_days
        on use_days.account_id = redo.account_id
        and use_days.usage_kind = redo.usage_kind
        and use_days.usage_key = redo.usage_key
        and use_days.used_on >= greatest(redo.redo_start, {{ dbt.dateadd('day', -29, 'changed.first_changed') }})
        and use_days.used_on < changed.first_changed
    group by 1, 2, 3, 4

),

spans as (

    select * from kept_prefixes
    union all
    select use_days.account_id, use_days.usage_kind, use_days.usage_key, use_days.used_on, use_days.used_on
    from {{ ref('int_account_use_days') }} as use_days
    inner join changed
        on changed.account_id = use_days.account_id
        and use_days.used_on >= changed.first_changed

),

{%- endif %}

runs as (

    select
        *,
        case
            when {{ dbt.datediff(
                'lag(last_day) over (partition by account_id, usage_kind, usage_key order by first_day)',
                'first_day', 'day') }} < 30 then 0
            else 1
        end as starts_run
    from spans

),

numbered as (

    select
        *,
        sum(starts_run) over (
            partition by account_id, usage_kind, usage_key order by first_day rows unbounded preceding
        ) as run_number
    from runs

),

windows as (

    select
        account_id,
        usage_kind,
        usage_key,
        min(first_day) as window_start,
        cast({{ dbt.dateadd('day', 29, 'max(last_day)') }} as date) as window_end
    from numbered
    group by account_id, usage_kind, usage_key, run_number

)

select * from windows
