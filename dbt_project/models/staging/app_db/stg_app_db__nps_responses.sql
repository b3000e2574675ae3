{#- One row per NPS response (score 0-10). Its newest version (latest drop, then latest
    line) in drops dated <= the as-of date; a row whose newest version carries deleted_at was
    deleted at the source and is left out. -#}
with

source as (

    select * from {{ source('app_db', 'app_db__nps_responses') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['response_id']) }}

),

renamed as (

    select
        -- ids
        response_id,
        {{ empty_as_null('send_id') }} as send_id,
        {{ empty_as_null('account_id') }} as account_id,
        {{ empty_as_null('user_id') }} as user_id,

        -- attributes
        score,
        {{ empty_as_null('comment') }} as comment,

        -- timestamps
        submitted_at,
        followed_up_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version
    where deleted_at is null

)

select * from renamed
