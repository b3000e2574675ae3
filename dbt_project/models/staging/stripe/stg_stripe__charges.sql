{#- One row per Stripe charge: its newest version (latest drop, then latest line) in drops dated <= the
    as-of date. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__charges') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id']) }}

),

renamed as (

    select
        -- ids
        id as charge_id,
        {{ empty_as_null('customer') }} as customer_id,
        {{ empty_as_null('invoice') }} as invoice_id,
        {{ empty_as_null('payment_intent') }} as payment_intent_id,

        -- attributes
        status,
        {{ empty_as_null('failure_code') }} as failure_code,
        {{ empty_as_null('failure_message') }} as failure_message,
        {{ empty_as_null('outcome_type') }} as outcome_type,
        {{ empty_as_null('outcome_reason') }} as outcome_reason,
        {{ empty_as_null('outcome_network_status') }} as outcome_network_status,
        {{ empty_as_null('outcome_seller_message') }} as outcome_seller_message,
        {{ empty_as_null('description') }} as description,
        {{ empty_as_null('metadata') }} as metadata,

        -- amounts (minor units of `currency`)
        {{ currency_code('currency') }} as currency,
        amount,
        amount_captured,
        amount_refunded,

        -- timestamps
        {{ from_unix_seconds('created') }} as created_at,

        -- flags
        paid as is_paid,
        captured as is_captured,
        refunded as is_refunded,
        disputed as is_disputed,
        livemode as is_livemode,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
