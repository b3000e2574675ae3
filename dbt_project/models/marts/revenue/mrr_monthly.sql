{#- MRR per billing customer (Stripe customer) and month, mapped to the account, with the month's
    movement against the previous month (metrics.md §1). Each customer's MRR is rounded to the cent
    once, here; the movement is classified on those amounts and every revenue mart sums them, so the
    identity mrr_end = mrr_start + new + reactivation + expansion − contraction − churn holds exactly.
    A customer with no account keeps its rows with account_id NULL; a deleted account keeps its
    history (the account is mapped whatever its state today). Months in which the customer neither
    had nor has MRR are 'inactive'. A month whose MRR (or the previous month's) is not known has
    movement 'unknown', its amounts NULL and the reason in mrr_unknown_reason: never a 0. -#}
with

customer_mrr as (

    select * from {{ ref('int_customer_mrr_monthly') }}

),

accounts as (

    select * from {{ ref('stg_app_db__accounts_with_deleted') }}

),

-- one account per Stripe customer; two accounts claiming one customer is a cross-source
-- discrepancy reported elsewhere: an account that exists today keeps the revenue over a deleted
-- one, then the lowest account_id
customer_accounts as (

    select stripe_customer_id, account_id
    from (
        select
            stripe_customer_id,
            account_id,
            row_number() over (
                partition by stripe_customer_id
                order by case when deleted_at is null then 0 else 1 end, account_id
            ) as preference
        from accounts
        where stripe_customer_id is not null
    ) as ranked
    where preference = 1

),

rounded as (

    select
        customer_id,
        month,
        valuation_date,
        first_paid_month,
        reporting_currency,
        {{ to_major_units('mrr_minor') }} as mrr,
        mrr_unknown_reason
    from customer_mrr

),

with_previous as (

    select
        *,
        -- the first month's previous is 0 by definition: the rows start at the first month with MRR
        case when lag(month) over (partition by customer_id order by month) is null then 0
            else lag(mrr) over (partition by customer_id order by month) end as previous_mrr
    from rounded

),

classified as (

    select
        *,
        case
            when mrr is null or previous_mrr is null then 'unknown'
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
        {% for name, amount, category in [
            ('new_mrr', 'mrr', 'new'),
            ('reactivation_mrr', 'mrr', 'reactivation'),
            ('expansion_mrr', 'mrr - previous_mrr', 'expansion'),
            ('contraction_mrr', 'previous_mrr - mrr', 'contraction'),
            ('churned_mrr', 'previous_mrr', 'churn'),
        ] -%}
        cast(case when movement_category = 'unknown' then null
            when movement_category = '{{ category }}' then {{ amount }} else 0 end as decimal(18, 2)) as {{ name }},
        {% endfor -%}
        classified.mrr_unknown_reason
    from classified
    left join customer_accounts
        on customer_accounts.stripe_customer_id = classified.customer_id

)

select * from final
