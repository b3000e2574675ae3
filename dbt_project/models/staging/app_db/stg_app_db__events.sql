{#- One row per product usage event in drops dated <= the as-of date. Events are immutable, but a
    flawed extract can re-send one in a later drop, so each event_id keeps its newest row (and an
    event whose newest row carries deleted_at is left out). A table, not a view like the other
    staging models: as a view, every model and test reading it re-ran this
    window over the whole event history, and at the larger sizes each pass spilled to disk
    (BENCHMARKS.md). Incremental: a daily run removes the events its new drops mention and adds
    their newest rows, instead of ranking the whole history again; an earlier as-of date or a
    re-delivered drop rebuilds it (macros/incremental_events.sql says when and how). -#}
{#- On Spark (Parquet tables: no DELETE, no CREATE OR REPLACE) a table rebuilt whole by every run,
    without the side tables; its tests then judge every row. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook='' if target.type == 'spark' else "{{ stg_events_before_build() }}",
    post_hook='' if target.type == 'spark' else "{{ stg_events_after_build() }}",
) }}
{%- set increment = stg_events_increment() %}
with

source as (

    select * from {{ source('app_db', 'app_db__events') }}
    where _drop_date <= {{ as_of_date() }}
    {%- if not increment.full %}
        -- the new drops only: their newest row of an event is newer than any row already here
        and _drop_date > cast('{{ increment.after }}' as date)
    {%- endif %}

),

newest_version as (

    {{ newest_version('source', ['event_id']) }}

),

renamed as (

    select
        -- ids
        event_id,
        {{ empty_as_null('account_id') }} as account_id,
        {{ empty_as_null('user_id') }} as user_id,
        {{ empty_as_null('feature_key') }} as feature_key,

        -- attributes
        event_type,

        -- timestamps
        occurred_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version
    where deleted_at is null

)

select * from renamed
