{#- Spark only: make each table of a Parquet lake a table of the metastore, under its schema (a
    database on Spark), so the models read their sources by the same names as on DuckDB.
    tables: a list of {schema, name, location}; a table already there is dropped first (an external
    table: its files stay). Run by orchestration/spark.py as
    `dbt run-operation csw_register_parquet_tables --args '{tables: [...]}'`. -#}
{% macro csw_register_parquet_tables(tables) %}
    {%- if target.type != 'spark' -%}
        {{ exceptions.raise_compiler_error("csw_register_parquet_tables is for the spark target (CSW_ENGINE=spark)") }}
    {%- endif -%}
    {%- for schema in tables | map(attribute='schema') | unique %}
        {% do run_query("create database if not exists " ~ schema) %}
    {%- endfor %}
    {%- for table in tables %}
        {% do run_query("drop table if exists " ~ table.schema ~ "." ~ table.name) %}
        {% do run_query("create table " ~ table.schema ~ "." ~ table.name
            ~ " using parquet location '" ~ table.location ~ "'") %}
    {%- endfor %}
    {{ log("registered " ~ (tables | length) ~ " Parquet tables", info=True) }}
{% endmacro %}
