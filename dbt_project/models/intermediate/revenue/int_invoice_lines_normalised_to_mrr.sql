{#- The subscription lines of paid or open Stripe invoices that bill a service period, valued per
    month (metrics.md §1 History). Used for dates before the first drop, for metered items (their
    last invoiced amount) and to cross-check versions.
    - The line's period is its own price's recurring interval (the price object on the line, else
      the price as any drop shows it: int_prices_seen), else the length of its own service period:
      whole months (28–31 days a month, within 3 days: 365 is 12), else whole weeks, else days.
      Never the interval of the item as it is today: a customer now on annual billing had monthly
      lines before the move.
    - A non-proration line: (amount − its discounts) × the monthly factor of its period.
    - A proration line bills part of a period: it has no monthly amount of its own. A proration
      charge (amount > 0) carries its price × quantity × the factor of its price (else of the
      period of the non-proration line it falls in): the item's amount from the charge's period
      start (before discounts, which apply as for any price).
    An amount that cannot be worked out is NULL with `mrr_null_reason`, never a default. -#}
with

invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_stripe__invoice_lines') }}

),

prices as (

    select * from {{ ref('int_prices_seen') }}

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
        invoice_lines.discount_amount,
        invoice_lines.quantity,
        coalesce(invoice_lines.is_proration, false) as is_proration,
        invoice_lines.period_start_at,
        invoice_lines.period_end_at,
        -- the line's own price: on the line (older API), else as the drops show that price
        case when invoice_lines.recurring_interval is not null
            then invoice_lines.recurring_interval else prices.recurring_interval end as price_interval,
        case when invoice_lines.recurring_interval is not null
            then invoice_lines.recurring_interval_count else prices.recurring_interval_count end
            as price_interval_count,
        coalesce(invoice_lines.recurring_usage_type, prices.recurring_usage_type) as recurring_usage_type,
        coalesce(
            cast(invoice_lines.unit_amount as decimal(38, 9)),
            cast(invoice_lines.unit_amount_decimal as decimal(38, 9)),
            prices.unit_amount
        ) as unit_amount,
        {{ dbt.datediff('invoice_lines.period_start_at', 'invoice_lines.period_end_at', 'second') }} / cast(86400 as double)
            as period_days
    from invoice_lines
    inner join invoices
        on invoices.invoice_id = invoice_lines.invoice_id
    left join prices
        on prices.price_id = invoice_lines.price_id
    where invoices.status in ('paid', 'open')
        and invoice_lines.line_type = 'subscription'
        and invoice_lines.period_end_at > invoice_lines.period_start_at

),

periods as (

    select
        *,
        round(period_days / 30.436875) as period_months,
        abs(period_days - round(period_days)) < 1e-6 as is_whole_days
    from subscription_lines

),

own_factors as (

    select
        *,
        case
            when price_interval is not null then {{ monthly_factor('price_interval', 'price_interval_count') }}
            when is_proration then null
            when period_months >= 1 and abs(period_days - 30.436875 * period_months) <= 3
                then 1.0 / period_months
            when is_whole_days and cast(round(period_days) as bigint) % 7 = 0
                then cast(52 as double) / 12 / (round(period_days) / 7)
            when is_whole_days then cast(365 as double) / 12 / round(period_days)
        end as own_factor,
        case
            when price_interval is not null then 'price'
            when is_proration then null
            when period_months >= 1 and abs(period_days - 30.436875 * period_months) <= 3 then 'period_months'
            when is_whole_days and cast(round(period_days) as bigint) % 7 = 0 then 'period_weeks'
            when is_whole_days then 'period_days'
        end as factor_source
    from periods

),

-- a proration line whose price is unknown takes the period of the full line it falls in
enclosing as (

    select * from (
        select
            proration.invoice_line_id,
            cycle.own_factor as enclosing_factor,
            row_number() over (
                partition by proration.invoice_line_id
                order by cycle.invoice_created_at desc, cycle.invoice_line_id desc
            ) as recency
        from own_factors as proration
        inner join own_factors as cycle
            on cycle.subscription_item_id = proration.subscription_item_id
            and not cycle.is_proration
            and cycle.period_start_at <= proration.period_start_at
            and cycle.period_end_at >= proration.period_end_at
        where proration.is_proration
            and proration.own_factor is null
    ) as ranked
    where recency = 1

),

factored as (

    select
        own_factors.*,
        coalesce(own_factors.own_factor, enclosing.enclosing_factor) as monthly_factor,
        coalesce(
            own_factors.factor_source,
            case when enclosing.enclosing_factor is not null then 'enclosing_line_period' end
        ) as monthly_factor_source
    from own_factors
    left join enclosing
        on enclosing.invoice_line_id = own_factors.invoice_line_id

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
        unit_amount,
        is_proration,
        period_start_at,
        period_end_at,
        price_interval as recurring_interval,
        price_interval_count as recurring_interval_count,
        coalesce(recurring_usage_type, 'licensed') as recurring_usage_type,
        monthly_factor,
        monthly_factor_source,
        case when not is_proration
            then {{ exact_minor_units('(amount - discount_amount) * monthly_factor') }}
        end as line_mrr_minor,
        case when is_proration and amount > 0
            then {{ exact_minor_units('unit_amount * quantity * monthly_factor') }}
        end as price_mrr_minor,
        case
            when is_proration and amount <= 0 then null
            when monthly_factor is null and price_interval is not null then 'price_interval_not_normalisable'
            when monthly_factor is null then 'period_not_a_billing_interval'
            when not is_proration and discount_amount is null then 'discount_amount_missing'
            when is_proration and amount > 0 and unit_amount is null then 'proration_price_unknown'
            when is_proration and amount > 0 and quantity is null then 'proration_quantity_missing'
        end as mrr_null_reason
    from factored

)

select * from final
