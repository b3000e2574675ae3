{#- MRR of every subscription item on every valuation date it counts (metrics.md §1), in minor units
    of its currency and of the reporting currency.
    - Dates covered by drops: the price-based MRR of the versions valid then.
    - Dates before the first drop: for a subscription counted by its dates, the non-proration
      subscription lines of its paid or open invoices whose service period covers the date, except
      for an item changed mid-term since its line's period began (priced from its proration charge
      by int_subscription_items_priced_mrr: mrr_source proration_line); where no invoice covers the
      subscription, the items' current price × quantity. Disagreements between a line and the price
      are listed in int_subscription_item_mrr_disagreements, not resolved here.
    An item whose amount cannot be worked out keeps NULL mrr_minor with its mrr_null_reason.
    Conversion: the FX rate of the valuation date or the latest within the 7 days before it. A missing
    rate leaves fx_rate NULL, which fails the build (a not_null test of severity error): never 1.0. -#}
with

priced_items as (

    select * from {{ ref('int_subscription_items_priced_mrr') }}

),

invoice_lines as (

    select * from {{ ref('int_invoice_lines_normalised_to_mrr') }}

),

fx_rates as (

    select * from {{ ref('stg_fx_rates__fx_rates') }}

),

historical_subscriptions as (

    select distinct
        month,
        valuation_date,
        valued_at,
        customer_id,
        subscription_id,
        subscription_status
    from priced_items
    where valuation_basis in ('subscription_dates', 'proration_line')

),

mid_term_changes as (

    select valuation_date, subscription_item_id
    from priced_items
    where valuation_basis = 'proration_line'

),

-- one line per item and date: a re-issued invoice for the same period must not count twice
covering_lines as (

    select * from (
        select
            historical_subscriptions.*,
            invoice_lines.subscription_item_id,
            invoice_lines.price_id,
            invoice_lines.invoice_line_id,
            invoice_lines.currency,
            invoice_lines.monthly_factor,
            invoice_lines.quantity,
            invoice_lines.line_mrr_minor,
            invoice_lines.mrr_null_reason,
            row_number() over (
                partition by historical_subscriptions.valuation_date, historical_subscriptions.subscription_id,
                    coalesce(invoice_lines.subscription_item_id, invoice_lines.price_id, invoice_lines.invoice_line_id)
                order by invoice_lines.invoice_created_at desc, invoice_lines.invoice_line_id desc
            ) as recency
        from historical_subscriptions
        inner join invoice_lines
            on invoice_lines.subscription_id = historical_subscriptions.subscription_id
            and invoice_lines.period_start_at <= historical_subscriptions.valued_at
            and invoice_lines.period_end_at > historical_subscriptions.valued_at
        where not invoice_lines.is_proration
    ) as ranked
    where recency = 1
        and not exists (
            select 1 from mid_term_changes
            where mid_term_changes.valuation_date = ranked.valuation_date
                and mid_term_changes.subscription_item_id = ranked.subscription_item_id
        )

),

invoiced_subscription_dates as (

    select distinct valuation_date, subscription_id
    from covering_lines

    union

    select distinct valuation_date, subscription_id
    from priced_items
    where valuation_basis = 'proration_line'

),

item_mrr as (

    select
        month,
        valuation_date,
        valued_at,
        customer_id,
        subscription_id,
        subscription_item_id,
        subscription_status,
        price_id,
        currency,
        monthly_factor,
        quantity,
        mrr_minor,
        case when is_invoiced_amount then 'last_invoiced_amount' else valuation_basis end as mrr_source,
        mrr_null_reason,
        invoice_line_id,
        recurring_usage_type,
        recurring_interval,
        recurring_interval_count,
        unit_amount
    from priced_items
    where valuation_basis in ('subscription_version', 'proration_line')

    union all

    select
        month,
        valuation_date,
        valued_at,
        customer_id,
        subscription_id,
        subscription_item_id,
        subscription_status,
        price_id,
        currency,
        monthly_factor,
        quantity,
        line_mrr_minor as mrr_minor,
        'invoice_line' as mrr_source,
        mrr_null_reason,
        invoice_line_id,
        cast(null as string) as recurring_usage_type,
        cast(null as string) as recurring_interval,
        cast(null as bigint) as recurring_interval_count,
        cast(null as decimal(38, 9)) as unit_amount
    from covering_lines

    union all

    select
        priced_items.month,
        priced_items.valuation_date,
        priced_items.valued_at,
        priced_items.customer_id,
        priced_items.subscription_id,
        priced_items.subscription_item_id,
        priced_items.subscription_status,
        priced_items.price_id,
        priced_items.currency,
        priced_items.monthly_factor,
        priced_items.quantity,
        priced_items.mrr_minor,
        case when priced_items.is_invoiced_amount then 'last_invoiced_amount' else 'current_price' end as mrr_source,
        priced_items.mrr_null_reason,
        priced_items.invoice_line_id,
        priced_items.recurring_usage_type,
        priced_items.recurring_interval,
        priced_items.recurring_interval_count,
        priced_items.unit_amount
    from priced_items
    left join invoiced_subscription_dates
        on invoiced_subscription_dates.valuation_date = priced_items.valuation_date
        and invoiced_subscription_dates.subscription_id = priced_items.subscription_id
    where priced_items.valuation_basis = 'subscription_dates'
        and invoiced_subscription_dates.subscription_id is null

),

currency_dates as (

    select distinct currency, valuation_date
    from item_mrr
    where currency <> {{ reporting_currency() }}

),

rates as (

    select * from (
        select
            currency_dates.currency,
            currency_dates.valuation_date,
            fx_rates.rate_date,
            fx_rates.rate_to_reporting as rate,
            row_number() over (
                partition by currency_dates.currency, currency_dates.valuation_date
                order by fx_rates.rate_date desc
            ) as recency
        from currency_dates
        inner join fx_rates
            on fx_rates.currency = currency_dates.currency
            and fx_rates.rate_date <= currency_dates.valuation_date
            and fx_rates.rate_date >= {{ dbt.dateadd('day', -7, 'currency_dates.valuation_date') }}
    ) as ranked
    where recency = 1

),

final as (

    select
        item_mrr.month,
        item_mrr.valuation_date,
        item_mrr.valued_at,
        item_mrr.customer_id,
        item_mrr.subscription_id,
        item_mrr.subscription_item_id,
        item_mrr.subscription_status,
        item_mrr.price_id,
        item_mrr.mrr_source,
        item_mrr.mrr_null_reason,
        item_mrr.invoice_line_id,
        item_mrr.recurring_usage_type,
        item_mrr.recurring_interval,
        item_mrr.recurring_interval_count,
        item_mrr.unit_amount,
        item_mrr.quantity,
        item_mrr.monthly_factor,
        item_mrr.currency,
        item_mrr.mrr_minor,
        {{ reporting_currency() }} as reporting_currency,
        case
            when item_mrr.currency = {{ reporting_currency() }} then 1.0
            else rates.rate
        end as fx_rate,
        rates.rate_date as fx_rate_date,
        {{ exact_minor_units(
            'item_mrr.mrr_minor * case when item_mrr.currency = ' ~ reporting_currency() ~ ' then 1.0 else rates.rate end'
        ) }} as mrr_reporting_minor
    from item_mrr
    left join rates
        on rates.currency = item_mrr.currency
        and rates.valuation_date = item_mrr.valuation_date

)

select * from final
