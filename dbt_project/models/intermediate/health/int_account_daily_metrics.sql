{#- Every health-score metric of metrics.md §2, plus the churn-signal (§4) and lifecycle (§5) inputs,
    for every account and day from max(account creation, as-of date − health_history_days + 1) to
    the as-of date. Point in time: the value for day t uses only data timestamped <= the end of t.
    Missing is not zero: a metric is NULL when its source does not cover the account and day (the
    source's newest delivered drop, per audit.ingest_log, is older than t: a delivered drop with no
    rows covers its day; no ticketing organisation or Stripe customer mapped; an undefined rate: no
    monthly active user, no rating, no meeting, no outreach, no payment attempt, no NPS response in
    180 days, no conversation limit); where the source covers the account an absence of activity is
    a true 0, and each rate's denominator is published beside it (gate rule 16 checks them).
    The customer status per day (metrics.md, population) and the live-book flag are computed here
    with the subscription states they come from; int_account_status_daily is the view others read. Windows are computed over a dense account-day grid (from the account's creation, or from
    180 days, the longest window, before the first day computed), so a window's sum never misses days
    before the published range; the running totals since creation (open tickets, last login) add
    what happened before that grid. The plan, its conversation limit and the billing interval
    (contract_length) are the versions valid on the day; before the first drop that showed them, the
    first version (the drops carry no earlier state of them).
    feature_adoption and competitor mentions need the configured lists of config/health.yml and
    config/churn_signals.yml: this model provides their inputs (features_used_30d, and the tickets)
    and transforms/health_inputs.py (run by orchestration/assets/health.py) finishes
    them.
    Built a slice of the accounts at a time (macros/chunked_daily_table.sql): at the larger sizes one
    statement over every day of every account does not fit in memory. var daily_metrics_rows_per_chunk
    (default 1,500,000 account-days of the grid, 180 days before the days computed included) sets the
    slices, so their number grows with the accounts and the days built. A slice's memory grows with
    its rows, and under DuckDB's memory limit it could not always spill its windows and joins: the
    default keeps a slice near what it needs unspilled (the measurements: BENCHMARKS.md).
    var daily_metrics_chunk_days (default none) also splits the days.
    A daily run computes only its day and keeps the rows earlier runs computed for the days before
    (a day is what was known on it, like the scores computed from it); a run for an earlier day or
    dbt --full-refresh recomputes them all. -#}
{%- set history_days = var('health_history_days', 400) -%}
{%- set range_first_day = dbt.dateadd('day', -(history_days - 1), as_of_date()) -%}
{#- The longest window (last_180_days) looks back 179 days before the first day computed. -#}
{%- set lookback_days = 180 -%}
{%- set first_day = chunk_first_day(range_first_day) -%}
{%- set last_day = chunk_last_day(as_of_date()) -%}
{%- set grid_first_day = dbt.dateadd('day', -lookback_days, first_day) -%}
{#- On Spark (Parquet tables: no DELETE, no CREATE OR REPLACE) a table rebuilt whole by every run,
    without the side tables; its tests then judge every row. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'chunked_daily_table',
    first_day=range_first_day,
    last_day=as_of_date(),
    chunk_rows=var('daily_metrics_rows_per_chunk', 1500000),
    chunk_lookback_days=lookback_days,
    chunk_accounts_from='stg_app_db__accounts_with_deleted',
    chunk_days=var('daily_metrics_chunk_days', none),
) }}
with

-- Deleted accounts too: an account deleted today existed on every earlier day, and the health
-- history already scored for those days keeps its inputs. Its days from the deletion on are left out.
accounts as (

    select * from {{ ref('stg_app_db__accounts_with_deleted') }}
    where {{ chunk_accounts('account_id') }}

),

-- Every input is cut to the slice's accounts (their organisations, Stripe customers and
-- subscriptions): joined whole, the other inputs grow with the business, not with the slice, and a
-- small slice of a large business ran out of memory where a whole smaller business did not.
organizations as (

    select * from {{ ref('stg_ticketing__organizations') }}
    where account_id is not null and {{ chunk_accounts('account_id') }}

),

stripe_customers as (

    select * from {{ ref('stg_stripe__customers') }}
    where customer_id in (select stripe_customer_id from accounts)

),

events_daily as (

    select * from {{ ref('int_account_events_daily') }}
    where activity_date between {{ grid_first_day }} and {{ last_day }}
        and {{ chunk_accounts('account_id') }}

),

activity_windows as (

    select * from {{ ref('int_account_activity_windows') }}
    where window_end >= {{ first_day }} and window_start <= {{ last_day }}
        and {{ chunk_accounts('account_id') }}

),

