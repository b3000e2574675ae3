{#- One row per Stripe invoice: its newest version (latest drop, then latest line) in drops dated
    <= the as-of date. Both API shapes: ingest already put the subscription of either shape in one
    column; `paid` exists only in the older API, so is_paid falls back to status = 'paid'. -#}
with

source as (

    select * from {{ source('stripe', 'stripe__invoices') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_version as (

    {{ newest_version('source', ['id']) }}

),

renamed as (

    select
        -- ids
        id as invoice_id,
        {{ empty_as_null('customer') }} as customer_id,
        {{ empty_as_null('subscription') }} as subscription_id,
        {{ empty_as_null('number') }} as invoice_number,

        -- attributes
        status,
        {{ empty_as_null('billing_reason') }} as billing_reason,
        {{ empty_as_null('collection_method') }} as collection_method,
        attempt_count,
        line_count,
        {{ empty_as_null('metadata') }} as metadata,

        -- amounts (minor units of `currency`)
        {{ currency_code('currency') }} as currency,
        amount_due,
        amount_paid,
        amount_remaining,
        subtotal,
        total,
        total_discount_amount,
        starting_balance,
        ending_balance,

        -- timestamps
        {{ from_unix_seconds('created') }} as created_at,
        {{ from_unix_seconds('period_start') }} as period_start_at,
        {{ from_unix_seconds('period_end') }} as period_end_at,
        {{ from_unix_seconds('due_date') }} as due_at,
        {{ from_unix_seconds('effective_at') }} as effective_at,
        {{ from_unix_seconds('finalized_at') }} as finalized_at,
        {{ from_unix_seconds('paid_at') }} as paid_at,
        {{ from_unix_seconds('voided_at') }} as voided_at,
        {{ from_unix_seconds('marked_uncollectible_at') }} as marked_uncollectible_at,

        -- flags
        attempted as is_attempted,
        coalesce(paid, status = 'paid') as is_paid,
        lines_has_more as has_more_lines,
        livemode as is_livemode,

        -- load metadata
        _drop_date as source_drop_date

    from newest_version

)

select * from renamed
