{#- Every account with its segment (the onboarding program follows from it, config/onboarding.yml)
    and the day onboarding started: the start of the account's first Stripe subscription that
    got past `incomplete` (metrics.md
    §8 counts time to first value from the subscription's start). An account with no Stripe
    subscription yet has no start: NULL with the reason, never its creation date. -#}
with

accounts as (

    select * from {{ ref('stg_app_db__accounts') }}

),

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

first_subscriptions as (

    select
        customer_id,
        min(started_at) as first_subscription_started_at
    from subscriptions
    where started_at <= {{ as_of_end() }}
        -- an incomplete subscription never took a first payment: it did not start anything
        and status not in ('incomplete', 'incomplete_expired')
    group by customer_id

),

final as (

    select
        accounts.account_id,
        accounts.segment,
        accounts.csm_id,
        accounts.stripe_customer_id,
        first_subscriptions.first_subscription_started_at,
        cast(first_subscriptions.first_subscription_started_at as date) as onboarding_start,
        case
            when accounts.stripe_customer_id is null then 'no_stripe_customer'
            when first_subscriptions.customer_id is null then 'no_subscription_started'
        end as onboarding_start_null_reason
    from accounts
    left join first_subscriptions
        on first_subscriptions.customer_id = accounts.stripe_customer_id

)

select * from final
