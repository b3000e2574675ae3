{#- One row per Zendesk ticket. Its newest version in drops dated <= the as-of date:
    the latest updated_at, then the latest drop and line, so an older version that arrives late (in a
    later drop) does not replace a newer one. -#}
with

source as (

    select * from {{ source('ticketing', 'ticketing__tickets') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id'], order_by=['updated_at desc nulls last', '_drop_date desc', '_line desc']) }}

),

renamed as (

    select
        -- ids
        id as ticket_id,
        organization_id,
        requester_id,
        assignee_id,
        group_id,

        -- attributes
        status,
        {{ empty_as_null('priority') }} as priority,
        {{ empty_as_null('type') }} as ticket_type,
        {{ empty_as_null('subject') }} as subject,
        {{ empty_as_null('description') }} as description,
        tags,

        -- durations (calendar minutes, from Zendesk's ticket metrics)
        reply_time_in_minutes_calendar as reply_time_minutes,
        full_resolution_time_in_minutes_calendar as full_resolution_time_minutes,

        -- timestamps
        created_at,
        updated_at,
        solved_at,

        -- flags
        {{ array_contains('tags', "'escalated'") }} as is_escalated,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
