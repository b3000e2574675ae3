{#- The newest version of each key: the rows of `relation` ranked within each key by `order_by`, the
    first kept (documented in _macros.yml). Plain row_number() in a subquery rather than DuckDB's
    QUALIFY, so the staging SQL stays portable; dbt-core has no cross-database macro for this. -#}
{% macro newest_version(relation, key_columns, order_by=['_drop_date desc', '_line desc']) -%}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ order_by | join(', ') }}
            ) as version_rank
        from {{ relation }}
    ) as ranked
    where version_rank = 1
{%- endmacro %}
