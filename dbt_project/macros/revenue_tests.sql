{#- Published MRR reconciles with the Stripe-derived item MRR (a dbt-side consistency test; validation
    rule 6 itself reconciles with the raw invoices in the gate): for every month, the model's
    `mrr_column` equals the sum over billing customers of their item MRR rounded to the cent, and
    stays within half a cent per customer of the unrounded item total. A customer lost or counted
    twice on the way to the marts (account mapping, month spine) fails it. A month with an item
    without an amount must be published as NULL (and only such a month). -#}
{% test mrr_reconciles_with_item_mrr(model, item_mrr, mrr_column='mrr_end') %}
with

customer_items as (

    select
        month,
        customer_id,
        case when count(*) filter (where mrr_reporting_minor is null) = 0
            then sum(mrr_reporting_minor) end as mrr_minor
    from {{ item_mrr }}
    group by month, customer_id

),

stripe_derived as (

    select
        month,
        sum({{ to_major_units('mrr_minor') }}) as rounded_mrr,
        sum(mrr_minor) / 100 as unrounded_mrr,
        count(*) as customers,
        count(*) filter (where mrr_minor is null) as unknown_customers
    from customer_items
    group by month

),

published as (

    select month, {{ mrr_column }} as mrr
    from {{ model }}

)

select
    coalesce(published.month, stripe_derived.month) as month,
    published.mrr as published_mrr,
    stripe_derived.rounded_mrr,
    stripe_derived.unrounded_mrr
from published
full outer join stripe_derived
    on stripe_derived.month = published.month
where (published.mrr is null) <> (coalesce(stripe_derived.unknown_customers, 0) > 0)
    or (
        published.mrr is not null
        and (
            published.mrr <> coalesce(stripe_derived.rounded_mrr, 0)
            or abs(published.mrr - coalesce(stripe_derived.unrounded_mrr, 0))
                > 0.005 * coalesce(stripe_derived.customers, 0)
        )
    )
{% endtest %}
