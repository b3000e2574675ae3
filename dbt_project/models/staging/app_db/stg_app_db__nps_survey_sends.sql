{#- One row per NPS survey sent to a user. Its newest version (latest drop, then latest
    line) in drops dated <= the as-of date; a row whose newest version carries deleted_at was
    deleted at the source and is left out. -#}
with

source as (

    select * from {{ source('app_db', 'app_db__nps_survey_sends') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['send_id']) }}

),

renamed as (

    select
        -- ids
        send_id,
        {{ empty_as_null('account_id') }} as account_id,
        {{ empty_as_null('user_id') }} as user_id,

        -- attributes
        {{ empty_as_null(adapter.quote('trigger')) }} as send_trigger,

        -- timestamps
        sent_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version
    where deleted_at is null

)

select * from renamed
