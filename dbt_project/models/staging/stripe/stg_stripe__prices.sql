{#- One row per Stripe price: its newest version (latest drop, then latest line) in drops dated <= the
    as-of date. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__prices') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id']) }}

),

renamed as (

    select
        -- ids
        id as price_id,
        {{ empty_as_null('product') }} as product_id,

        -- attributes
        {{ empty_as_null('type') }} as price_type,
        {{ empty_as_null('billing_scheme') }} as billing_scheme,
        {{ empty_as_null('recurring_interval') }} as recurring_interval,
        recurring_interval_count,
        {{ empty_as_null('recurring_usage_type') }} as recurring_usage_type,
        {{ empty_as_null('nickname') }} as nickname,
        {{ empty_as_null('lookup_key') }} as lookup_key,
        {{ empty_as_null('metadata') }} as metadata,

        -- amounts
        unit_amount,
        {{ empty_as_null('unit_amount_decimal') }} as unit_amount_decimal,
        {{ currency_code('currency') }} as currency,

        -- timestamps
        {{ from_unix_seconds('created') }} as created_at,

        -- flags
        active as is_active,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
