{#- One row per Stripe refund: its newest version (latest drop, then latest line) in drops dated <= the
    as-of date. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__refunds') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id']) }}

),

renamed as (

    select
        -- ids
        id as refund_id,
        {{ empty_as_null('charge') }} as charge_id,
        {{ empty_as_null('payment_intent') }} as payment_intent_id,

        -- attributes
        status,
        {{ empty_as_null('reason') }} as reason,
        {{ empty_as_null('metadata') }} as metadata,

        -- amounts (minor units of `currency`)
        {{ currency_code('currency') }} as currency,
        amount,

        -- timestamps
        {{ from_unix_seconds('created') }} as created_at,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
