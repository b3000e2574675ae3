{#- Published list of the dates before the first Stripe drop where an item's invoice line disagrees
    with its own price (an anomaly) or with the item's current price (explained by a change since,
    or an anomaly) (metrics.md §1 History): MRR used the invoice line; these rows say where the
    sources differ, in major units of the item's currency. Anomalies (is_anomaly) stay open in
    audit.anomalies until reviewed (validation rule 13). -#}
select
    month,
    valuation_date,
    customer_id as stripe_customer_id,
    subscription_id,
    subscription_item_id,
    currency,
    comparison,
    invoiced_price_id,
    compared_price_id,
    invoiced_quantity,
    compared_quantity,
    likely_reason,
    is_anomaly,
    {{ to_major_units('invoice_line_mrr_minor') }} as invoice_line_mrr,
    {{ to_major_units('compared_mrr_minor') }} as compared_mrr,
    {{ to_major_units('difference_minor') }} as difference
from {{ ref('int_subscription_item_mrr_disagreements') }}
