{#- Models land in the schema their folder names (staging, intermediate, marts, audit), not in
    "<target>_<schema>": analysts query marts.mrr_monthly, not main_marts.mrr_monthly. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
