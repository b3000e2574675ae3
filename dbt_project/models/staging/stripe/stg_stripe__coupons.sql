{#- One row per Stripe coupon: its newest version (latest drop, then latest line) in drops dated <= the
    as-of date. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__coupons') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id']) }}

),

renamed as (

    select
        -- ids
        id as coupon_id,

        -- attributes
        {{ empty_as_null('name') }} as coupon_name,
        {{ empty_as_null('duration') }} as duration,
        duration_in_months,
        times_redeemed,
        max_redemptions,
        {{ empty_as_null('metadata') }} as metadata,

        -- amounts
        percent_off,
        amount_off,
        {{ currency_code('currency') }} as currency,

        -- timestamps
        {{ from_unix_seconds('created') }} as created_at,
        {{ from_unix_seconds('redeem_by') }} as redeem_by,

        -- flags
        valid as is_valid,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
