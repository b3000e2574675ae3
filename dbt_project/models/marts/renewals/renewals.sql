{#- One row per renewal (metrics.md §11) due in the next 180 days or of the past 24 months: who owns
    it, what is at stake, how the account stood as the renewal approached (health, churn signals, a
    cancellation request, the last QBR), and once passed its outcome from Stripe. The state columns
    are read on state_observed_on: the as-of date for an upcoming renewal, the day before the term
    end for a past one; NULL with state_unknown_reason where the account was not scored that day. -#}
with

renewals as (

    select * from {{ ref('int_renewals_with_outcomes') }}
    where term_end > cast({{ dbt.dateadd('month', -24, as_of_date()) }} as date)
        and term_end <= cast({{ dbt.dateadd('day', 180, as_of_date()) }} as date)

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

health as (

    select account_id, as_of_date, score, grade, trend from {{ ref('health_scores_daily') }}

),

signals as (

    select account_id, as_of_date, signal, severity from {{ ref('churn_signals_daily') }}

),

qbrs as (

    select account_id, cast(occurred_at as date) as qbr_on
    from {{ ref('stg_app_db__cs_activities') }}
    where activity_type = 'qbr'

),

observed as (

    select
        renewals.*,
        least(
            {{ as_of_date() }}, cast({{ dbt.dateadd('day', -1, 'renewals.term_end') }} as date)
        ) as state_observed_on,
        {{ dbt.datediff(as_of_date(), 'renewals.term_end', 'day') }} as days_out
    from renewals

),

signals_on_day as (

    select
        observed.renewal_id,
        {{ csw_sorted_list('signals.signal') }} as open_churn_signals,
        {{ csw_sorted_list('signals.signal', "signals.severity = 'high'") }} as high_severity_signals
    from observed
    inner join signals
        on signals.account_id = observed.account_id
        and signals.as_of_date = observed.state_observed_on
    group by observed.renewal_id

),

last_qbr as (

    select
        observed.renewal_id,
        max(qbrs.qbr_on) as last_qbr_on
    from observed
    inner join qbrs
        on qbrs.account_id = observed.account_id
        and qbrs.qbr_on <= observed.state_observed_on
    group by observed.renewal_id

),

final as (

    select
        observed.renewal_id,
        observed.account_id,
        accounts.account_name,
        accounts.segment,
        observed.stripe_customer_id,
        observed.subscription_id,
        accounts.csm_id,
        accounts.csm_name,
        accounts.billed_plan as plan,
        observed.term_start,
        observed.term_end,
        observed.term_months,
        observed.term_end_month,
        cast(observed.days_out as integer) as days_out,
        case
            when observed.days_out < 0 then 'passed'
            when observed.days_out <= 30 then 'within_30_days'
            when observed.days_out <= 60 then 'within_60_days'
            when observed.days_out <= 90 then 'within_90_days'
            else 'within_180_days'
        end as renewal_window,
        (select max(reporting_currency) from accounts) as reporting_currency,
        observed.mrr_before_month as mrr_at_stake_month,
        observed.mrr_before as mrr_at_stake,
        cast(observed.mrr_before * 12 as decimal(18, 2)) as arr_at_stake,
        observed.state_observed_on,
        health.account_id is not null as is_scored_on_state_day,
        case when health.account_id is null
            then 'not_scored: the account has no health row on '
                || cast(observed.state_observed_on as string)
                || ' (not live, or before the scored history)'
        end as state_unknown_reason,
        health.score as health_score,
        health.grade as health_grade,
        health.trend as health_trend,
        case when health.account_id is not null
            then coalesce(signals_on_day.open_churn_signals, {{ csw_empty_string_list() }})
        end as open_churn_signals,
        case when health.account_id is not null
            then cast(coalesce({{ csw_list_length('signals_on_day.open_churn_signals') }}, 0) as integer)
        end as open_churn_signal_count,
        case when health.account_id is not null
            then coalesce(array_contains(signals_on_day.open_churn_signals, 'cancellation_request'), false)
        end as cancel_requested,
        -- the risk-case triggers of metrics.md §12: a cancellation request, grade D/F, a high-severity signal
        case when health.account_id is not null
            then coalesce(array_contains(signals_on_day.open_churn_signals, 'cancellation_request'), false)
                or coalesce(health.grade in ('D', 'F'), false)
                or coalesce({{ csw_list_length('signals_on_day.high_severity_signals') }}, 0) > 0
        end as is_at_risk,
        last_qbr.last_qbr_on,
        cast({{ dbt.datediff('last_qbr.last_qbr_on', 'observed.state_observed_on', 'day') }} as integer)
            as days_since_last_qbr,
        observed.outcome_measured_on,
        observed.mrr_after,
        observed.outcome,
        observed.outcome_reason,
        observed.mrr_change,
        observed.mrr_kept,
        observed.health_grade_60d_out
    from observed
    left join accounts
        on accounts.account_id = observed.account_id
    left join health
        on health.account_id = observed.account_id
        and health.as_of_date = observed.state_observed_on
    left join signals_on_day
        on signals_on_day.renewal_id = observed.renewal_id
    left join last_qbr
        on last_qbr.renewal_id = observed.renewal_id

)

select * from final
