{#- Dates before the first drop where an item valued from its invoice line (metrics.md §1 History)
    disagrees with a price-based value of the same date, beyond 1e-9 relative. Listed, not resolved:
    - comparison own_price: the line against its own price × its own quantity, less its discounts,
      × the factor of that price's interval. A full line bills exactly that, so any difference is
      an anomaly: the amount is not the price's, or the line was valued over another period than
      its price's (e.g. with today's interval of the item). likely_reason
      line_differs_from_its_price.
    - comparison current_price: the line against the item's current price × quantity less the
      recurring discounts applying then. A price or quantity change since explains it
      (price_changed, quantity_changed); the same price and quantity valued differently
      (amount_differs: a discount gone since, an amount edited) is an anomaly.
    Amounts in minor units of the item's currency. -#}
with

item_mrr as (

    select * from {{ ref('int_subscription_items_normalised_to_mrr') }}
    where mrr_source = 'invoice_line'

),

invoice_lines as (

    select * from {{ ref('int_invoice_lines_normalised_to_mrr') }}

),

prices as (

    select * from {{ ref('int_prices_seen') }}

),

priced_items as (

    select * from {{ ref('int_subscription_items_priced_mrr') }}
    where valuation_basis = 'subscription_dates'
        and not is_invoiced_amount

),

own_price as (

    select
        item_mrr.month,
        item_mrr.valuation_date,
        item_mrr.customer_id,
        item_mrr.subscription_id,
        item_mrr.subscription_item_id,
        item_mrr.currency,
        'own_price' as comparison,
        item_mrr.price_id as invoiced_price_id,
        item_mrr.price_id as compared_price_id,
        item_mrr.quantity as invoiced_quantity,
        item_mrr.quantity as compared_quantity,
        item_mrr.mrr_minor as invoice_line_mrr_minor,
        {{ exact_minor_units(
            '(coalesce(invoice_lines.unit_amount, prices.unit_amount) * invoice_lines.quantity
              - invoice_lines.discount_amount)
             * ' ~ monthly_factor('prices.recurring_interval', 'prices.recurring_interval_count')
        ) }} as compared_mrr_minor,
        'line_differs_from_its_price' as likely_reason
    from item_mrr
    inner join invoice_lines
        on invoice_lines.invoice_line_id = item_mrr.invoice_line_id
    inner join prices
        on prices.price_id = invoice_lines.price_id
    where coalesce(prices.recurring_usage_type, 'licensed') = 'licensed'

),

current_price as (

    select
        item_mrr.month,
        item_mrr.valuation_date,
        item_mrr.customer_id,
        item_mrr.subscription_id,
        item_mrr.subscription_item_id,
        item_mrr.currency,
        'current_price' as comparison,
        item_mrr.price_id as invoiced_price_id,
        priced_items.price_id as compared_price_id,
        item_mrr.quantity as invoiced_quantity,
        priced_items.quantity as compared_quantity,
        item_mrr.mrr_minor as invoice_line_mrr_minor,
        priced_items.mrr_minor as compared_mrr_minor,
        case
            when item_mrr.price_id is distinct from priced_items.price_id then 'price_changed'
            when item_mrr.quantity is distinct from priced_items.quantity then 'quantity_changed'
            else 'amount_differs'
        end as likely_reason
    from item_mrr
    inner join priced_items
        on priced_items.valuation_date = item_mrr.valuation_date
        and priced_items.subscription_item_id = item_mrr.subscription_item_id

),

final as (

    select
        *,
        invoice_line_mrr_minor - compared_mrr_minor as difference_minor,
        likely_reason in ('line_differs_from_its_price', 'amount_differs') as is_anomaly
    from (
        select * from own_price
        union all
        select * from current_price
    ) as compared
    where abs(invoice_line_mrr_minor - compared_mrr_minor)
        > 1e-9 * greatest(abs(invoice_line_mrr_minor), abs(compared_mrr_minor))

)

select * from final
