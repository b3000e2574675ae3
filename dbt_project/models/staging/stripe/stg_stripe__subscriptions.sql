{#- One row per Stripe subscription: its newest version (latest drop, then latest line) in drops
    dated <= the as-of date. current_period_* here is the subscription-level field of the older API
    shape (NULL in 2025-03-31+ shapes); stg_stripe__subscription_items carries the period for both. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__subscriptions') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id']) }}

),

renamed as (

    select
        {{ stripe_subscription_columns() }},

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
