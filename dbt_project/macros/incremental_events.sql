{#- Incremental builds of the models whose cost is the size of the event history
    (stg_app_db__events, int_account_events_daily, int_account_use_days,
    int_account_activity_windows): a daily run adds the drops dated after the last build instead of
    re-deriving every event (BENCHMARKS.md).

    stg_app_db__events keeps, next to itself, two small tables:
    - <model>__built: the as-of date it was built through (built_through), how many raw event rows
      dated <= that day there were and the newest _loaded_at among them (so a re-delivered drop,
      which ingest replaces, is seen), whether the build was full or incremental, and a sequence
      number bumped by every build;
      It also notes the drop date after which an incremental build added rows (added_after);
    - <model>__changed: the (account_id, activity_date) pairs an incremental build touched: the days
      of the rows it removed (an event re-sent or deleted in a new drop) and of the rows it added.

    A build is incremental only when it can be exact: the table exists, the as-of date is not before
    built_through, and the raw rows up to built_through are those it was built from. It then removes
    every event the new drops mention and adds each one's newest row among those drops (a row in a
    newer drop wins over any older one, so the older drops need not be read); any other case (first
    build, an earlier as-of date, a replaced drop) rebuilds the table in place.

    The models derived from the events, built after them, work only on what __changed names when the
    events' latest build was incremental and the one right after the build they last consumed (each
    records the build it consumed in its own __built); else they rebuild whole:
    - int_account_events_daily and int_account_use_days re-derive the account-days of __changed;
    - int_account_activity_windows recomputes, for each account in __changed with m its earliest
      changed day, the windows ending on or after m (see activity_windows_before_build). -#}

{% macro _csw_table_exists(schema, identifier) %}
    {%- set found = run_query(
        "select count(*) from information_schema.tables where table_schema = '" ~ schema
        ~ "' and table_name = '" ~ identifier ~ "'") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}

{% macro _csw_side_table(relation, suffix) -%}
    {{ relation.schema }}.{{ relation.identifier }}__{{ suffix }}
{%- endmacro %}

