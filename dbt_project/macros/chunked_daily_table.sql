{#- A table of rows per account and day, built a slice of accounts and a range of days at a time,
    for a model whose one statement over every account and day does not fit in memory
    (int_account_daily_metrics at the larger sizes: BENCHMARKS.md).

    The model selects the rows of the days between chunk_first_day() and chunk_last_day() of the
    accounts for which chunk_accounts(account_id) holds, and configures:
    - first_day, last_day: SQL expressions of the whole range of days the table holds;
    - chunk_rows, chunk_accounts_from, chunk_lookback_days: about how many account-days one
      statement may hold in its grid, the model (ref name) whose row count is the number of accounts,
      and how many days before the first day computed the grid reaches (its longest window): the
      accounts are split into ceil(accounts x (days + lookback) / chunk_rows) slices by a hash of
      their id, so a daily run's one day (with its lookback behind it) is sliced too when there are
      many accounts;
    - chunk_days (optional): at most this many days per statement (default: all of them).
    The materialization sets the DuckDB variables these macros read, chunk after chunk, inserting each
    chunk's rows into a new table, then swaps that table in for the old one as the table
    materialization does: readers see the old table or the whole new one, never a part. Each chunk is
    committed into the new table as it is done, so DuckDB can write it out instead of holding an
    uncommitted append in memory; a run killed half way leaves only the new table, dropped by the
    next build.

    Without the variables (dbt compile, dbt show, the compiled SQL run by hand) the bounds are the
    whole range and every account, so the model's SQL is also the one-statement version of itself.

    A later run resumes instead of rebuilding (_chunked_daily_resume_from): it deletes the days that
    left the range and computes only the days after the last one built (that day again when the run
    is for it again), in the model's table, in one transaction. So each day's rows are computed by the
    run that adds the day, from the drops dated up to it, and stay as that run computed them: a day
    is what was known on that day, like the health scores computed from it (metrics.md: a run for D
    uses drops dated <= D). A run for an earlier day than the last built, a change of the model's
    columns or of the range's start, or --full-refresh rebuilds every day. The side table
    <model>__built records the range built and the first day this build computed. -#}

{#- The first and last day of the chunk being built; default: the given whole-range expression.
    On Spark the model is one table built whole (no chunks): the whole range, every account. -#}
{% macro chunk_first_day(whole_range_first_day) -%}
    {{ return(adapter.dispatch('chunk_first_day')(whole_range_first_day)) }}
{%- endmacro %}

{% macro default__chunk_first_day(whole_range_first_day) -%}
    cast(coalesce(getvariable('csw_chunk_first_day'), {{ whole_range_first_day }}) as date)
{%- endmacro %}

{% macro spark__chunk_first_day(whole_range_first_day) -%}
    cast({{ whole_range_first_day }} as date)
{%- endmacro %}

{% macro chunk_last_day(whole_range_last_day) -%}
    {{ return(adapter.dispatch('chunk_last_day')(whole_range_last_day)) }}
{%- endmacro %}

{% macro default__chunk_last_day(whole_range_last_day) -%}
    cast(coalesce(getvariable('csw_chunk_last_day'), {{ whole_range_last_day }}) as date)
{%- endmacro %}

{% macro spark__chunk_last_day(whole_range_last_day) -%}
    cast({{ whole_range_last_day }} as date)
{%- endmacro %}

{#- Whether an account belongs to the slice being built (every account by default). -#}
{% macro chunk_accounts(account_id) -%}
    {{ return(adapter.dispatch('chunk_accounts')(account_id)) }}
{%- endmacro %}

{% macro default__chunk_accounts(account_id) -%}
    (hash({{ account_id }}) % coalesce(getvariable('csw_chunk_slices'), 1)
        = coalesce(getvariable('csw_chunk_slice'), 0))
{%- endmacro %}

{% macro spark__chunk_accounts(account_id) -%}
    true
{%- endmacro %}

{#- The day the build can resume from, or none for a full build: the table and its __built record
    exist, no --full-refresh, the model's columns are the table's, the range starts no earlier than
    the one built, and the last day is not before the one built. Resuming recomputes the days after
    the one built, or that day alone when the run is for it again. -#}
{% macro _chunked_daily_resume_from(existing_relation, first_day, last_day, day_count) %}
    {%- if existing_relation is none or not existing_relation.is_table or should_full_refresh()
        or not _csw_table_exists(this.schema, this.identifier ~ '__built') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = run_query(
        "select cast(first_day as string), cast(built_through as string) from "
        ~ _csw_side_table(this, 'built')).rows[0] -%}
    {%- set built_first = modules.datetime.date.fromisoformat(built[0]) -%}
    {%- set built_through = modules.datetime.date.fromisoformat(built[1]) -%}
    {%- set model_columns = run_query("describe select * from (" ~ compiled_code ~ ")") -%}
    {%- set table_columns = run_query("describe " ~ existing_relation) -%}
    {%- set same_columns = model_columns.columns[0].values() | list == table_columns.columns[0].values() | list
        and model_columns.columns[1].values() | list == table_columns.columns[1].values() | list -%}
    {%- if not same_columns or built_first > first_day or built_through > last_day
        or (last_day - built_through).days >= day_count -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(last_day if built_through == last_day else built_through + modules.datetime.timedelta(days=1)) }}
{% endmacro %}

{#- Insert the rows of the days first..last into relation, chunk by chunk (the first chunk creates
    the table when create is true), committing after each chunk when commit_each is true. -#}
{% macro _chunked_daily_insert(relation, first, last, accounts, create, commit_each) %}
    {%- set day_count = (last - first).days + 1 -%}
    {%- set chunk_days = [config.get('chunk_days') or day_count, day_count] | min -%}
    {%- set grid_days = chunk_days + config.get('chunk_lookback_days', 0) -%}
    {%- set slices = [1, (accounts * grid_days + config.require('chunk_rows') - 1) // config.require('chunk_rows')] | max -%}
    {%- set day_chunks = (day_count + chunk_days - 1) // chunk_days -%}
    {{ log("chunked_daily_table " ~ this ~ ": " ~ first ~ " to " ~ last ~ " in " ~ day_chunks
           ~ " range(s) of up to " ~ chunk_days ~ " days x " ~ slices ~ " slice(s) of the accounts", info=True) }}
    {%- for day_index in range(day_chunks) %}
        {%- set chunk_first = first + modules.datetime.timedelta(days=day_index * chunk_days) -%}
        {%- set chunk_last = [chunk_first + modules.datetime.timedelta(days=chunk_days - 1), last] | min -%}
        {%- for slice in range(slices) %}
            {%- set index = day_index * slices + slice -%}
            {% call statement('chunk_bounds_' ~ index) -%}
                set variable csw_chunk_first_day = date '{{ chunk_first }}';
                set variable csw_chunk_last_day = date '{{ chunk_last }}';
                set variable csw_chunk_slices = {{ slices }};
                set variable csw_chunk_slice = {{ slice }}
            {%- endcall %}
            {%- if create and index == 0 %}
                {% call statement('main') -%}
                    {{ create_table_as(False, relation, compiled_code, 'sql') }}
                {%- endcall %}
            {%- else %}
                {% call statement('main' if index == 0 else 'chunk_' ~ index) -%}
                    insert into {{ relation }}
                    select * from (
                        {{ compiled_code }}
                    )
                {%- endcall %}
            {%- endif %}
            {%- if commit_each %}
                {% do adapter.commit() %}
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
    {% call statement('chunk_bounds_reset') -%}
        reset variable csw_chunk_first_day;
        reset variable csw_chunk_last_day;
        reset variable csw_chunk_slices;
        reset variable csw_chunk_slice
    {%- endcall %}
{% endmacro %}

{% materialization chunked_daily_table, adapter='duckdb' %}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
  {%- set preexisting_intermediate_relation = load_cached_relation(intermediate_relation) -%}
  {%- set backup_relation_type = 'table' if existing_relation is none else existing_relation.type -%}
  {%- set backup_relation = make_backup_relation(target_relation, backup_relation_type) -%}
  {%- set preexisting_backup_relation = load_cached_relation(backup_relation) -%}

  {%- set plan_query -%}
    select
        cast(cast({{ config.require('first_day') }} as date) as string),
        cast(cast({{ config.require('last_day') }} as date) as string),
        (select count(*) from {{ ref(config.require('chunk_accounts_from')) }})
  {%- endset -%}
  {%- set plan = run_query(plan_query).rows[0] -%}
  {%- set first_day = modules.datetime.date.fromisoformat(plan[0]) -%}
  {%- set last_day = modules.datetime.date.fromisoformat(plan[1]) -%}
  {%- set accounts = plan[2] | int -%}
  {%- set day_count = (last_day - first_day).days + 1 -%}
  {%- set resume_from = _chunked_daily_resume_from(existing_relation, first_day, last_day, day_count) -%}

  {{ drop_relation_if_exists(preexisting_intermediate_relation) }}
  {{ drop_relation_if_exists(preexisting_backup_relation) }}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if resume_from is not none %}
    {{ log("chunked_daily_table " ~ this ~ ": keeps " ~ first_day ~ " to the day before " ~ resume_from
           ~ ", computes " ~ resume_from ~ " to " ~ last_day, info=True) }}
    {% call statement('drop_days') -%}
        delete from {{ target_relation }}
        where as_of_date < date '{{ first_day }}' or as_of_date >= date '{{ resume_from }}'
    {%- endcall %}
    {% do _chunked_daily_insert(target_relation, resume_from, last_day, accounts, false, false) %}
  {%- else %}
    {{ log("chunked_daily_table " ~ this ~ ": builds every day, " ~ first_day ~ " to " ~ last_day, info=True) }}
    {% do _chunked_daily_insert(intermediate_relation, first_day, last_day, accounts, true, true) %}
    {% if existing_relation is not none %}
      {{ adapter.rename_relation(existing_relation, backup_relation) }}
    {% endif %}
    {{ adapter.rename_relation(intermediate_relation, target_relation) }}
  {%- endif %}

  {% call statement('record_build') -%}
    create or replace table {{ _csw_side_table(this, 'built') }} as
    select date '{{ first_day }}' as first_day, date '{{ last_day }}' as built_through,
        {{ "'incremental'" if resume_from is not none else "'full'" }} as build_mode,
        date '{{ resume_from if resume_from is not none else first_day }}' as computed_from
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do persist_docs(target_relation, model) %}
  {{ adapter.commit() }}

  {{ drop_relation_if_exists(backup_relation) }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
