{#- Every Stripe price seen in the drops up to the as-of date, with its recurring terms and unit
    amount. Stripe refuses to change a price's amount, interval or usage type once created, so any
    object carrying a price says the same of it: the prices drops where delivered, else the newest
    subscription item version carrying it, else an invoice line carrying the price object (older
    API). Invoice lines of the newer API name only the price id: this is where their interval
    comes from. -#}
with

prices as (

    select * from {{ ref('stg_stripe__prices') }}

),

item_versions as (

    select * from {{ ref('stg_stripe__subscription_item_versions') }}

),

invoice_lines as (

    select * from {{ ref('stg_stripe__invoice_lines') }}

),

sightings as (

    select
        price_id,
        recurring_interval,
        recurring_interval_count,
        recurring_usage_type,
        coalesce(cast(unit_amount as decimal(38, 9)), cast(unit_amount_decimal as decimal(38, 9))) as unit_amount,
        currency,
        1 as source_rank,
        source_drop_date as seen_in_drop
    from prices

    union all

    select
        price_id,
        recurring_interval,
        recurring_interval_count,
        recurring_usage_type,
        coalesce(cast(unit_amount as decimal(38, 9)), cast(unit_amount_decimal as decimal(38, 9))),
        currency,
        2,
        valid_from_drop
    from item_versions
    where price_id is not null

    union all

    select
        price_id,
        recurring_interval,
        recurring_interval_count,
        recurring_usage_type,
        cast(unit_amount as decimal(38, 9)),
        currency,
        3,
        source_drop_date
    from invoice_lines
    where price_id is not null
        and recurring_interval is not null

),

final as (

    select
        price_id,
        recurring_interval,
        recurring_interval_count,
        recurring_usage_type,
        unit_amount,
        currency,
        case source_rank when 1 then 'prices' when 2 then 'subscription_items' else 'invoice_lines' end
            as seen_in
    from (
        select
            *,
            row_number() over (
                partition by price_id order by source_rank, seen_in_drop desc
            ) as preference
        from sightings
    ) as ranked
    where preference = 1

)

select * from final
