{#- The inputs of the monthly engagement score (metrics.md §3) per account and calendar month, from
    the month the account was created to the as-of month. Event counts are true zeros where the
    events extract reached the end of the month (the as-of day for the as-of month) and the account
    had no activity; NULL, with the reason, where it did not. automation_rate needs handled
    conversations and csat needs 1-5 ratings: without them they are undefined (NULL), not 0. -#}
with

accounts as (

    select * from {{ ref('stg_app_db__accounts') }}

),

organizations as (

    select * from {{ ref('stg_ticketing__organizations') }}

),

tickets as (

    select * from {{ ref('stg_ticketing__tickets') }}

),

ratings as (

    select * from {{ ref('stg_ticketing__satisfaction_ratings') }}
    where created_at <= {{ as_of_end() }}

),

ingest_log as (

    select * from {{ source('ingest_audit', 'ingest_log') }}
    where drop_date <= {{ as_of_date() }}
        and status in ('loaded', 'unchanged', 'replaced')

),

{#- The first drop is a full extraction, so a delivered table covers every day up to its latest
    delivered drop. -#}
coverage as (

    select
        max(case when source = 'app_db' and file like 'events.%' then drop_date end)
            as events_covered_through,
        max(case when source = 'ticketing' and file like 'satisfaction_ratings.%' then drop_date end)
            as ratings_covered_through
    from ingest_log

),

months as (

    {{ dbt.date_spine(
        'month',
        "cast('1990-01-01' as date)",
        dbt.dateadd('month', 1, dbt.date_trunc('month', as_of_date()))
    ) }}

),

account_months as (

    select
        accounts.account_id,
        cast(months.date_month as date) as month,
        least(
            cast({{ dbt.last_day('months.date_month', 'month') }} as date), {{ as_of_date() }}
        ) as month_covered_to
    from accounts
    inner join months
        on months.date_month >= {{ dbt.date_trunc('month', 'accounts.created_at') }}
        and months.date_month <= {{ dbt.date_trunc('month', as_of_date()) }}

),

event_counts as (

    select * from {{ ref('int_account_events_monthly') }}

),

account_organizations as (

    select account_id, count(*) as organizations
    from organizations
    where account_id is not null
    group by account_id

),

rating_counts as (

    select
        organizations.account_id,
        cast({{ dbt.date_trunc('month', 'ratings.created_at') }} as date) as month,
        count(ratings.rating) as csat_ratings,
        sum(ratings.rating) as csat_rating_sum
    from ratings
    left join tickets
        on tickets.ticket_id = ratings.ticket_id
    inner join organizations
        on organizations.organization_id = coalesce(ratings.organization_id, tickets.organization_id)
    where organizations.account_id is not null
    group by 1, 2

),

joined as (

    select
        account_months.account_id,
        account_months.month,
        account_months.month_covered_to,
        coverage.events_covered_through,
        coverage.events_covered_through >= account_months.month_covered_to as events_covered,
        coverage.ratings_covered_through >= account_months.month_covered_to as ratings_covered,
        account_organizations.account_id is not null as has_ticketing_organization,
        event_counts.logins,
        event_counts.active_users,
        event_counts.features_used,
        event_counts.actions,
        event_counts.automated_conversations,
        event_counts.handled_conversations,
        event_counts.blocked_feature_attempts,
        rating_counts.csat_ratings,
        rating_counts.csat_rating_sum
    from account_months
    cross join coverage
    left join event_counts
        on event_counts.account_id = account_months.account_id
        and event_counts.month = account_months.month
    left join account_organizations
        on account_organizations.account_id = account_months.account_id
    left join rating_counts
        on rating_counts.account_id = account_months.account_id
        and rating_counts.month = account_months.month

),

final as (

    select
        account_id,
        month,
        month_covered_to,
        events_covered_through,
        coalesce(events_covered, false) as events_covered,
        case when events_covered then coalesce(logins, 0) end as logins,
        case when events_covered then coalesce(active_users, 0) end as active_users,
        case when events_covered then coalesce(features_used, 0) end as features_used,
        case when events_covered then coalesce(actions, 0) end as actions,
        case when events_covered then coalesce(automated_conversations, 0) end
            as automated_conversations,
        case when events_covered then coalesce(handled_conversations, 0) end
            as handled_conversations,
        case when events_covered then coalesce(blocked_feature_attempts, 0) end
            as blocked_feature_attempts,
        case
            when events_covered and handled_conversations > 0
                then cast(automated_conversations as double) / handled_conversations
        end as automation_rate,
        case
            when has_ticketing_organization and ratings_covered then coalesce(csat_ratings, 0)
        end as csat_ratings,
        case
            when csat_ratings > 0 then cast(csat_rating_sum as double) / csat_ratings
        end as csat,
        case
            when not coalesce(events_covered, false) then 'events_not_extracted'
        end as events_null_reason,
        case
            when not coalesce(events_covered, false) then 'events_not_extracted'
            when coalesce(handled_conversations, 0) = 0 then 'no_handled_conversations'
        end as automation_rate_null_reason,
        case
            when csat_ratings > 0 then null
            when not has_ticketing_organization then 'no_ticketing_organization'
            when not coalesce(ratings_covered, false) then 'ratings_not_extracted'
            else 'no_1_5_ratings'
        end as csat_null_reason
    from joined

)

select * from final
