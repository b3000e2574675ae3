{#- One row per customer-success manager. Its newest version (latest drop, then latest
    line) in drops dated <= the as-of date; a row whose newest version carries deleted_at was
    deleted at the source and is left out. -#}
with

source as (

    select * from {{ source('app_db', 'app_db__csms') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['csm_id']) }}

),

renamed as (

    select
        -- ids
        csm_id,

        -- attributes
        {{ empty_as_null('name') }} as csm_name,
        {{ empty_as_null('email') }} as email,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version
    where deleted_at is null

)

select * from renamed
