{#- The run's as-of date as a DATE literal, and the end of that day (states are valued at 23:59:59.999 UTC). -#}
{% macro as_of_date() -%}
    cast('{{ var("as_of_date") }}' as date)
{%- endmacro %}

{% macro as_of_end() -%}
    (cast('{{ var("as_of_date") }}' as {{ dbt.type_timestamp() }}) + interval '1 day' - interval '1 millisecond')
{%- endmacro %}
