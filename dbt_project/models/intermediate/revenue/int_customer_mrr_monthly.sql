{#- MRR of each billing customer (Stripe customer) for each month: the sum of its items' MRR at the
    end of the month's valuation date, in minor units of the reporting currency, unrounded. One row
    per month from the customer's first month with MRR > 0 to the as-of month, months of zero MRR
    included. -#}
with

valuation_dates as (

    select * from {{ ref('int_revenue_valuation_dates') }}

),

item_mrr as (

    select * from {{ ref('int_subscription_items_normalised_to_mrr') }}

),

customer_month_mrr as (

    select
        customer_id,
        month,
        sum(mrr_reporting_minor) as mrr_minor,
        count(distinct case when mrr_reporting_minor > 0 then subscription_id end) as paying_subscriptions
    from item_mrr
    group by customer_id, month

),

first_paid_months as (

    select
        customer_id,
        min(month) as first_paid_month
    from customer_month_mrr
    where mrr_minor > 0
    group by customer_id

),

customer_months as (

    select
        first_paid_months.customer_id,
        first_paid_months.first_paid_month,
        valuation_dates.month,
        valuation_dates.valuation_date
    from first_paid_months
    inner join valuation_dates
        on valuation_dates.month >= first_paid_months.first_paid_month

),

final as (

    select
        customer_months.customer_id,
        customer_months.month,
        customer_months.valuation_date,
        customer_months.first_paid_month,
        {{ reporting_currency() }} as reporting_currency,
        {{ exact_minor_units('coalesce(customer_month_mrr.mrr_minor, 0)') }} as mrr_minor,
        coalesce(customer_month_mrr.paying_subscriptions, 0) as paying_subscriptions
    from customer_months
    left join customer_month_mrr
        on customer_month_mrr.customer_id = customer_months.customer_id
        and customer_month_mrr.month = customer_months.month

)

select * from final
