{#- One row per account of the application database, plus one per Stripe customer that no account
    claims (account_id NULL), with its current attributes and revenue as of the as-of date.
    plan is what the database says; billed_plan is what Stripe bills: the plan named by the price of
    the customer's largest current item, its metadata.plan, else its lookup_key (NULL when neither, or
    when nothing is billed). metadata.plan comes first because it names a plan (growth) where a
    lookup_key names a price (growth_monthly_eur). Revenue is missing (NULL), not zero, for an account with no Stripe customer
    or one unknown to Stripe. status: paying (MRR > 0 now), trialing (no MRR, a trialing
    subscription), churned (had MRR, none now), never_paid (known to Stripe, never had MRR),
    not_billed (no Stripe customer, or one Stripe does not know). -#}
with

accounts as (

    select * from {{ ref('stg_app_db__accounts') }}

),

csms as (

    select * from {{ ref('stg_app_db__csms') }}

),

customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

mrr_monthly as (

    select * from {{ ref('mrr_monthly') }}

),

valuation_dates as (

    select * from {{ ref('int_revenue_valuation_dates') }}

),

priced_items as (

    select * from {{ ref('int_subscription_items_priced_mrr') }}

),

as_of_month as (

    select max(month) as month, max(valuation_date) as valuation_date
    from valuation_dates

),

current_mrr as (

    select mrr_monthly.*
    from mrr_monthly
    inner join as_of_month
        on as_of_month.month = mrr_monthly.month

),

billed_plans as (

    select * from (
        select
            priced_items.customer_id,
            coalesce(priced_items.metadata_plan, priced_items.price_lookup_key) as billed_plan,
            row_number() over (
                partition by priced_items.customer_id
                order by priced_items.mrr_minor desc, priced_items.subscription_item_id
            ) as item_rank
        from priced_items
        inner join as_of_month
            on as_of_month.valuation_date = priced_items.valuation_date
    ) as ranked
    where item_rank = 1

),

lifecycle_stages as (

    select * from {{ ref('lifecycle_stages_current') }}

),

latest_health as (

    select account_id, score as health_score, grade as health_grade, as_of_date as health_scored_on
    from {{ source('transforms', 'health_scores_daily') }}
    qualify row_number() over (partition by account_id order by as_of_date desc) = 1

),

customer_statuses as (

    select account_id, customer_status
    from {{ ref('int_account_status_daily') }}
    where as_of_date = {{ as_of_date() }}

),

trialing_customers as (

    select distinct customer_id
    from subscriptions
    where status = 'trialing'

),

billing_entities as (

    select
        accounts.account_id,
        accounts.stripe_customer_id,
        accounts.account_name,
        accounts.segment,
        accounts.plan,
        accounts.csm_id,
        accounts.created_at
    from accounts

    union all

    select
        cast(null as {{ dbt.type_string() }}) as account_id,
        customers.customer_id as stripe_customer_id,
        customers.customer_name as account_name,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as plan,
        cast(null as {{ dbt.type_string() }}) as csm_id,
        customers.created_at
    from customers
    where not exists (
        select 1 from accounts where accounts.stripe_customer_id = customers.customer_id
    )

),

final as (

    select
        billing_entities.account_id,
        billing_entities.stripe_customer_id,
        billing_entities.account_name,
        billing_entities.segment,
        billing_entities.plan,
        billed_plans.billed_plan,
        billing_entities.csm_id,
        csms.csm_name,
        billing_entities.created_at,
        current_mrr.first_paid_month,
        (select reporting_currency from current_mrr limit 1) as reporting_currency,
        case
            when customers.customer_id is null then null
            else cast(coalesce(current_mrr.mrr, 0) as decimal(18, 2))
        end as current_mrr,
        case
            when customers.customer_id is null then 'not_billed'
            when current_mrr.mrr > 0 then 'paying'
            when trialing_customers.customer_id is not null then 'trialing'
            when current_mrr.first_paid_month is not null then 'churned'
            else 'never_paid'
        end as status,
        customer_statuses.customer_status,
        billing_entities.account_id is not null as has_account,
        customers.customer_id is not null as is_known_to_stripe,
        coalesce(customers.is_deleted, false) as is_deleted_in_stripe,
        lifecycle_stages.stage as lifecycle_stage,
        latest_health.health_score,
        latest_health.health_grade,
        latest_health.health_scored_on
    from billing_entities
    left join customers
        on customers.customer_id = billing_entities.stripe_customer_id
    left join current_mrr
        on current_mrr.stripe_customer_id = billing_entities.stripe_customer_id
    left join billed_plans
        on billed_plans.customer_id = billing_entities.stripe_customer_id
    left join trialing_customers
        on trialing_customers.customer_id = billing_entities.stripe_customer_id
    left join csms
        on csms.csm_id = billing_entities.csm_id
    left join lifecycle_stages
        on lifecycle_stages.account_id = billing_entities.account_id
    left join latest_health
        on latest_health.account_id = billing_entities.account_id
    left join customer_statuses
        on customer_statuses.account_id = billing_entities.account_id

)

select * from final
