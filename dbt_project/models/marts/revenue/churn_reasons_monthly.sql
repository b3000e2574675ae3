{#- MRR and logos lost per month by Stripe's cancellation_details (metrics.md §11, churn reasons):
    every billing customer with movement 'churn' in mrr_monthly counts once, under the reason and
    feedback of the subscription that ended, so each month's rows add up exactly to that month's
    churned MRR and logos in mrr_movements_monthly (the gate's rule 12 recomputes it from raw).
    The subscription that ended is the customer's subscription whose ended_at falls in the churn
    month, the latest first (then the highest id); a churn with no such subscription (an unpaid or
    paused subscription that stopped counting) or with no details given is 'not given', its own
    value, never dropped. A month in which some customer's MRR is not known has its amounts and
    logo counts NULL, as in mrr_movements_monthly: its churn total is not known either. -#}
with

mrr_monthly as (

    select * from {{ ref('mrr_monthly') }}

),

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

months_unknown as (

    select month, count(*) filter (where movement_category = 'unknown') as customers_mrr_unknown
    from mrr_monthly
    group by month

),

churned as (

    select month, stripe_customer_id, reporting_currency, churned_mrr
    from mrr_monthly
    where movement_category = 'churn'

),

ended_subscriptions as (

    select
        churned.month,
        churned.stripe_customer_id,
        churned.reporting_currency,
        churned.churned_mrr,
        subscriptions.cancellation_reason,
        subscriptions.cancellation_feedback,
        row_number() over (
            partition by churned.month, churned.stripe_customer_id
            order by subscriptions.ended_at desc nulls last, subscriptions.subscription_id desc nulls last
        ) as ended_rank
    from churned
    left join subscriptions
        on subscriptions.customer_id = churned.stripe_customer_id
        and cast({{ dbt.date_trunc('month', 'subscriptions.ended_at') }} as date) = churned.month

),

attributed as (

    select
        month,
        stripe_customer_id,
        reporting_currency,
        churned_mrr,
        coalesce(cancellation_reason, 'not given') as cancellation_reason,
        coalesce(cancellation_feedback, 'not given') as cancellation_feedback
    from ended_subscriptions
    where ended_rank = 1

),

grouped as (

    select
        month,
        cancellation_reason,
        cancellation_feedback,
        max(reporting_currency) as reporting_currency,
        count(*) as logos_lost,
        sum(churned_mrr) as mrr_lost
    from attributed
    group by month, cancellation_reason, cancellation_feedback

),

month_totals as (

    select month, sum(logos_lost) as month_logos_churned, sum(mrr_lost) as month_churned_mrr
    from grouped
    group by month

),

final as (

    select
        grouped.month,
        grouped.cancellation_reason,
        grouped.cancellation_feedback,
        grouped.reporting_currency,
        {%- set known = 'months_unknown.customers_mrr_unknown = 0' %}
        cast(case when {{ known }} then grouped.logos_lost end as integer) as logos_lost,
        cast(case when {{ known }} then grouped.mrr_lost end as decimal(18, 2)) as mrr_lost,
        cast(case when {{ known }} then month_totals.month_logos_churned end as integer) as month_logos_churned,
        cast(case when {{ known }} then month_totals.month_churned_mrr end as decimal(18, 2)) as month_churned_mrr,
        cast(case when {{ known }} then {{ safe_ratio('grouped.logos_lost', 'month_totals.month_logos_churned') }} end as double)
            as logo_share,
        cast(case when {{ known }} and month_totals.month_churned_mrr > 0
            then {{ safe_ratio('grouped.mrr_lost', 'month_totals.month_churned_mrr') }} end as double) as mrr_share,
        {#- in doubles: Spark divides two decimals as a decimal of 10 places -#}
        cast(months_unknown.customers_mrr_unknown as integer) as customers_mrr_unknown,
        case when months_unknown.customers_mrr_unknown > 0
            then 'mrr_unknown: ' || months_unknown.customers_mrr_unknown
                || ' customers of the month have no known MRR, so its churn total is not known'
        end as unknown_reason
    from grouped
    inner join month_totals on month_totals.month = grouped.month
    inner join months_unknown on months_unknown.month = grouped.month

)

select * from final
