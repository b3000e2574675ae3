{#- One row per user of an account. Its newest version (latest drop, then latest
    line) in drops dated <= the as-of date; a row whose newest version carries deleted_at was
    deleted at the source and is left out. -#}
with

source as (

    select * from {{ source('app_db', 'app_db__users') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['user_id']) }}

),

renamed as (

    select
        -- ids
        user_id,
        {{ empty_as_null('account_id') }} as account_id,

        -- attributes
        {{ empty_as_null('email') }} as email,
        {{ empty_as_null('role') }} as role,

        -- timestamps
        created_at,
        deactivated_at,
        updated_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version
    where deleted_at is null

)

select * from renamed
