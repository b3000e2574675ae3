{#- Tests of the incremental models judge what the run changed, not the whole history again: else
    the uniqueness tests on the events alone sort every event ever sent, every day (BENCHMARKS.md). A test opts in with a placeholder as its `where` config, replaced when the test
    runs (dbt builds every test's filtered relation with get_where_subquery):
    - __csw_events_added__ (stg_app_db__events): every row of each event id the events' latest
      build added, so a uniqueness test still sees a duplicate between an old row and a new one;
    - __csw_raw_events_new__ (source app_db.app_db__events, whose tests run before the events'
      build of the same run): every row of each drop's file with a row dated after the events' last
      build or loaded after it (a re-delivered drop is loaded again), so a duplicate of (event_id,
      _drop_date, _file) is in or out of scope whole;
    - __csw_account_days_changed__ (int_account_events_daily): the account-days it derived again;
    - __csw_days_computed__ (int_account_daily_metrics): the days it computed.
    After a full build (or before the first) the scope is every row. Rows out of scope were judged
    by the runs that wrote them. -#}

{% macro duckdb__get_where_subquery(relation) -%}
    {{ return(_csw_scoped_subquery(relation, every_row=false)) }}
{%- endmacro %}

{#- On Spark the incremental models are rebuilt whole by every run (their config): a test judges
    every row, as after a full build on DuckDB. -#}
{% macro spark__get_where_subquery(relation) -%}
    {{ return(_csw_scoped_subquery(relation, every_row=true)) }}
{%- endmacro %}

{#- The test's relation filtered by its `where`, each placeholder replaced by its scope (or by
    `true`: every row). -#}
{% macro _csw_scoped_subquery(relation, every_row) -%}
    {%- set scoped = namespace(where=config.get('where', '')) -%}
    {%- if not scoped.where -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- for placeholder in ['__csw_events_added__', '__csw_raw_events_new__',
                            '__csw_account_days_changed__', '__csw_days_computed__'] -%}
        {%- if placeholder in scoped.where -%}
            {%- set scope = 'true' if every_row else _csw_test_scope(placeholder, relation) -%}
            {%- set scoped.where = scoped.where | replace(placeholder, scope) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return("(select * from " ~ relation ~ " where " ~ scoped.where ~ ") dbt_subquery") }}
{%- endmacro %}

{#- The events model's side tables live in its schema, `staging` (macros/generate_schema_name.sql
    keeps folder names as schema names); the source's tests cannot ref the model they precede. -#}
{% macro _csw_test_scope(placeholder, relation) %}
    {%- if not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set events = api.Relation.create(schema='staging', identifier='stg_app_db__events') -%}
    {%- set events_built = _csw_side_table(events, 'built') -%}
    {%- if placeholder == '__csw_raw_events_new__' -%}
        {%- if not _csw_table_exists('staging', 'stg_app_db__events__built') -%}
            {{ return('true') }}
        {%- endif -%}
        {%- set built = run_query("select cast(built_through as string), cast(raw_loaded_at as string) from "
            ~ events_built).rows[0] -%}
        {%- if built[1] is none -%}
            {{ return('true') }}
        {%- endif -%}
        {{ return("(_drop_date, _file) in (select _drop_date, _file from " ~ relation
            ~ " where _drop_date > date '" ~ built[0] ~ "' or _loaded_at > timestamp '" ~ built[1]
            ~ "' or _loaded_at is null)") }}
    {%- endif -%}
    {%- set side = _csw_side_table(relation, 'built') -%}
    {%- if not _csw_table_exists(relation.schema, relation.identifier ~ '__built') -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if placeholder == '__csw_events_added__' -%}
        {%- set built = run_query("select build_mode, cast(added_after as string) from " ~ side).rows[0] -%}
        {%- if built[0] != 'incremental' -%}
            {{ return('true') }}
        {%- endif -%}
        {{ return("event_id in (select event_id from " ~ relation ~ " where source_drop_date > date '"
            ~ built[1] ~ "')") }}
    {%- elif placeholder == '__csw_account_days_changed__' -%}
        {%- set built = run_query("select build_mode from " ~ side).rows[0] -%}
        {%- if built[0] != 'incremental' -%}
            {{ return('true') }}
        {%- endif -%}
        {{ return("(account_id, activity_date) in (select account_id, activity_date from "
            ~ _csw_side_table(events, 'changed') ~ ")") }}
    {%- elif placeholder == '__csw_days_computed__' -%}
        {%- set built = run_query("select cast(computed_from as string) from " ~ side).rows[0] -%}
        {{ return("as_of_date >= date '" ~ built[0] ~ "'") }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("unknown test scope " ~ placeholder) }}
{% endmacro %}
