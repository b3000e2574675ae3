{#- One row per Zendesk organisation; external_id is the app_db
    account_id. Its newest version in drops dated <= the as-of date:
    the latest updated_at, then the latest drop and line, so an older version that arrives late (in a
    later drop) does not replace a newer one. -#}
with

source as (

    select * from {{ source('ticketing', 'ticketing__organizations') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id'], order_by=['updated_at desc nulls last', '_drop_date desc', '_line desc']) }}

),

renamed as (

    select
        -- ids
        id as organization_id,
        {{ empty_as_null('external_id') }} as account_id,

        -- attributes
        {{ empty_as_null('name') }} as organization_name,

        -- timestamps
        created_at,
        updated_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
