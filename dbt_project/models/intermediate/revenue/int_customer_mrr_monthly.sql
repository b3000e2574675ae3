{#- MRR of each billing customer (Stripe customer) for each month: the sum of its items' MRR at the
    end of the month's valuation date, in minor units of the reporting currency, unrounded. One row
    per month from the customer's first month with MRR > 0 to the as-of month, months of zero MRR
    included. A month in which an item of the customer has no amount (a metered item never invoiced,
    a price that cannot be normalised) has NULL mrr_minor, with the items' reasons: a sum that left
    them out would report them as 0. -#}
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
        case when count(*) filter (where mrr_reporting_minor is null) = 0
            then sum(mrr_reporting_minor) end as mrr_minor,
        cast(count(*) filter (where mrr_reporting_minor is null) as integer) as unvalued_items,
        {{ csw_string_agg("coalesce(mrr_null_reason, 'no_fx_rate')", "', '", distinct=true,
            condition='mrr_reporting_minor is null') }} as mrr_unknown_reason,
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
        -- no item counted in the month: a true zero (the customer's subscriptions are all known)
        {{ exact_minor_units(
            'case when customer_month_mrr.customer_id is null then 0 else customer_month_mrr.mrr_minor end'
        ) }} as mrr_minor,
        coalesce(customer_month_mrr.unvalued_items, 0) as unvalued_items,
        customer_month_mrr.mrr_unknown_reason,
        coalesce(customer_month_mrr.paying_subscriptions, 0) as paying_subscriptions
    from customer_months
    left join customer_month_mrr
        on customer_month_mrr.customer_id = customer_months.customer_id
        and customer_month_mrr.month = customer_months.month

)

select * from final
