{#- One row per Zendesk satisfaction rating; score (good, bad,
    offered, unoffered) and rating (1-5, helpdesks that rate that way) are kept apart, never
    converted into each other. Its newest version in drops dated <= the as-of date:
    the latest updated_at, then the latest drop and line, so an older version that arrives late (in a
    later drop) does not replace a newer one. -#}
with

source as (

    select * from {{ source('ticketing', 'ticketing__satisfaction_ratings') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id'], order_by=['updated_at desc nulls last', '_drop_date desc', '_line desc']) }}

),

renamed as (

    select
        -- ids
        id as satisfaction_rating_id,
        ticket_id,
        organization_id,
        requester_id,
        assignee_id,

        -- attributes
        {{ empty_as_null('score') }} as score,
        rating,
        {{ empty_as_null('comment') }} as comment,

        -- timestamps
        created_at,
        updated_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
