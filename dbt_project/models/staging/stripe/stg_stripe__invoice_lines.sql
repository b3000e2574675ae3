{#- One row per line of the newest version of each Stripe invoice (drops dated <= the as-of date).
    line_type is the older API's `type` or the newer API's parent.type mapped onto the same two
    values (subscription_item_details -> subscription, invoice_item_details -> invoiceitem). -#}
with

invoices as (

    select * from {{ source('stripe', 'stripe__invoices') }}
    where _drop_date <= {{ as_of_date() }}

),

lines as (

    select * from {{ source('stripe', 'stripe__invoice_lines') }}
    where _drop_date <= {{ as_of_date() }}

),

newest_invoice_version as (

    {{ newest_version('invoices', ['id']) }}

),

renamed as (

    select
        -- ids
        line.id as invoice_line_id,
        line.invoice_id,
        {{ empty_as_null('line.subscription') }} as subscription_id,
        {{ empty_as_null('line.subscription_item') }} as subscription_item_id,
        {{ empty_as_null('line.invoice_item') }} as invoice_item_id,
        {{ empty_as_null('line.price_id') }} as price_id,

        -- attributes
        line.line_index,
        case {{ empty_as_null('line.parent_type') }}
            when 'subscription_item_details' then 'subscription'
            when 'invoice_item_details' then 'invoiceitem'
            else {{ empty_as_null('line.type') }}
        end as line_type,
        {{ empty_as_null('line.description') }} as description,
        {{ empty_as_null('line.price_type') }} as price_type,
        {{ empty_as_null('line.price_recurring_interval') }} as recurring_interval,
        line.price_recurring_interval_count as recurring_interval_count,
        {{ empty_as_null('line.price_recurring_usage_type') }} as recurring_usage_type,
        {{ empty_as_null('line.metadata') }} as metadata,

        -- amounts (minor units of `currency`)
        {{ currency_code('line.currency') }} as currency,
        line.amount,
        line.discount_amount,
        line.quantity,
        line.price_unit_amount as unit_amount,
        {{ empty_as_null('line.pricing_unit_amount_decimal') }} as unit_amount_decimal,

        -- timestamps
        {{ from_unix_seconds('line.period_start') }} as period_start_at,
        {{ from_unix_seconds('line.period_end') }} as period_end_at,

        -- flags
        line.proration as is_proration,
        line.discountable as is_discountable,

        -- load metadata
        line._drop_date as source_drop_date

    from lines as line
    inner join newest_invoice_version as invoice
        on line.invoice_id = invoice.id
        and line._drop_date = invoice._drop_date
        and line._file = invoice._file
        and line._line = invoice._line

)

select * from renamed
