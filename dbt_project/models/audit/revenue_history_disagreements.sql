{#- Published list of the dates before the first Stripe drop where an item's invoice line and its
    current price disagree (metrics.md §1 History): MRR used the invoice line; these rows say where
    the two sources differ, in major units of the item's currency. -#}
select
    month,
    valuation_date,
    customer_id as stripe_customer_id,
    subscription_id,
    subscription_item_id,
    currency,
    invoiced_price_id,
    current_price_id,
    invoiced_quantity,
    current_quantity,
    likely_reason,
    cast(round(invoice_line_mrr_minor / 100, 2) as decimal(18, 2)) as invoice_line_mrr,
    cast(round(current_price_mrr_minor / 100, 2) as decimal(18, 2)) as current_price_mrr,
    cast(round(difference_minor / 100, 2) as decimal(18, 2)) as difference
from {{ ref('int_subscription_item_mrr_disagreements') }}