{#- {'full': true} or {'full': false, 'after': 'YYYY-MM-DD'} for stg_app_db__events (see above). -#}
{% macro stg_events_increment() %}
    {%- if not execute or this is none or not is_incremental()
        or not _csw_table_exists(this.schema, this.identifier ~ '__built') -%}
        {{ return({'full': true}) }}
    {%- endif -%}
    {%- set check -%}
        with built as (select * from {{ _csw_side_table(this, 'built') }}),
        raw_now as (
            select count(*) as raw_rows, max(_loaded_at) as raw_loaded_at
            from {{ source('app_db', 'app_db__events') }}
            where _drop_date <= (select built_through from built)
        )
        select
            cast(built.built_through as string) as built_through,
            built.built_through <= {{ as_of_date() }}
                and built.raw_rows = raw_now.raw_rows
                and built.raw_loaded_at is not distinct from raw_now.raw_loaded_at as can_add
        from built, raw_now
    {%- endset -%}
    {%- set row = run_query(check).rows[0] -%}
    {%- if row[1] -%}
        {{ return({'full': false, 'after': row[0]}) }}
    {%- endif -%}
    {{ return({'full': true}) }}
{% endmacro %}

{#- The raw rows of the drops an incremental build adds. -#}
{% macro _csw_new_event_rows(after) -%}
    select * from {{ source('app_db', 'app_db__events') }}
    where _drop_date > cast('{{ after }}' as date) and _drop_date <= {{ as_of_date() }}
{%- endmacro %}

{#- pre-hook of stg_app_db__events: note the days of the rows about to go, then remove them (every
    event the new drops mention), or empty the table for a rebuild in place. -#}
{% macro stg_events_before_build() %}
    {%- if execute and is_incremental() -%}
        {%- set increment = stg_events_increment() -%}
        {%- if increment.full -%}
            delete from {{ this }}
        {%- else -%}
            create or replace table {{ _csw_side_table(this, 'changed') }} as
            select distinct account_id, cast(occurred_at as date) as activity_date
            from {{ this }}
            where event_id in (select event_id from ({{ _csw_new_event_rows(increment.after) }}));
            delete from {{ this }}
            where event_id in (select event_id from ({{ _csw_new_event_rows(increment.after) }}))
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- post-hook of stg_app_db__events: add the days of the rows this build added to __changed and
    record the build in __built. -#}
{% macro stg_events_after_build() %}
    {%- set increment = stg_events_increment() if execute and is_incremental() else {'full': true} -%}
    {%- set built = _csw_side_table(this, 'built') -%}
    {%- set previous_sequence -%}
        {%- if execute and _csw_table_exists(this.schema, this.identifier ~ '__built') -%}
            (select build_sequence from {{ built }})
        {%- else -%}
            0
        {%- endif -%}
    {%- endset -%}
    {%- if not increment.full -%}
        insert into {{ _csw_side_table(this, 'changed') }}
        select distinct account_id, cast(occurred_at as date)
        from {{ this }}
        where source_drop_date > cast('{{ increment.after }}' as date);
    {%- endif %}
    create or replace table {{ built }} as
    select
        {{ as_of_date() }} as built_through,
        count(*) as raw_rows,
        max(_loaded_at) as raw_loaded_at,
        {{ "'full'" if increment.full else "'incremental'" }} as build_mode,
        {{ "null" if increment.full else "date '" ~ increment.after ~ "'" }} as added_after,
        {{ previous_sequence }} + 1 as build_sequence
    from {{ source('app_db', 'app_db__events') }}
    where _drop_date <= {{ as_of_date() }}
{% endmacro %}

{#- {'full': true} or {'full': false} for a model derived from stg_app_db__events (see above). -#}
{% macro events_derived_increment() %}
    {%- set events = ref('stg_app_db__events') -%}
    {%- if not execute or this is none or not is_incremental()
        or not _csw_table_exists(this.schema, this.identifier ~ '__built')
        or not _csw_table_exists(events.schema, events.identifier ~ '__built')
        or not _csw_table_exists(events.schema, events.identifier ~ '__changed') -%}
        {{ return({'full': true}) }}
    {%- endif -%}
    {%- set check -%}
        select
            events_built.build_mode = 'incremental'
                and own.events_build_sequence = events_built.build_sequence - 1
        from {{ _csw_side_table(events, 'built') }} as events_built,
            {{ _csw_side_table(this, 'built') }} as own
    {%- endset -%}
    {{ return({'full': not run_query(check).rows[0][0]}) }}
{% endmacro %}

{#- The events a model derived from them reads: all of them for a full build, else those of the
    account-days the events' latest incremental build touched. -#}
{% macro events_to_derive() -%}
    select * from {{ ref('stg_app_db__events') }}
    {%- if not events_derived_increment().full %}
    where (account_id, cast(occurred_at as date)) in ({{ events_changed_days() }})
    {%- endif %}
{%- endmacro %}

{#- The (account_id, activity_date) pairs the events' latest incremental build touched. -#}
{% macro events_changed_days() -%}
    select account_id, activity_date from {{ _csw_side_table(ref('stg_app_db__events'), 'changed') }}
{%- endmacro %}

{#- Each account the events' latest incremental build touched, with its earliest changed day. -#}
{% macro events_changed_accounts() -%}
    select account_id, min(activity_date) as first_changed
    from {{ _csw_side_table(ref('stg_app_db__events'), 'changed') }}
    where account_id is not null
    group by account_id
{%- endmacro %}

{#- pre-hook of a model of rows per account and day derived from the events (day_column names its
    day): remove the account-days about to be derived again, or every row for a full build. -#}
{% macro events_derived_before_build(day_column) %}
    {%- if execute and is_incremental() -%}
        {%- if events_derived_increment().full -%}
            delete from {{ this }}
        {%- else -%}
            delete from {{ this }}
            where (account_id, {{ day_column }}) in ({{ events_changed_days() }})
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- post-hook of a model derived from the events: record which build of the events it consumed. -#}
{% macro events_derived_after_build() %}
    {%- set full = events_derived_increment().full if execute and is_incremental() else true %}
    create or replace table {{ _csw_side_table(this, 'built') }} as
    select
        build_sequence as events_build_sequence,
        {{ "'full'" if full else "'incremental'" }} as build_mode
    from {{ _csw_side_table(ref('stg_app_db__events'), 'built') }}
{% endmacro %}

{#- pre-hook of int_account_activity_windows. A window [first use, last use + 29] of a key is one
    run of use days less than 30 days apart. For an account whose earliest changed day is m, the
    windows ending before m cannot change (a use day on or after m joins a run only if it is at most
    29 days after the run's last use, i.e. on or before the window's end); those ending on or after
    m are removed and computed again. Of these, the one starting before m (at most one per key) keeps
    its use days before m, unchanged: __redo notes its start, and the model reads back only its last
    use day before m, which is within the 29 days before m (the run reaches m or a use day after it
    in steps under 30 days). -#}
{% macro activity_windows_before_build() %}
    {%- if execute and is_incremental() -%}
        {%- if events_derived_increment().full -%}
            delete from {{ this }}
        {%- else -%}
            create or replace table {{ _csw_side_table(this, 'redo') }} as
            select windows.account_id, windows.usage_kind, windows.usage_key, windows.window_start as redo_start
            from {{ this }} as windows
            inner join ({{ events_changed_accounts() }}) as changed
                on changed.account_id = windows.account_id
            where windows.window_end >= changed.first_changed
                and windows.window_start < changed.first_changed;
            delete from {{ this }}
            using ({{ events_changed_accounts() }}) as changed
            where changed.account_id = {{ this }}.account_id
                and {{ this }}.window_end >= changed.first_changed
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- int_account_events_monthly (per account and calendar month, events up to the end of the as-of
    day). After an incremental build of the events, consumed in order, a build redoes:
    - the account-months of the account-days the events' build touched (a late, moved, re-sent or
      deleted event of any month), and
    - every account's months from the month of its own previous as-of date on: only those can hold
      events after that day (the as-of month counted up to its as-of day; an event dated after its
      drop's day), so a later as-of date can add to them.
    Months before that were complete when last built. An earlier as-of date makes the events' build
    full, and with it this one. {'full': true} or {'full': false, 'from_month': 'YYYY-MM-DD'}. -#}
{% macro events_monthly_increment() %}
    {%- if events_derived_increment().full -%}
        {{ return({'full': true}) }}
    {%- endif -%}
    {%- set own = _csw_side_table(this, 'built') -%}
    {%- set check -%}
        select cast({{ dbt.date_trunc('month', 'built_as_of') }} as string)
        from {{ own }}
        where built_as_of <= {{ as_of_date() }}
    {%- endset -%}
    {%- set rows = run_query(check).rows -%}
    {%- if rows | length == 0 or rows[0][0] is none -%}
        {{ return({'full': true}) }}
    {%- endif -%}
    {{ return({'full': false, 'from_month': rows[0][0][:10]}) }}
{% endmacro %}

{#- The (account_id, month) pairs of the account-days the events' latest incremental build touched. -#}
{% macro events_changed_months() -%}
    select distinct account_id, cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month
    from {{ _csw_side_table(ref('stg_app_db__events'), 'changed') }}
{%- endmacro %}

{#- Which rows of int_account_events_monthly an incremental build redoes (column: the month). -#}
{% macro _events_monthly_redone(increment, month, account_id) -%}
    ({{ month }} >= cast('{{ increment.from_month }}' as date)
        or ({{ account_id }}, {{ month }}) in ({{ events_changed_months() }}))
{%- endmacro %}

{#- pre-hook of int_account_events_monthly: remove the account-months about to be counted again, or
    every row for a full build. -#}
{% macro events_monthly_before_build() %}
    {%- if execute and is_incremental() -%}
        {%- set increment = events_monthly_increment() -%}
        delete from {{ this }}
        {%- if not increment.full %}
        where {{ _events_monthly_redone(increment, 'month', 'account_id') }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- The events int_account_events_monthly counts: all of them up to the end of the as-of day for a
    full build, else those of the account-months it redoes. -#}
{% macro events_to_count_monthly() -%}
    {%- set increment = events_monthly_increment() if execute and is_incremental() else {'full': true} -%}
    select * from {{ ref('stg_app_db__events') }}
    where occurred_at <= {{ as_of_end() }}
    {%- if not increment.full %}
        and {{ _events_monthly_redone(
            increment, 'cast(' ~ dbt.date_trunc('month', 'occurred_at') ~ ' as date)', 'account_id') }}
    {%- endif %}
{%- endmacro %}

{#- post-hook of int_account_events_monthly: the events' build it consumed and its as-of date. -#}
{% macro events_monthly_after_build() %}
    {%- set full = events_monthly_increment().full if execute and is_incremental() else true %}
    create or replace table {{ _csw_side_table(this, 'built') }} as
    select
        build_sequence as events_build_sequence,
        {{ "'full'" if full else "'incremental'" }} as build_mode,
        {{ as_of_date() }} as built_as_of
    from {{ _csw_side_table(ref('stg_app_db__events'), 'built') }}
{% endmacro %}
