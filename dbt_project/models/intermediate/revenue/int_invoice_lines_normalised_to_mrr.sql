{#- The recurring subscription lines of paid or open Stripe invoices, each as a monthly amount:
    (line amount − its discounts) × the monthly factor of the line's period. Proration lines and
    invoice items (one-time charges) are not MRR. Used for dates before the first drop (metrics.md §1
    History), for metered items (their last invoiced amount) and to cross-check versions.
    The line's period is its price's recurring interval when the line carries the price object, else
    the current item's, else the length of the service period in whole months (or days). -#}
with

invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_stripe__invoice_lines') }}

),

current_items as (

    select * from {{ ref('stg_stripe__subscription_items') }}

),

subscription_lines as (

    select
        invoice_lines.invoice_line_id,
        invoice_lines.invoice_id,
        invoices.customer_id,
        coalesce(invoice_lines.subscription_id, invoices.subscription_id) as subscription_id,
        invoice_lines.subscription_item_id,
        invoice_lines.price_id,
        invoices.status as invoice_status,
        invoices.created_at as invoice_created_at,
        invoice_lines.currency,
        invoice_lines.amount,
        coalesce(invoice_lines.discount_amount, 0) as discount_amount,
        invoice_lines.quantity,
        invoice_lines.period_start_at,
        invoice_lines.period_end_at,
        coalesce(invoice_lines.recurring_usage_type, current_items.recurring_usage_type) as recurring_usage_type,
        coalesce(invoice_lines.recurring_interval, current_items.recurring_interval) as price_interval,
        case
            when invoice_lines.recurring_interval is not null then invoice_lines.recurring_interval_count
            else current_items.recurring_interval_count
        end as price_interval_count,
        {{ dbt.datediff('invoice_lines.period_start_at', 'invoice_lines.period_end_at', 'month') }} as period_months,
        {{ dbt.datediff('invoice_lines.period_start_at', 'invoice_lines.period_end_at', 'day') }} as period_days
    from invoice_lines
    inner join invoices
        on invoices.invoice_id = invoice_lines.invoice_id
    left join current_items
        on current_items.subscription_item_id = invoice_lines.subscription_item_id
    where invoices.status in ('paid', 'open')
        and invoice_lines.line_type = 'subscription'
        and not coalesce(invoice_lines.is_proration, false)
        and invoice_lines.period_end_at > invoice_lines.period_start_at

),

normalised as (

    select
        *,
        case
            when price_interval is not null then {{ monthly_factor('price_interval', 'price_interval_count') }}
            when period_months >= 1 then 1.0 / period_months
            when period_days >= 1 then 365.0 / 12 / period_days
        end as monthly_factor
    from subscription_lines

),

final as (

    select
        invoice_line_id,
        invoice_id,
        customer_id,
        subscription_id,
        subscription_item_id,
        price_id,
        invoice_status,
        invoice_created_at,
        currency,
        amount,
        discount_amount,
        quantity,
        period_start_at,
        period_end_at,
        coalesce(recurring_usage_type, 'licensed') as recurring_usage_type,
        monthly_factor,
        {{ exact_minor_units('(amount - discount_amount) * monthly_factor') }} as line_mrr_minor
    from normalised

)

select * from final
