{#- The events of metrics.md §13 for workflow tools (n8n, Slack, any webhook): one row per event,
    emitted once. An event is the first day of an episode of a trigger's condition (the day it
    holds and did not hold the account's previous day or snapshot), or a single cause (a
    subscription, an NPS response). Its id hashes the type, the account and that day or cause, so
    the same episode keeps its id in every later publication: `csw notify` delivers each id once
    per endpoint. -#}
{% set health_drop_points = 20 %}   {#- the trigger's name fixes it: health_score_dropped_20 -#}
{% set usage_share = 0.8 %}         {#- usage_at_80_percent: usage_vs_limit above 80% -#}
with

accounts as (

    select account_id, stripe_customer_id, csm_id from {{ ref('stg_app_db__accounts') }}

),

signals as (

    select * from {{ ref('churn_signals_daily') }}
    where signal in ('no_login_7_days', 'usage_drop_50', 'cancellation_request')

),

health as (

    select * from {{ ref('health_scores_daily') }}

),

daily_usage as (

    select account_id, as_of_date, usage_vs_limit from {{ ref('int_account_daily_metrics') }}

),

-- a signal's episode opens on a day it holds and did not hold the day before
signal_episodes as (

    select
        case signal
            when 'no_login_7_days' then 'no_login_7_days'
            when 'usage_drop_50' then 'usage_dropped_50_percent'
            when 'cancellation_request' then 'cancellation_requested'
        end as event_type,
        account_id,
        as_of_date as occurred_on,
        cast(as_of_date as string) as cause,
        observed_value,
        operator,
        threshold,
        signal as detail,
        'marts.churn_signals_daily' as source_table,
        config_version
    from (
        select
            *,
            lag(as_of_date) over (partition by account_id, signal order by as_of_date)
                as previous_day
        from signals
    ) as with_previous
    where previous_day is null or previous_day < as_of_date - 1

),

health_flags as (

    select
        health.account_id,
        health.as_of_date,
        health.score,
        health.score_change,
        health.score_lookback,
        health.grade,
        health.config_version,
        daily_usage.usage_vs_limit,
        coalesce(health.score_change <= -{{ health_drop_points }}, false) as score_dropped,
        coalesce(daily_usage.usage_vs_limit > {{ usage_share }}, false) as usage_high,
        lag(health.as_of_date) over account_days as previous_day,
        lag(coalesce(health.score_change <= -{{ health_drop_points }}, false)) over account_days
            as previous_score_dropped,
        lag(coalesce(daily_usage.usage_vs_limit > {{ usage_share }}, false)) over account_days
            as previous_usage_high
    from health
    left join daily_usage
        on daily_usage.account_id = health.account_id
        and daily_usage.as_of_date = health.as_of_date
    window account_days as (partition by health.account_id order by health.as_of_date)

),

health_episodes as (

    select
        'health_score_dropped_20' as event_type,
        account_id,
        as_of_date as occurred_on,
        cast(as_of_date as string) as cause,
        score_change as observed_value,
        '<=' as operator,
        -{{ health_drop_points }}.0 as threshold,
        'score ' || round(score, 1) || ', change over ' || score_lookback || ' days' as detail,
        'marts.health_scores_daily' as source_table,
        config_version
    from health_flags
    where score_dropped
        and (previous_day is null or previous_day < as_of_date - 1 or not previous_score_dropped)

    union all

    select
        'usage_at_80_percent',
        account_id,
        as_of_date,
        cast(as_of_date as string),
        usage_vs_limit,
        '>',
        {{ usage_share }},
        'conversations in the last 30 days / plan limit',
        'int_account_daily_metrics (live book days of marts.health_scores_daily)',
        config_version
    from health_flags
    where usage_high
        and (previous_day is null or previous_day < as_of_date - 1 or not previous_usage_high)

),

-- a drop to D or F from a scored grade above them (a first score of D is not a drop)
grade_episodes as (

    select
        'grade_dropped_to_d_or_f' as event_type,
        account_id,
        as_of_date as occurred_on,
        cast(as_of_date as string) as cause,
        score as observed_value,
        '<' as operator,
        cast(null as double) as threshold,
        previous_grade || ' -> ' || grade as detail,
        'marts.health_scores_daily' as source_table,
        config_version
    from (
        select
            *,
            lag(grade) over (partition by account_id order by as_of_date) as previous_grade
        from health
        where grade is not null
    ) as graded
    where grade in ('D', 'F') and previous_grade not in ('D', 'F')

),

nps_events as (

    select
        case when score <= 6 then 'nps_score_lte_6' else 'nps_score_gte_9' end as event_type,
        account_id,
        cast(submitted_at as date) as occurred_on,
        response_id as cause,
        cast(score as double) as observed_value,
        case when score <= 6 then '<=' else '>=' end as operator,
        case when score <= 6 then 6.0 else 9.0 end as threshold,
        'response ' || response_id as detail,
        'marts.nps_responses' as source_table,
        cast(null as string) as config_version
    from {{ ref('nps_responses') }}
    where account_id is not null and (score <= 6 or score >= 9)

),

-- stalled since a step (or the start): that step's day is the episode
onboarding_episodes as (

    select
        'onboarding_stalled' as event_type,
        account_id,
        min(as_of_date) as occurred_on,
        cast(coalesce(last_step_on, onboarding_start) as string) as cause,
        cast({{ dbt.datediff('coalesce(last_step_on, onboarding_start)', 'min(as_of_date)', 'day') }} as double)
            as observed_value,
        '>=' as operator,
        cast(null as double) as threshold,
        'no step completed since ' || coalesce(last_step_on, onboarding_start)
            || ' (stalled_after_days in config/onboarding.yml)' as detail,
        'marts.onboarding_progress' as source_table,
        min(config_version) as config_version
    from {{ ref('onboarding_progress') }}
    where stalled and coalesce(last_step_on, onboarding_start) is not null
    group by account_id, coalesce(last_step_on, onboarding_start)

),

-- expansion opportunities are a snapshot per run date: an episode opens at a snapshot where the
-- account has one and had none at the snapshot before
expansion_snapshots as (

    select as_of_date, lag(as_of_date) over (order by as_of_date) as previous_snapshot
    from (select distinct as_of_date from {{ ref('expansion_pipeline') }}) as dates

),

expansion_accounts as (

    select
        account_id,
        as_of_date,
        max(probability) as probability,
        {{ csw_string_agg('type', "', '", distinct=true) }} as types,
        min(config_version) as config_version
    from {{ ref('expansion_opportunities') }}
    group by account_id, as_of_date

),

expansion_episodes as (

    select
        'expansion_signal_detected' as event_type,
        current_snapshot.account_id,
        current_snapshot.as_of_date as occurred_on,
        cast(current_snapshot.as_of_date as string) as cause,
        current_snapshot.probability as observed_value,
        '>' as operator,
        0.0 as threshold,
        'opportunities: ' || current_snapshot.types as detail,
        'marts.expansion_opportunities' as source_table,
        current_snapshot.config_version
    from expansion_accounts as current_snapshot
    inner join expansion_snapshots
        on expansion_snapshots.as_of_date = current_snapshot.as_of_date
    left join expansion_accounts as previous
        on previous.account_id = current_snapshot.account_id
        and previous.as_of_date = expansion_snapshots.previous_snapshot
    where previous.account_id is null

),

-- the playbook's renewal triggers (§14): the day a renewal of marts.renewals (a term of 12 months or
-- more) is 90, 60 and 30 days out, for an account live that day (it has a health row)
renewal_windows as (

    select 90 as days_before
    union all select 60
    union all select 30

),

renewal_episodes as (

    select
        'renewal_in_' || renewal_windows.days_before || '_days' as event_type,
        renewals.account_id,
        cast(renewals.term_end - renewal_windows.days_before as date) as occurred_on,
        renewals.renewal_id as cause,
        cast(renewal_windows.days_before as double) as observed_value,
        '<=' as operator,
        cast(renewal_windows.days_before as double) as threshold,
        'term of ' || renewals.term_months || ' months ends ' || renewals.term_end
            || coalesce(', MRR before it ' || renewals.mrr_before, '') as detail,
        'marts.renewals' as source_table,
        cast(null as string) as config_version
    from {{ ref('int_renewals_with_outcomes') }} as renewals
    cross join renewal_windows
    inner join health
        on health.account_id = renewals.account_id
        and health.as_of_date = cast(renewals.term_end - renewal_windows.days_before as date)

),

subscription_events as (

    select
        'subscription_created' as event_type,
        accounts.account_id,
        cast(subscriptions.created_at as date) as occurred_on,
        subscriptions.subscription_id as cause,
        cast(null as double) as observed_value,
        cast(null as string) as operator,
        cast(null as double) as threshold,
        'subscription ' || subscriptions.subscription_id || ' (' || subscriptions.status || ')'
            as detail,
        'stg_stripe__subscriptions' as source_table,
        cast(null as string) as config_version
    from {{ ref('stg_stripe__subscriptions') }} as subscriptions
    inner join accounts on accounts.stripe_customer_id = subscriptions.customer_id
    where subscriptions.created_at <= {{ as_of_end() }}

),

all_events as (

    select * from signal_episodes
    union all select * from health_episodes
    union all select * from grade_episodes
    union all select * from nps_events
    union all select * from onboarding_episodes
    union all select * from expansion_episodes
    union all select * from renewal_episodes
    union all select * from subscription_events

),

final as (

    select
        md5(all_events.event_type || '|' || all_events.account_id || '|' || all_events.cause)
            as event_id,
        all_events.event_type,
        all_events.occurred_on,
        all_events.account_id,
        accounts.csm_id,
        all_events.cause,
        all_events.observed_value,
        all_events.operator,
        all_events.threshold,
        all_events.detail,
        all_events.source_table,
        all_events.config_version,
        {{ as_of_date() }} as as_of_date
    from all_events
    left join accounts on accounts.account_id = all_events.account_id
    where all_events.occurred_on <= {{ as_of_date() }}

)

select
    cast(event_id as string) as event_id,
    cast(event_type as string) as event_type,
    cast(occurred_on as date) as occurred_on,
    cast(account_id as string) as account_id,
    cast(csm_id as string) as csm_id,
    cast(cause as string) as cause,
    cast(observed_value as double) as observed_value,
    cast(operator as string) as operator,
    cast(threshold as double) as threshold,
    cast(detail as string) as detail,
    cast(source_table as string) as source_table,
    cast(config_version as string) as config_version,
    cast(as_of_date as date) as as_of_date
from final