-- A source covers the days up to its newest delivered drop (metrics.md, "coverage"): a drop counts
-- when ingest loaded (or had already loaded) one of its files, whatever the files held, so a day
-- whose drop has no rows is "nothing changed", not "not covered". The newest changed row is no
-- guide: a quiet day changes none. The first drop carries the whole history.
delivered_drops as (

    select source, max(drop_date) as covered_through
    from {{ source('ingest_audit', 'ingest_log') }}
    where drop_date <= {{ as_of_date() }}
        and status in ('loaded', 'unchanged', 'replaced')
    group by source

),

coverage as (

    select
        coalesce(
            (select covered_through from delivered_drops where source = 'app_db'),
            cast('1900-01-01' as date)
        ) as app_db_through,
        coalesce(
            (select covered_through from delivered_drops where source = 'stripe'),
            cast('1900-01-01' as date)
        ) as stripe_through,
        coalesce(
            (select covered_through from delivered_drops where source = 'ticketing'),
            cast('1900-01-01' as date)
        ) as ticketing_through,
        (select min(valid_from_drop) from {{ ref('stg_stripe__subscription_versions') }}) as stripe_first_drop

),

account_mapping as (

    select
        accounts.account_id,
        accounts.csm_id,
        accounts.segment,
        accounts.stripe_customer_id,
        stripe_customers.customer_id is not null as is_known_to_stripe,
        account_organizations.organization_id,
        cast(accounts.created_at as date) as created_on,
        cast(accounts.deleted_at as date) as deleted_on
    from accounts
    left join stripe_customers
        on stripe_customers.customer_id = accounts.stripe_customer_id
    left join (
        select account_id, min(organization_id) as organization_id
        from organizations
        where account_id is not null
        group by account_id
    ) as account_organizations
        on account_organizations.account_id = accounts.account_id

),

days as (

    {{ dbt.date_spine('day', grid_first_day, dbt.dateadd('day', 1, last_day)) }}

),

account_versions as (

    select
        *,
        min(valid_from_drop) over (partition by account_id) as first_drop
    from {{ ref('stg_app_db__account_versions') }}
    where {{ chunk_accounts('account_id') }}

),

