{#- The inputs of the expansion signals (metrics.md §9) per account as of the as-of date: usage
    against the plan's limit, blocked premium-feature attempts, team growth over 90 days, latest
    NPS, renewal date, current MRR, plan, seats and CSM. Seats 90 days ago are not here:
    stg_app_db__accounts keeps only the newest version, so the transform asset compares with the
    seats it snapshotted on that day. Windows end with the as-of day: the last
    30 days are as_of − 29 … as_of; "90 days ago" is the 30-day window ending as_of − 90. Counts
    are true zeros only when the events extract reaches the as-of day; otherwise NULL. Engagement
    and health come from the transforms, which run after this model. -#}
with

accounts as (

    select * from {{ ref('stg_app_db__accounts') }}

),

events as (

    select * from {{ ref('stg_app_db__events') }}
    where occurred_at <= {{ as_of_end() }}
        and occurred_at > {{ as_of_end() }} - interval '120 days'

),

nps_responses as (

    select * from {{ ref('stg_app_db__nps_responses') }}
    where submitted_at <= {{ as_of_end() }}
        and score is not null

),

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

subscription_items as (

    select * from {{ ref('stg_stripe__subscription_items') }}

),

customer_mrr as (

    select * from {{ ref('int_customer_mrr_monthly') }}
    where month = {{ dbt.date_trunc('month', as_of_date()) }}

),

ingest_log as (

    select * from {{ source('ingest_audit', 'ingest_log') }}
    where drop_date <= {{ as_of_date() }}
        and status in ('loaded', 'unchanged', 'replaced')

),

events_coverage as (

    select max(drop_date) >= {{ as_of_date() }} as events_covered
    from ingest_log
    where source = 'app_db' and file like 'events.%'

),

event_windows as (

    select
        account_id,
        count(case
            when event_type = 'conversation_handled'
                and cast(occurred_at as date) > {{ as_of_date() }} - 30 then 1
        end) as conversations_30d,
        count(case
            when event_type = 'blocked_feature_attempt'
                and cast(occurred_at as date) > {{ as_of_date() }} - 30 then 1
        end) as blocked_feature_attempts,
        count(distinct case
            when event_type = 'blocked_feature_attempt'
                and cast(occurred_at as date) > {{ as_of_date() }} - 30 then feature_key
        end) as blocked_features,
        count(distinct case
            when cast(occurred_at as date) > {{ as_of_date() }} - 30 then user_id
        end) as active_users_30d,
        count(distinct case
            when cast(occurred_at as date) > {{ as_of_date() }} - 120
                and cast(occurred_at as date) <= {{ as_of_date() }} - 90 then user_id
        end) as active_users_30d_90_days_ago
    from events
    group by account_id

),

latest_nps as (

    select * from (
        select
            account_id,
            score,
            submitted_at,
            row_number() over (
                partition by account_id order by submitted_at desc, response_id desc
            ) as response_rank
        from nps_responses
    ) as ranked
    where response_rank = 1

),

renewals as (

    select
        subscriptions.customer_id,
        cast(min(subscription_items.current_period_end_at) as date) as renewal_on
    from subscriptions
    inner join subscription_items
        on subscription_items.subscription_id = subscriptions.subscription_id
    where subscriptions.status in ('active', 'past_due', 'trialing')
        and subscription_items.current_period_end_at > {{ as_of_end() }}
    group by subscriptions.customer_id

),

final as (

    select
        accounts.account_id,
        {{ as_of_date() }} as as_of_date,
        accounts.csm_id,
        accounts.plan,
        accounts.seats,
        accounts.plan_conversation_limit,
        accounts.advocacy_status,
        cast(customer_mrr.mrr_minor as double) / 100 as mrr,
        case
            when accounts.stripe_customer_id is null then 'no_stripe_customer'
            when customer_mrr.customer_id is null then 'never_paid'
            when customer_mrr.mrr_minor is null then customer_mrr.mrr_unknown_reason
        end as mrr_null_reason,
        case when events_coverage.events_covered then coalesce(event_windows.conversations_30d, 0) end
            as conversations_30d,
        case
            when events_coverage.events_covered and accounts.plan_conversation_limit > 0
                then cast(coalesce(event_windows.conversations_30d, 0) as double)
                    / accounts.plan_conversation_limit
        end as usage_vs_limit,
        case
            when events_coverage.events_covered then coalesce(event_windows.blocked_feature_attempts, 0)
        end as blocked_feature_attempts,
        case when events_coverage.events_covered then coalesce(event_windows.blocked_features, 0) end
            as blocked_features,
        case when events_coverage.events_covered then coalesce(event_windows.active_users_30d, 0) end
            as active_users_30d,
        case
            when events_coverage.events_covered
                and cast(accounts.created_at as date) <= {{ as_of_date() }} - 120
                then coalesce(event_windows.active_users_30d_90_days_ago, 0)
        end as active_users_30d_90_days_ago,
        case
            when events_coverage.events_covered
                and cast(accounts.created_at as date) <= {{ as_of_date() }} - 120
                and event_windows.active_users_30d_90_days_ago > 0
                then cast(coalesce(event_windows.active_users_30d, 0) as double)
                    / event_windows.active_users_30d_90_days_ago - 1
        end as active_user_growth_90d,
        cast(latest_nps.score as double) as nps_score,
        cast(latest_nps.submitted_at as date) as nps_submitted_on,
        renewals.renewal_on,
        {{ dbt.datediff(as_of_date(), "renewals.renewal_on", "day") }} as days_to_renewal
    from accounts
    cross join events_coverage
    left join event_windows
        on event_windows.account_id = accounts.account_id
    left join latest_nps
        on latest_nps.account_id = accounts.account_id
    left join customer_mrr
        on customer_mrr.customer_id = accounts.stripe_customer_id
    left join renewals
        on renewals.customer_id = accounts.stripe_customer_id

)

select * from final
