{#- Dates before the first drop where both history sources value an item and disagree: the invoice
    line covering the date (which MRR uses) and the item's current price × quantity (less the
    recurring discounts applying then). Listed, not resolved: a price change before the first
    drop, a quantity change or a discount that is no longer on the subscription all show here.
    Amounts in minor units of the item's currency; likely_reason says whether the price or
    the quantity differ (else a discount or the amount itself). -#}
with

item_mrr as (

    select * from {{ ref('int_subscription_items_normalised_to_mrr') }}
    where mrr_source = 'invoice_line'

),

priced_items as (

    select * from {{ ref('int_subscription_items_priced_mrr') }}
    where valuation_basis = 'subscription_dates'
        and not is_invoiced_amount

),

final as (

    select
        item_mrr.month,
        item_mrr.valuation_date,
        item_mrr.customer_id,
        item_mrr.subscription_id,
        item_mrr.subscription_item_id,
        item_mrr.currency,
        item_mrr.price_id as invoiced_price_id,
        priced_items.price_id as current_price_id,
        item_mrr.quantity as invoiced_quantity,
        priced_items.quantity as current_quantity,
        item_mrr.mrr_minor as invoice_line_mrr_minor,
        priced_items.mrr_minor as current_price_mrr_minor,
        item_mrr.mrr_minor - priced_items.mrr_minor as difference_minor,
        case
            when item_mrr.price_id is distinct from priced_items.price_id then 'price_changed'
            when item_mrr.quantity is distinct from priced_items.quantity then 'quantity_changed'
            else 'amount_differs'
        end as likely_reason
    from item_mrr
    inner join priced_items
        on priced_items.valuation_date = item_mrr.valuation_date
        and priced_items.subscription_item_id = item_mrr.subscription_item_id
    where abs(item_mrr.mrr_minor - priced_items.mrr_minor)
        > 1e-9 * greatest(abs(item_mrr.mrr_minor), abs(priced_items.mrr_minor))

)

select * from final
