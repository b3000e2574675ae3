{#- Every renewal Stripe shows, whatever its date (metrics.md §11): the end of a subscription's term
    of 12 months or more, read from the non-proration subscription lines of its paid or open invoices
    (a line's own service period is the term; the current term's line exists from its first day, so
    upcoming renewals come from the same lines as past ones). Monthly terms are not renewals; a trial
    line is not a term (its period is days, whatever its price's interval).
    MRR is the billing customer's, from mrr_monthly (month-end valuations):
    - mrr_before: the month before the term-end month (for a renewal beyond the as-of month, the
      as-of month: what is at stake today);
    - mrr_after: the month holding term_end + `renewal_outcome_grace_days`, known once that month has
      ended by the as-of date (a failed renewal payment is retried for up to 14 days, and the
      subscription counts as past_due meanwhile: measured sooner, a lost renewal would read renewed).
    Outcome: churned (after 0), renewed (within ±2% of before), expanded, contracted; NULL with
    outcome_reason while pending or when either MRR is unknown. The health grade 60 days out and the
    forecast date are here so that the forecast can rate every band as of any date. -#}
with

lines as (

    select * from {{ ref('int_invoice_lines_normalised_to_mrr') }}

),

customer_mrr as (

    select * from {{ ref('mrr_monthly') }}

),

health as (

    select account_id, as_of_date, grade from {{ ref('health_scores_daily') }}

),

term_lines as (

    select
        subscription_id,
        customer_id as stripe_customer_id,
        cast(period_start_at as date) as term_start,
        cast(period_end_at as date) as term_end,
        round(
            {{ dbt.datediff('period_start_at', 'period_end_at', 'second') }} / cast(86400 as double) / 30.436875
        ) as term_months
    from lines
    where not is_proration
        and subscription_id is not null

),

terms as (

    select
        subscription_id,
        stripe_customer_id,
        term_end,
        min(term_start) as term_start,
        cast(max(term_months) as integer) as term_months
    from term_lines
    where term_months >= 12
    group by subscription_id, stripe_customer_id, term_end

),

customer_accounts as (

    select distinct stripe_customer_id, account_id
    from customer_mrr
    where account_id is not null

),

dated as (

    select
        terms.*,
        customer_accounts.account_id,
        cast({{ dbt.date_trunc('month', 'terms.term_end') }} as date) as term_end_month,
        least(
            cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', 'terms.term_end')) }} as date),
            cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
        ) as mrr_before_month,
        cast({{ dbt.date_trunc(
            'month', dbt.dateadd('day', var('renewal_outcome_grace_days'), 'terms.term_end')
        ) }} as date) as outcome_month
    from terms
    left join customer_accounts
        on customer_accounts.stripe_customer_id = terms.stripe_customer_id

),

valued as (

    select
        dated.*,
        cast({{ dbt.last_day('dated.outcome_month', 'month') }} as date) as outcome_measured_on,
        -- no mrr_monthly row before a customer's first paid month: it had no MRR then (a true 0)
        case
            when before_row.stripe_customer_id is not null then before_row.mrr
            when first_paid.first_paid_month > dated.mrr_before_month then 0
            when first_paid.first_paid_month is null then 0
        end as mrr_before,
        before_row.mrr_unknown_reason as mrr_before_unknown_reason,
        after_row.mrr as mrr_after_row,
        after_row.stripe_customer_id is not null as has_after_row,
        after_row.mrr_unknown_reason as mrr_after_unknown_reason
    from dated
    left join customer_mrr as before_row
        on before_row.stripe_customer_id = dated.stripe_customer_id
        and before_row.month = dated.mrr_before_month
    left join customer_mrr as after_row
        on after_row.stripe_customer_id = dated.stripe_customer_id
        and after_row.month = dated.outcome_month
    left join (
        select stripe_customer_id, min(first_paid_month) as first_paid_month
        from customer_mrr
        group by stripe_customer_id
    ) as first_paid
        on first_paid.stripe_customer_id = dated.stripe_customer_id

),

judged as (

    select
        *,
        outcome_measured_on <= {{ as_of_date() }} as outcome_known,
        case
            when outcome_measured_on > {{ as_of_date() }} then null
            when has_after_row then mrr_after_row
            else 0
        end as mrr_after
    from valued

),

outcomes as (

    select
        *,
        case
            when not outcome_known or mrr_before is null or mrr_after is null or mrr_before = 0
                then null
            when mrr_after = 0 then 'churned'
            when abs(mrr_after - mrr_before) <= 0.02 * mrr_before then 'renewed'
            when mrr_after > mrr_before then 'expanded'
            else 'contracted'
        end as outcome,
        case
            when not outcome_known
                then 'pending: measured at the end of ' || left(cast(outcome_month as string), 7)
            when mrr_before is null
                then 'mrr_unknown: ' || coalesce(mrr_before_unknown_reason, 'before the term end')
            when mrr_after is null
                then 'mrr_unknown: ' || coalesce(mrr_after_unknown_reason, 'after the term end')
            when mrr_before = 0 then 'no_mrr_before_term_end'
        end as outcome_reason
    from judged

),

forecast_dates as (

    select
        outcomes.*,
        cast({{ dbt.dateadd('day', -60, 'outcomes.term_end') }} as date) as sixty_days_out,
        least(
            cast({{ dbt.dateadd('day', -60, 'outcomes.term_end') }} as date), {{ as_of_date() }}
        ) as forecast_made_on
    from outcomes

),

final as (

    select
        forecast_dates.subscription_id || ':' || cast(forecast_dates.term_end as string)
            as renewal_id,
        forecast_dates.subscription_id,
        forecast_dates.stripe_customer_id,
        forecast_dates.account_id,
        forecast_dates.term_start,
        forecast_dates.term_end,
        forecast_dates.term_months,
        forecast_dates.term_end_month,
        forecast_dates.mrr_before_month,
        cast(forecast_dates.mrr_before as decimal(18, 2)) as mrr_before,
        forecast_dates.outcome_month,
        forecast_dates.outcome_measured_on,
        cast(forecast_dates.mrr_after as decimal(18, 2)) as mrr_after,
        forecast_dates.outcome,
        forecast_dates.outcome_reason,
        case when forecast_dates.outcome is not null
            then cast(forecast_dates.mrr_after - forecast_dates.mrr_before as decimal(18, 2))
        end as mrr_change,
        case when forecast_dates.outcome is not null
            then cast(least(forecast_dates.mrr_after, forecast_dates.mrr_before) as decimal(18, 2))
        end as mrr_kept,
        forecast_dates.sixty_days_out,
        band_then.grade as health_grade_60d_out,
        forecast_dates.forecast_made_on,
        band_at_forecast.grade as forecast_health_grade
    from forecast_dates
    left join health as band_then
        on band_then.account_id = forecast_dates.account_id
        and band_then.as_of_date = forecast_dates.sixty_days_out
    left join health as band_at_forecast
        on band_at_forecast.account_id = forecast_dates.account_id
        and band_at_forecast.as_of_date = forecast_dates.forecast_made_on

)

select * from final
