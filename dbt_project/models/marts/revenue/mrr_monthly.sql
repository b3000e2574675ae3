{#- MRR per billing customer (Stripe customer) and month, mapped to the account, with the month's
    movement against the previous month (metrics.md §1). Each customer's MRR is rounded to the cent
    once, here; the movement is classified on those amounts and every revenue mart sums them, so the
    identity mrr_end = mrr_start + new + reactivation + expansion − contraction − churn holds exactly.
    A customer with no account keeps its rows with account_id NULL. Months in which the customer
    neither had nor has MRR are 'inactive'. -#}
with

customer_mrr as (

    select * from {{ ref('int_customer_mrr_monthly') }}

),

accounts as (

    select * from {{ ref('stg_app_db__accounts') }}

),

-- one account per Stripe customer; two accounts claiming one customer is a cross-source
-- discrepancy reported elsewhere, and the lowest account_id keeps the revenue here
customer_accounts as (

    select
        stripe_customer_id,
        min(account_id) as account_id
    from accounts
    where stripe_customer_id is not null
    group by stripe_customer_id

),

rounded as (

    select
        customer_id,
        month,
        valuation_date,
        first_paid_month,
        reporting_currency,
        {{ to_major_units('mrr_minor') }} as mrr
    from customer_mrr

),

with_previous as (

    select
        *,
        coalesce(lag(mrr) over (partition by customer_id order by month), 0) as previous_mrr
    from rounded

),

classified as (

    select
        *,
        case
            when previous_mrr = 0 and mrr > 0 and month = first_paid_month then 'new'
            when previous_mrr = 0 and mrr > 0 then 'reactivation'
            when previous_mrr > 0 and mrr = 0 then 'churn'
            when previous_mrr > 0 and mrr > previous_mrr then 'expansion'
            when previous_mrr > 0 and mrr < previous_mrr then 'contraction'
            when previous_mrr > 0 and mrr = previous_mrr then 'retained'
            else 'inactive'
        end as movement_category
    from with_previous

),

final as (

    select
        classified.month,
        classified.valuation_date,
        classified.customer_id as stripe_customer_id,
        customer_accounts.account_id,
        classified.reporting_currency,
        classified.first_paid_month,
        classified.mrr,
        classified.previous_mrr,
        cast(classified.mrr - classified.previous_mrr as decimal(18, 2)) as mrr_change,
        classified.movement_category,
        cast(case when movement_category = 'new' then mrr else 0 end as decimal(18, 2)) as new_mrr,
        cast(case when movement_category = 'reactivation' then mrr else 0 end as decimal(18, 2)) as reactivation_mrr,
        cast(case when movement_category = 'expansion' then mrr - previous_mrr else 0 end as decimal(18, 2)) as expansion_mrr,
        cast(case when movement_category = 'contraction' then previous_mrr - mrr else 0 end as decimal(18, 2)) as contraction_mrr,
        cast(case when movement_category = 'churn' then previous_mrr else 0 end as decimal(18, 2)) as churned_mrr
    from classified
    left join customer_accounts
        on customer_accounts.stripe_customer_id = classified.customer_id

)

select * from final