-- Plan and conversation limit point in time: the account version valid on the day. Days before
-- the account's first drop take that drop's version (the first drop carries the history of usage
-- but only the account's state then; its plan is the best knowledge of the plan before it).
grid as (

    select
        account_mapping.account_id,
        account_mapping.csm_id,
        account_mapping.segment,
        account_versions.plan,
        account_versions.plan_conversation_limit,
        account_mapping.stripe_customer_id,
        account_mapping.is_known_to_stripe,
        account_mapping.organization_id,
        account_mapping.created_on,
        cast(days.date_day as date) as as_of_date
    from account_mapping
    inner join days
        on cast(days.date_day as date) >= account_mapping.created_on
        and cast(days.date_day as date) <= {{ as_of_date() }}
        and (account_mapping.deleted_on is null or cast(days.date_day as date) < account_mapping.deleted_on)
    left join account_versions
        on account_versions.account_id = account_mapping.account_id
        and (
            (cast(days.date_day as date) >= account_versions.first_drop
                and account_versions.valid_from_drop <= cast(days.date_day as date)
                and (account_versions.valid_to_drop is null or account_versions.valid_to_drop > cast(days.date_day as date)))
            or (cast(days.date_day as date) < account_versions.first_drop
                and account_versions.valid_from_drop = account_versions.first_drop)
        )

),

-- ------------------------------------------------------------------ product usage and engagement

-- The last login before the grid's first day (the grid starts 180 days before the days computed).
logins_before_grid as (

    select
        account_events.account_id,
        max(cast(account_events.last_login_at as date)) as last_login_on
    from {{ ref('int_account_events_daily') }} as account_events
    inner join account_mapping
        on account_mapping.account_id = account_events.account_id
    where account_events.activity_date < {{ grid_first_day }}
        and account_events.activity_date >= account_mapping.created_on
        and {{ chunk_accounts('account_events.account_id') }}
    group by account_events.account_id

),
window_counts as (

    select
        grid.account_id,
        grid.as_of_date,
        count(case when activity_windows.usage_kind = 'user' then 1 end) as monthly_active_users,
        count(case when activity_windows.usage_kind = 'feature' then 1 end) as features_used_30d_count,
        -- sorted, and only the features: the same days give the same list in every build
        {{ csw_sorted_list('activity_windows.usage_key', "activity_windows.usage_kind = 'feature'") }}
            as features_used_30d
    from grid
    inner join activity_windows
        on activity_windows.account_id = grid.account_id
        and grid.as_of_date between activity_windows.window_start and activity_windows.window_end
    where grid.as_of_date between {{ first_day }} and {{ last_day }}
    group by grid.account_id, grid.as_of_date

),

-- ------------------------------------------------------------------ support (ticketing)

tickets as (

    select
        organizations.account_id,
        tickets.ticket_id,
        cast(tickets.created_at as date) as created_on,
        cast(tickets.solved_at as date) as solved_on,
        tickets.priority in ('high', 'urgent') as is_high_or_urgent,
        coalesce(tickets.is_escalated, false) as is_escalated
    from {{ ref('stg_ticketing__tickets') }} as tickets
    inner join organizations
        on organizations.organization_id = tickets.organization_id
    where organizations.account_id is not null

),

ticket_days as (

    select account_id, created_on as on_day, 1 as created, 0 as solved,
        case when is_high_or_urgent then 1 else 0 end as high_created, 0 as high_solved,
        case when is_escalated then 1 else 0 end as escalated_created
    from tickets
    union all
    select account_id, solved_on as on_day, 0, 1, 0, case when is_high_or_urgent then 1 else 0 end, 0
    from tickets
    where solved_on is not null

),

ticket_daily as (

    select
        account_id,
        on_day,
        sum(created) as created,
        sum(solved) as solved,
        sum(high_created) as high_created,
        sum(high_solved) as high_solved,
        sum(escalated_created) as escalated_created
    from ticket_days
    group by account_id, on_day

),

ratings_daily as (

    select
        organizations.account_id,
        cast(ratings.created_at as date) as on_day,
        sum(ratings.rating) as rating_sum,
        count(ratings.rating) as ratings
    from {{ ref('stg_ticketing__satisfaction_ratings') }} as ratings
    inner join {{ ref('stg_ticketing__tickets') }} as rated_tickets
        on rated_tickets.ticket_id = ratings.ticket_id
    inner join organizations
        on organizations.organization_id = coalesce(ratings.organization_id, rated_tickets.organization_id)
    where ratings.rating between 1 and 5
        and organizations.account_id is not null
    group by 1, 2

),

-- Tickets opened and not solved before the grid's first day, counted from the account's creation.
tickets_before_grid as (

    select
        ticket_daily.account_id,
        sum(ticket_daily.created) - sum(ticket_daily.solved) as open_tickets,
        sum(ticket_daily.high_created) - sum(ticket_daily.high_solved) as high_urgent_open_tickets
    from ticket_daily
    inner join account_mapping
        on account_mapping.account_id = ticket_daily.account_id
    where ticket_daily.on_day < {{ grid_first_day }}
        and ticket_daily.on_day >= account_mapping.created_on
    group by ticket_daily.account_id

),
-- ------------------------------------------------------------------ relationship (app_db)

nps_daily as (

    -- The day's latest response per account (the latest submitted_at; the higher score on a tie).
    select account_id, on_day, score
    from (
        select
            account_id,
            cast(submitted_at as date) as on_day,
            cast(score as {{ type_double() }}) as score,
            row_number() over (
                partition by account_id, cast(submitted_at as date)
                order by submitted_at desc, score desc
            ) as response_rank
        from {{ ref('stg_app_db__nps_responses') }}
        where account_id is not null and score is not null and {{ chunk_accounts('account_id') }}
    ) as ranked
    where response_rank = 1

),

activities_daily as (

    select
        account_id,
        cast(occurred_at as date) as on_day,
        count(case when activity_type = 'meeting_attended' then 1 end) as meetings_attended,
        count(case when activity_type = 'meeting_no_show' then 1 end) as meetings_no_show,
        count(case when activity_type = 'outreach_sent' then 1 end) as outreach_sent,
        count(case when activity_type = 'outreach_answered' then 1 end) as outreach_answered
    from {{ ref('stg_app_db__cs_activities') }}
    where account_id is not null and {{ chunk_accounts('account_id') }}
    group by 1, 2

),
-- ------------------------------------------------------------------ financial (Stripe)

charges_daily as (

    select
        customer_id,
        cast(created_at as date) as on_day,
        count(case when status = 'succeeded' then 1 end) as succeeded,
        count(case when status = 'failed' then 1 end) as failed
    from {{ ref('stg_stripe__charges') }}
    where customer_id in (select customer_id from stripe_customers)
    group by 1, 2

),

-- ------------------------------------------------------------------ windows over the grid

-- Every window of the day's usage, support, relationship and payment facts in one pass over the
-- grid: each fact is at most one row per account (or customer) and day, so the left joins keep one
-- row per grid row, and one sort serves every window. (Four CTEs, each windowed on its own and then
-- joined back on account and day, held four grid-sized hash tables at once, and a slice no longer
-- fit in DuckDB's memory limit.)
daily_windows as (

    select
        grid.*,

        -- product usage and engagement
        sum(coalesce(events_daily.logins, 0)) over last_28_days as logins_28d,
        sum(coalesce(events_daily.conversations, 0)) over last_28_days as conversations_28d,
        sum(coalesce(events_daily.conversations, 0)) over last_30_days as conversations_30d,
        sum(coalesce(events_daily.conversations, 0)) over previous_30_days as conversations_prev_30d,
        sum(coalesce(events_daily.active_users, 0)) over last_30_days as daily_active_user_days_30d,
        sum(coalesce(events_daily.blocked_feature_attempts, 0)) over last_30_days as blocked_feature_attempts_30d,
        count(*) over last_30_days as days_in_30d_window,
        -- DuckDB's greatest() skips a NULL argument: no login in the grid keeps the earlier one.
        greatest(
            max(cast(events_daily.last_login_at as date)) over since_creation,
            logins_before_grid.last_login_on
        ) as last_login_on,

        -- support
        coalesce(tickets_before_grid.open_tickets, 0)
            + sum(coalesce(ticket_daily.created, 0)) over since_creation
            - sum(coalesce(ticket_daily.solved, 0)) over since_creation as open_tickets,
        coalesce(tickets_before_grid.high_urgent_open_tickets, 0)
            + sum(coalesce(ticket_daily.high_created, 0)) over since_creation
            - sum(coalesce(ticket_daily.high_solved, 0)) over since_creation as high_urgent_open_tickets,
        sum(coalesce(ticket_daily.escalated_created, 0)) over last_90_days as escalations_90d,
        sum(coalesce(ratings_daily.rating_sum, 0)) over last_90_days as rating_sum_90d,
        sum(coalesce(ratings_daily.ratings, 0)) over last_90_days as ratings_90d,

        -- relationship
        {{ csw_last_non_null('nps_daily.score') }} over last_180_days as nps_score,
        sum(coalesce(activities_daily.meetings_attended, 0)) over last_90_days as meetings_attended_90d,
        sum(coalesce(activities_daily.meetings_no_show, 0)) over last_90_days as meetings_no_show_90d,
        sum(coalesce(activities_daily.outreach_sent, 0)) over last_90_days as outreach_sent_90d,
        sum(coalesce(activities_daily.outreach_answered, 0)) over last_90_days as outreach_answered_90d,

        -- payments
        sum(coalesce(charges_daily.succeeded, 0)) over last_90_days as payments_succeeded_90d,
        sum(coalesce(charges_daily.failed, 0)) over last_90_days as payments_failed_90d,
        sum(coalesce(charges_daily.failed, 0)) over last_30_days as failed_payments_30d

    from grid
    left join events_daily
        on events_daily.account_id = grid.account_id
        and events_daily.activity_date = grid.as_of_date
    left join logins_before_grid
        on logins_before_grid.account_id = grid.account_id
    left join ticket_daily
        on ticket_daily.account_id = grid.account_id
        and ticket_daily.on_day = grid.as_of_date
    left join ratings_daily
        on ratings_daily.account_id = grid.account_id
        and ratings_daily.on_day = grid.as_of_date
    left join tickets_before_grid
        on tickets_before_grid.account_id = grid.account_id
    left join nps_daily
        on nps_daily.account_id = grid.account_id
        and nps_daily.on_day = grid.as_of_date
    left join activities_daily
        on activities_daily.account_id = grid.account_id
        and activities_daily.on_day = grid.as_of_date
    left join charges_daily
        on charges_daily.customer_id = grid.stripe_customer_id
        and charges_daily.on_day = grid.as_of_date
    window
        last_28_days as (partition by grid.account_id order by grid.as_of_date rows between 27 preceding and current row),
        last_30_days as (partition by grid.account_id order by grid.as_of_date rows between 29 preceding and current row),
        previous_30_days as (partition by grid.account_id order by grid.as_of_date rows between 59 preceding and 30 preceding),
        last_90_days as (partition by grid.account_id order by grid.as_of_date rows between 89 preceding and current row),
        last_180_days as (partition by grid.account_id order by grid.as_of_date rows between 179 preceding and current row),
        since_creation as (partition by grid.account_id order by grid.as_of_date rows unbounded preceding)

),

subscription_versions as (

    select * from {{ ref('stg_stripe__subscription_versions') }}
    where customer_id in (select customer_id from stripe_customers)

),

-- Committed months of each version of a subscription item's billing interval, point in time: the
-- version valid on a day (valid_from_drop <= day < valid_to_drop). Days before the first Stripe drop
-- take the versions that drop brought (the interval's earlier history is not in any drop, and the
-- billing interval is what the subscription was sold with, so its first known value stands for it).
subscription_item_terms as (

    select
        subscription_id,
        valid_from_drop,
        valid_to_drop,
        -- an interval without its count is not a known term: NULL, not a defaulted 1
        case recurring_interval
            when 'year' then cast(12 as {{ type_double() }}) * recurring_interval_count
            when 'month' then cast(recurring_interval_count as {{ type_double() }})
            when 'week' then cast(12 as {{ type_double() }}) / 52 * recurring_interval_count
            when 'day' then cast(12 as {{ type_double() }}) / 365 * recurring_interval_count
        end as term_months
    from {{ ref('stg_stripe__subscription_item_versions') }}
    where subscription_id in (select subscription_id from subscription_versions)

),

-- Paid or open invoice lines of the slice's subscriptions first seen unpaid or paused: before the
-- first drop such a subscription counts only on days a line of it covers (metrics.md §1, as
-- int_subscription_items_priced_mrr values it), or its dates alone keep a long-lapsed customer
-- paying until the first drop.
lapsed_invoice_periods as (

    select subscription_id, period_start_at, period_end_at
    from {{ ref('int_invoice_lines_normalised_to_mrr') }}
    where subscription_id in (
        select subscription_id from subscription_versions where status in ('unpaid', 'paused')
    )

),

-- The state of each subscription at the end of each grid day: from the version the drops showed
-- for days they cover, from the subscription's own dates for days before the first drop.
subscription_days as (

    select
        grid.account_id,
        grid.as_of_date,
        case
            when grid.as_of_date >= coverage.stripe_first_drop then versions.status
            when first_versions.status in ('incomplete', 'incomplete_expired') then null
            when first_versions.started_at > {{ end_of_day('grid.as_of_date') }} then null
            when first_versions.ended_at <= {{ end_of_day('grid.as_of_date') }} then 'canceled'
            when first_versions.trial_end_at > {{ end_of_day('grid.as_of_date') }} then 'trialing'
            when first_versions.status in ('unpaid', 'paused') and not exists (
                select 1 from lapsed_invoice_periods as periods
                where periods.subscription_id = first_versions.subscription_id
                    and periods.period_start_at <= {{ end_of_day('grid.as_of_date') }}
                    and periods.period_end_at > {{ end_of_day('grid.as_of_date') }}
            ) then first_versions.status
            else 'active'
        end as status,
        case
            when grid.as_of_date >= coverage.stripe_first_drop then versions.cancel_at_period_end
        end as cancel_at_period_end,
        first_versions.canceled_at <= {{ end_of_day('grid.as_of_date') }}
            and (first_versions.ended_at is null or first_versions.ended_at > {{ end_of_day('grid.as_of_date') }})
            as cancellation_pending,
        case
            when grid.as_of_date >= coverage.stripe_first_drop
                then cast(coalesce(versions.current_period_end_at, item_periods.current_period_end_at) as date)
        end as current_period_end,
        subscription_item_terms.term_months
    from grid
    cross join coverage
    inner join (
        select * from subscription_versions
        qualify row_number() over (partition by subscription_id order by valid_from_drop) = 1
    ) as first_versions
        on first_versions.customer_id = grid.stripe_customer_id
        and cast(first_versions.created_at as date) <= grid.as_of_date
    left join subscription_versions as versions
        on versions.subscription_id = first_versions.subscription_id
        and versions.valid_from_drop <= grid.as_of_date
        and (versions.valid_to_drop is null or versions.valid_to_drop > grid.as_of_date)
    -- One row per item version valid on the day: the aggregates of account_subscriptions (max,
    -- bool_or) are unchanged by the repetition; the largest item's interval is the term.
    left join subscription_item_terms
        on subscription_item_terms.subscription_id = first_versions.subscription_id
        and (
            (grid.as_of_date >= coverage.stripe_first_drop
                and subscription_item_terms.valid_from_drop <= grid.as_of_date
                and (subscription_item_terms.valid_to_drop is null or subscription_item_terms.valid_to_drop > grid.as_of_date))
            or (grid.as_of_date < coverage.stripe_first_drop
                and subscription_item_terms.valid_from_drop = coverage.stripe_first_drop)
        )
    -- Newer Stripe API versions carry the period on the items, not the subscription.
    left join (
        select subscription_id, valid_from_drop, valid_to_drop, max(current_period_end_at) as current_period_end_at
        from {{ ref('stg_stripe__subscription_item_versions') }}
        where subscription_id in (select subscription_id from subscription_versions)
        group by subscription_id, valid_from_drop, valid_to_drop
    ) as item_periods
        on item_periods.subscription_id = first_versions.subscription_id
        and item_periods.valid_from_drop <= grid.as_of_date
        and (item_periods.valid_to_drop is null or item_periods.valid_to_drop > grid.as_of_date)
    -- The day before the first day too: a churned account's terminal day is the first day it is
    -- churned, so its state the day before is needed.
    where grid.as_of_date between {{ dbt.dateadd('day', -1, first_day) }} and {{ last_day }}

),

account_subscriptions as (

    select
        account_id,
        as_of_date,
        case
            when bool_or(status = 'active') then 'active'
            when bool_or(status = 'past_due') then 'past_due'
            when bool_or(status = 'trialing') then 'trialing'
            else 'none'
        end as subscription_state,
        max(case when status in ('active', 'past_due', 'trialing') then term_months end) as contract_length,
        max(case when status in ('active', 'past_due', 'trialing') then current_period_end end) as current_period_end,
        bool_or(status in ('active', 'past_due', 'trialing') and cancel_at_period_end) as cancel_at_period_end,
        bool_or(cancellation_pending) as cancellation_pending,
        bool_or(status = 'paused') as has_paused
    from subscription_days
    group by account_id, as_of_date

),

account_subscriptions_with_yesterday as (

    select
        *,
        -- no row the day before: no subscription existed yet, so not live then
        case
            when lag(as_of_date) over by_day = {{ dbt.dateadd('day', -1, 'as_of_date') }}
                then lag(subscription_state) over by_day
            else 'none'
        end as subscription_state_yesterday
    from account_subscriptions
    window by_day as (partition by account_id order by as_of_date)

),

-- The first day each customer paid (a subscription active or past_due at the end of the day, as
-- subscription_days values it): from the versions the drops showed, and before the first drop from
-- the subscription's own dates (created, started and past its trial, not ended by then).
subscription_paying_from as (

    select
        first_versions.customer_id,
        greatest(
            cast(first_versions.created_at as date),
            cast(first_versions.started_at as date),
            coalesce(cast(first_versions.trial_end_at as date), cast(first_versions.started_at as date))
        ) as paying_from,
        cast(first_versions.ended_at as date) as ended_on,
        first_versions.status
    from (
        select * from subscription_versions
        qualify row_number() over (partition by subscription_id order by valid_from_drop) = 1
    ) as first_versions
    where first_versions.started_at is not null

),

first_paying_days as (

    select customer_id, min(paying_from) as first_paying_on
    from (
        select customer_id, min(valid_from_drop) as paying_from
        from subscription_versions
        where status in ('active', 'past_due')
        group by customer_id
        union all
        select subscription_paying_from.customer_id, subscription_paying_from.paying_from
        from subscription_paying_from
        cross join coverage
        where subscription_paying_from.status not in ('incomplete', 'incomplete_expired')
            and subscription_paying_from.paying_from < coverage.stripe_first_drop
            and (subscription_paying_from.ended_on is null
                or subscription_paying_from.ended_on > subscription_paying_from.paying_from)
    ) as paying_starts
    group by customer_id

),

-- MRR at the last valuation (month end) on or before the day versus the valuation before it.
mrr_valuations as (

    select
        customer_id,
        valuation_date,
        mrr_minor,
        lag(mrr_minor) over (partition by customer_id order by valuation_date) as previous_mrr_minor,
        lead(valuation_date) over (partition by customer_id order by valuation_date) as next_valuation_date
    from {{ ref('int_customer_mrr_monthly') }}
    where customer_id in (select customer_id from stripe_customers)

),

-- ------------------------------------------------------------------ assembly

final as (

    select
        grid.account_id,
        grid.as_of_date,
        grid.csm_id,
        grid.segment,
        grid.plan,
        grid.stripe_customer_id,
        grid.organization_id,
        grid.created_on,

        -- which sources cover the account on the day
        grid.as_of_date <= coverage.app_db_through as is_app_db_covered,
        grid.is_known_to_stripe and grid.as_of_date <= coverage.stripe_through as is_stripe_covered,
        grid.organization_id is not null and grid.as_of_date <= coverage.ticketing_through as is_ticketing_covered,

        -- product usage
        -- No monthly active user: no denominator, so the ratio is undefined (NULL), not 0 — a 0
        -- here once let a churned account clear the coverage bar and grade F (issue #21).
        case when grid.as_of_date <= coverage.app_db_through
            and coalesce(window_counts.monthly_active_users, 0) > 0 then
            least(1.0, grid.daily_active_user_days_30d
                / cast(grid.days_in_30d_window as {{ type_double() }})
                / window_counts.monthly_active_users)
        end as dau_mau_ratio,
        case when grid.as_of_date <= coverage.app_db_through then
            coalesce(window_counts.features_used_30d, {{ csw_empty_string_list() }})
        end as features_used_30d,
        case when grid.as_of_date <= coverage.app_db_through then
            grid.conversations_28d / cast(4 as {{ type_double() }})
        end as conversations_per_week,

        -- engagement
        case when grid.as_of_date <= coverage.app_db_through then
            cast({{ dbt.datediff('coalesce(grid.last_login_on, grid.created_on)', 'grid.as_of_date', 'day') }}
                as {{ type_double() }})
        end as days_since_last_login,
        case when grid.as_of_date <= coverage.app_db_through then
            grid.logins_28d / cast(4 as {{ type_double() }})
        end as logins_per_week,
        case when grid.as_of_date <= coverage.app_db_through then
            cast(coalesce(window_counts.features_used_30d_count, 0) as {{ type_double() }})
        end as features_used_this_month,

        -- support
        case when grid.organization_id is not null and grid.as_of_date <= coverage.ticketing_through then
            cast(grid.open_tickets as {{ type_double() }})
        end as open_tickets,
        case when grid.organization_id is not null and grid.as_of_date <= coverage.ticketing_through then
            {{ safe_ratio('grid.rating_sum_90d', 'grid.ratings_90d') }}
        end as avg_csat,
        case when grid.organization_id is not null and grid.as_of_date <= coverage.ticketing_through then
            cast(grid.escalations_90d as {{ type_double() }})
        end as escalations,

        -- relationship
        case when grid.as_of_date <= coverage.app_db_through then grid.nps_score end as nps_score,
        case when grid.as_of_date <= coverage.app_db_through then
            {{ safe_ratio('grid.meetings_attended_90d',
                'grid.meetings_attended_90d + grid.meetings_no_show_90d') }}
        end as meetings_attended,
        -- DuckDB's least() skips a NULL argument: least(1.0, NULL) is 1.0, so an undefined ratio
        -- (no outreach sent) must stay outside it, or it would score as a perfect 1.
        case when grid.as_of_date <= coverage.app_db_through and grid.outreach_sent_90d > 0 then
            least(1.0, {{ safe_ratio('grid.outreach_answered_90d', 'grid.outreach_sent_90d') }})
        end as responses_to_outreach,

        -- financial
        case when grid.is_known_to_stripe and grid.as_of_date <= coverage.stripe_through then
            {{ safe_ratio('grid.payments_succeeded_90d',
                'grid.payments_succeeded_90d + grid.payments_failed_90d') }}
        end as payment_health,
        case when grid.as_of_date <= coverage.app_db_through and grid.plan_conversation_limit > 0 then
            least(1.0, {{ safe_ratio('grid.conversations_30d', 'grid.plan_conversation_limit') }})
        end as growth_potential,
        -- Stale is missing (metrics.md): the interval of a version Stripe has not re-confirmed by
        -- the day is not known on the day, like the other Stripe inputs.
        case when grid.is_known_to_stripe and grid.as_of_date <= coverage.stripe_through then
            cast(account_subscriptions.contract_length as {{ type_double() }})
        end as contract_length,
        case when grid.as_of_date <= coverage.app_db_through then
            {{ safe_ratio('grid.conversations_30d', 'grid.plan_conversation_limit') }}
        end as usage_vs_limit,

        -- the denominators of the rates above, NULL where their source does not cover the account
        -- and day: gate rule 16 checks that no rate has a value where its denominator is 0
        case when grid.as_of_date <= coverage.app_db_through then
            coalesce(window_counts.monthly_active_users, 0)
        end as monthly_active_users,
        case when grid.organization_id is not null and grid.as_of_date <= coverage.ticketing_through then
            grid.ratings_90d
        end as csat_ratings_90d,
        case when grid.as_of_date <= coverage.app_db_through then
            grid.meetings_attended_90d + grid.meetings_no_show_90d
        end as meetings_90d,
        case when grid.as_of_date <= coverage.app_db_through then
            grid.outreach_sent_90d
        end as outreach_sent_90d,
        case when grid.is_known_to_stripe and grid.as_of_date <= coverage.stripe_through then
            grid.payments_succeeded_90d + grid.payments_failed_90d
        end as payment_attempts_90d,
        grid.plan_conversation_limit,

        -- churn-signal inputs
        case when grid.as_of_date <= coverage.app_db_through then
            cast(grid.conversations_30d as {{ type_double() }})
        end as usage_30d,
        case when grid.as_of_date <= coverage.app_db_through then
            cast(grid.conversations_prev_30d as {{ type_double() }})
        end as usage_prev_30d,
        case when grid.is_known_to_stripe and grid.as_of_date <= coverage.stripe_through then
            grid.failed_payments_30d
        end as failed_payments_30d,
        case
            when not grid.is_known_to_stripe or grid.as_of_date > coverage.stripe_through then null
            when coalesce(account_subscriptions.cancel_at_period_end, false)
                or coalesce(account_subscriptions.cancellation_pending, false) then true
            when grid.as_of_date >= coverage.stripe_first_drop then false
        end as cancellation_requested,
        case when grid.as_of_date <= coverage.app_db_through then
            grid.blocked_feature_attempts_30d
        end as blocked_feature_attempts_30d,

        -- lifecycle inputs
        case
            when not grid.is_known_to_stripe or grid.as_of_date > coverage.stripe_through then 'none'
            else coalesce(account_subscriptions.subscription_state, 'none')
        end as subscription_state,
        -- customer status (metrics.md, "population"), from Stripe; NULL when Stripe does not cover
        -- the day (the status is not known then, and is not guessed from an older drop)
        case
            when grid.as_of_date > coverage.stripe_through then null
            when not grid.is_known_to_stripe then 'never_paid'
            when account_subscriptions.subscription_state in ('active', 'past_due') then 'paying'
            when account_subscriptions.subscription_state = 'trialing' then 'trialing'
            when account_subscriptions.has_paused then 'paused'
            when first_paying_days.first_paying_on < grid.as_of_date then 'churned'
            else 'never_paid'
        end as customer_status,
        -- the live book: paying or trialing, and a churned account on its terminal day (churned
        -- today, paying or trialing yesterday)
        case
            when not grid.is_known_to_stripe or grid.as_of_date > coverage.stripe_through then false
            when account_subscriptions.subscription_state in ('active', 'past_due', 'trialing') then true
            when account_subscriptions.has_paused then false
            else coalesce(account_subscriptions.subscription_state_yesterday, 'none')
                in ('active', 'past_due', 'trialing')
                and coalesce(first_paying_days.first_paying_on < grid.as_of_date, false)
        end as in_live_book,
        first_paying_days.first_paying_on,
        case when grid.as_of_date <= coverage.app_db_through then
            cast({{ dbt.datediff('coalesce(grid.last_login_on, grid.created_on)', 'grid.as_of_date', 'day') }}
                as {{ dbt.type_bigint() }})
        end as days_without_login,
        case when grid.organization_id is not null and grid.as_of_date <= coverage.ticketing_through then
            grid.high_urgent_open_tickets
        end as high_urgent_open_tickets,
        cast({{ dbt.datediff('grid.created_on', 'grid.as_of_date', 'day') }} as {{ dbt.type_bigint() }}) as tenure_days,
        case when grid.is_known_to_stripe and grid.as_of_date <= coverage.stripe_through then
            cast(ceil(account_subscriptions.contract_length) as {{ dbt.type_bigint() }})
        end as term_months,
        account_subscriptions.current_period_end,
        case when grid.is_known_to_stripe and mrr_valuations.previous_mrr_minor is not null then
            mrr_valuations.mrr_minor > mrr_valuations.previous_mrr_minor
        end as mrr_rose,
        -- the MRR at stake in an alert: the last valuation on or before the day (month ends, and
        -- the as-of date), major units of the reporting currency; NULL without one
        case when grid.is_known_to_stripe then
            cast(mrr_valuations.mrr_minor as {{ type_double() }}) / 100
        end as mrr_last_valuation

    -- the grid's rows, each with its windows
    from daily_windows as grid
    cross join coverage
    left join window_counts
        on window_counts.account_id = grid.account_id
        and window_counts.as_of_date = grid.as_of_date
    left join account_subscriptions_with_yesterday as account_subscriptions
        on account_subscriptions.account_id = grid.account_id
        and account_subscriptions.as_of_date = grid.as_of_date
    left join first_paying_days
        on first_paying_days.customer_id = grid.stripe_customer_id
    left join mrr_valuations
        on mrr_valuations.customer_id = grid.stripe_customer_id
        and mrr_valuations.valuation_date <= grid.as_of_date
        and (mrr_valuations.next_valuation_date is null or mrr_valuations.next_valuation_date > grid.as_of_date)
    where grid.as_of_date between {{ first_day }} and {{ last_day }}

)

select * from final
