{#- SQL that DuckDB and Spark spell differently (issue #27). Each macro dispatches on the adapter:
    default__ is DuckDB's spelling (the engine every test and the daily run use), spark__ Spark's.
    A model writes the macro, never either spelling, so a test on one engine keeps the other's SQL
    honest: tests/dbt/test_portable_sql.py fails on a DuckDB-only construct in a model. -#}

{#- The type of a list of strings (churn signals, risk factors, features). -#}
{% macro csw_string_list_type() -%}
    {{ return(adapter.dispatch('csw_string_list_type')()) }}
{%- endmacro %}

{% macro default__csw_string_list_type() -%}
    varchar[]
{%- endmacro %}

{% macro spark__csw_string_list_type() -%}
    array<string>
{%- endmacro %}

{#- An empty list of strings (not NULL: "none fired" is a value). -#}
{% macro csw_empty_string_list() -%}
    {{ return(adapter.dispatch('csw_empty_string_list')()) }}
{%- endmacro %}

{% macro default__csw_empty_string_list() -%}
    cast([] as varchar[])
{%- endmacro %}

{% macro spark__csw_empty_string_list() -%}
    cast(array() as array<string>)
{%- endmacro %}

{#- Aggregate: the group's non-NULL values of value, sorted, as a list; NULL when the group has
    none (optionally only the rows where condition holds). -#}
{% macro csw_sorted_list(value, condition=none) -%}
    {{ return(adapter.dispatch('csw_sorted_list')(value, condition)) }}
{%- endmacro %}

{% macro default__csw_sorted_list(value, condition) -%}
    list({{ value }} order by {{ value }}) filter (where {{ value }} is not null
        {%- if condition %} and ({{ condition }}){% endif %})
{%- endmacro %}

{% macro spark__csw_sorted_list(value, condition) -%}
    {%- set kept = "case when " ~ (condition or "true") ~ " then " ~ value ~ " end" -%}
    case when count({{ kept }}) > 0 then array_sort(collect_list({{ kept }})) end
{%- endmacro %}

{#- The number of elements of a list; NULL for a NULL list (Spark's size() says -1). -#}
{% macro csw_list_length(list_value) -%}
    {{ return(adapter.dispatch('csw_list_length')(list_value)) }}
{%- endmacro %}

{% macro default__csw_list_length(list_value) -%}
    len({{ list_value }})
{%- endmacro %}

{% macro spark__csw_list_length(list_value) -%}
    case when {{ list_value }} is not null then size({{ list_value }}) end
{%- endmacro %}

{#- Aggregate: the sum of the group's non-NULL doubles added in the order of order_by, so the
    last bits do not depend on how the engine split the rows; NULL when there are none. -#}
{% macro csw_ordered_sum(value, order_by) -%}
    {{ return(adapter.dispatch('csw_ordered_sum')(value, order_by)) }}
{%- endmacro %}

{% macro default__csw_ordered_sum(value, order_by) -%}
    list_sum(list({{ value }} order by {{ order_by }}) filter (where {{ value }} is not null))
{%- endmacro %}

{% macro spark__csw_ordered_sum(value, order_by) -%}
    case when count({{ value }}) > 0 then aggregate(
        transform(
            array_sort(collect_list(case when {{ value }} is not null
                then struct({{ order_by }} as sort_key, cast({{ value }} as double) as summed) end)),
            pair -> pair.summed),
        cast(0 as double),
        (total, summed) -> total + summed) end
{%- endmacro %}

{#- Window function: the last non-NULL value of the frame (write `over ...` after it). -#}
{% macro csw_last_non_null(value) -%}
    {{ return(adapter.dispatch('csw_last_non_null')(value)) }}
{%- endmacro %}

{% macro default__csw_last_non_null(value) -%}
    last_value({{ value }} ignore nulls)
{%- endmacro %}

{% macro spark__csw_last_non_null(value) -%}
    last_value({{ value }}, true)
{%- endmacro %}

{#- Aggregate: the group's non-NULL strings joined by separator in the order of order_by (the
    value itself by default), each value once when distinct (then in the value's order); only the
    rows where condition holds when given; NULL when there are none. Spark 4.3 fails on a DISTINCT
    string_agg with FILTER (a ClassCastException in its planner): its distinct values are collected
    as a set and sorted instead. -#}
{% macro csw_string_agg(value, separator, order_by=none, distinct=false, condition=none) -%}
    {{ return(adapter.dispatch('csw_string_agg')(value, separator, order_by or value, distinct, condition)) }}
{%- endmacro %}

{% macro default__csw_string_agg(value, separator, order_by, distinct, condition) -%}
    string_agg({% if distinct %}distinct {% endif %}{{ value }}, {{ separator }} order by {{ order_by }})
    {%- if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}

{% macro spark__csw_string_agg(value, separator, order_by, distinct, condition) -%}
    {%- set kept = "case when " ~ (condition or "true") ~ " then " ~ value ~ " end" -%}
    {%- if distinct -%}
        case when count({{ kept }}) > 0 then array_join(array_sort(collect_set({{ kept }})), {{ separator }}) end
    {%- else -%}
        string_agg({{ kept }}, {{ separator }}) within group (order by {{ order_by }})
    {%- endif -%}
{%- endmacro %}

{#- dbt-spark's dateadd works in whole seconds of unix time (a millisecond is lost: the end of a day,
    23:59:59.999, became midnight of the next) and returns a zoned timestamp. Spark's own
    timestampadd keeps the fraction; the result is a timestamp without zone, like DuckDB's. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, cast({{ interval }} as bigint), cast({{ from_date_or_timestamp }} as timestamp_ntz))
{%- endmacro %}

{#- A timestamp without time zone on Spark too (warehouse timestamps hold UTC, no zone attached). -#}
{% macro spark__type_timestamp() -%}
    timestamp_ntz
{%- endmacro %}
