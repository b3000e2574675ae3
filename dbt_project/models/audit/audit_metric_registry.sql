{{ config(alias="metric_registry") }}
{#- The metric registry as a published table: one row per published metric column (seed
    seeds/metric_registry.csv), so a reader of any number can look up its definition. -#}
select
    name,
    {{ dbt.split_part('name', "'.'", 1) }} as table_name,
    {{ dbt.split_part('name', "'.'", 2) }} as column_name,
    definition,
    formula,
    grain,
    source_of_truth,
    owner,
    version
from {{ ref('metric_registry') }}
