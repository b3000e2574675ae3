{#- Small casts every staging model needs, written once so the SQL stays portable across engines. -#}

{#- Stripe's unix seconds as a TIMESTAMP holding UTC (no time zone attached, like every other
    warehouse timestamp). dbt.dateadd from the epoch, rather than to_timestamp(), because
    to_timestamp returns a zoned value whose cast back depends on the session time zone. Whole days
    first, then the seconds left: DuckDB multiplies an interval by a 32-bit count, so seconds alone
    overflow after 2038-01-19 and one such value would fail every later build. -#}
{% macro from_unix_seconds(column) -%}
    {%- set days = "floor(cast(" ~ column ~ " as double) / 86400)" -%}
    {%- set epoch = "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")" -%}
    {{ dbt.dateadd('second', "(" ~ column ~ ") - 86400 * " ~ days, dbt.dateadd('day', days, epoch)) }}
{%- endmacro %}

{#- Free text as NULL when it is empty or blank: an empty CSV field or "" in JSON means "no value". -#}
{% macro empty_as_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- A currency as its upper-case ISO 4217 code (Stripe gives lower case). -#}
{% macro currency_code(column) -%}
    upper({{ empty_as_null(column) }})
{%- endmacro %}

{#- Whether an array column holds a value (NULL array: false). -#}
{% macro array_contains(array_column, value) -%}
    {{ return(adapter.dispatch('array_contains')(array_column, value)) }}
{%- endmacro %}

{% macro default__array_contains(array_column, value) -%}
    coalesce(array_contains({{ array_column }}, {{ value }}), false)
{%- endmacro %}

{% macro duckdb__array_contains(array_column, value) -%}
    coalesce(list_contains({{ array_column }}, {{ value }}), false)
{%- endmacro %}

{#- One top-level string field of a JSON text column (NULL when absent or not JSON). -#}
{% macro json_text_field(column, field) -%}
    {{ return(adapter.dispatch('json_text_field')(column, field)) }}
{%- endmacro %}

{% macro default__json_text_field(column, field) -%}
    json_extract_scalar({{ column }}, '$.{{ field }}')
{%- endmacro %}

{% macro spark__json_text_field(column, field) -%}
    get_json_object({{ column }}, '$.{{ field }}')
{%- endmacro %}

{% macro duckdb__json_text_field(column, field) -%}
    case when json_valid({{ column }}) then json_extract_string({{ column }}, '$.{{ field }}') end
{%- endmacro %}
