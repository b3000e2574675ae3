{#- One row per (account, onboarding step). Its newest version (latest drop, then latest
    line) in drops dated <= the as-of date; a row whose newest version carries deleted_at was
    deleted at the source and is left out. -#}
with

source as (

    select * from {{ source('app_db', 'app_db__onboarding_steps') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['account_id', 'step_id']) }}

),

renamed as (

    select
        -- ids
        account_id,
        step_id,
        {{ empty_as_null('program_id') }} as program_id,

        -- timestamps
        completed_at,
        updated_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version
    where deleted_at is null

)

select * from renamed
