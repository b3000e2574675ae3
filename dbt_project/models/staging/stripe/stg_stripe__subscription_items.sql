{#- One row per item of the newest version of each Stripe subscription (drops dated <= the as-of
    date). An item that is no longer on that version is not here: it has ended (see
    stg_stripe__subscription_item_versions for its history). -#}
with

subscriptions as (

    select * from {{ source('stripe', 'stripe__subscriptions') }}
    where _drop_date <= {{ as_of_date() }}

),

items as (

    select * from {{ source('stripe', 'stripe__subscription_items') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_subscription_version as (

    {{ newest_version('subscriptions', ['id']) }}

),

renamed as (

    select
        {{ stripe_subscription_item_columns('item', 'subscription') }},

        -- load metadata
        item._drop_date as source_drop_date

    from items as item
    inner join newest_subscription_version as subscription
        on item.subscription_id = subscription.id
        and item._drop_date = subscription._drop_date
        and item._file = subscription._file
        and item._line = subscription._line

)

select * from renamed
