{#- Helpers of the revenue models (metrics.md §1). -#}

{#- The factor that turns one billing period's amount into a monthly amount: 1/n for month,
    1/(12n) for year, 52/(12n) for week, 365/(12n) for day (n = interval_count). NULL for an
    unknown interval or a missing (or 0) interval_count, so that a price we cannot normalise never
    passes as monthly: a count read as 1 would value a quarterly price three times over. -#}
{% macro monthly_factor(interval, interval_count) -%}
    (case {{ interval }}
        when 'month' then cast(1 as double)
        when 'year' then cast(1 as double) / 12
        when 'week' then cast(52 as double) / 12
        when 'day' then cast(365 as double) / 12
    end / nullif({{ interval_count }}, 0))
{%- endmacro %}

{#- The end of a day (23:59:59.999 UTC) as a timestamp: the instant a date is valued at. -#}
{% macro end_of_day(date_expression) -%}
    ({{ dbt.dateadd('millisecond', -1, dbt.dateadd('day', 1, 'cast(' ~ date_expression ~ ' as ' ~ dbt.type_timestamp() ~ ')')) }})
{%- endmacro %}

{#- An amount in minor units kept unrounded (to 1e-9 of a minor unit) as an exact decimal, so that
    sums over items and customers do not depend on the order they are added in. -#}
{% macro exact_minor_units(expression) -%}
    cast({{ expression }} as decimal(38, 9))
{%- endmacro %}

{#- Minor units (cents) to major units, rounded to the cent once (half a cent away from zero), for
    the marts. Rounded in minor units and shifted by an exact decimal product: DuckDB divides a
    decimal by 100 in double precision, where 1,659,283.5 cents is 16,592.834999… and rounded to
    16,592.83; Spark, dividing exactly, gave 16,592.84 (found by tests/spark/test_dbt_on_spark.py). -#}
{% macro to_major_units(expression) -%}
    cast(cast(round(cast({{ expression }} as decimal(38, 9)), 0) as decimal(38, 0)) * 0.01 as decimal(18, 2))
{%- endmacro %}

{#- The reporting currency (upper-case ISO code). -#}
{% macro reporting_currency() -%}
    '{{ var("reporting_currency", "USD") | upper }}'
{%- endmacro %}

{#- An 8-byte float (dbt.type_float() is 4-byte REAL on DuckDB, too coarse for rates). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro spark__type_double() -%}double{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{#- numerator / denominator as a double, NULL when the denominator is zero or NULL. -#}
{% macro safe_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0))
{%- endmacro %}
