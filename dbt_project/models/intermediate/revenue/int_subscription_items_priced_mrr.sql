{#- What each subscription item's price says its MRR is, on every valuation date the item counts:
    unit_amount × quantity × monthly factor − recurring discounts (forever, or repeating while they
    apply; subscription-level discounts replace customer-level ones, as in Stripe). Metered items and
    prices with no unit amount (tiered) contribute the last invoiced amount of the item instead.

    Which items count on a date (metrics.md §1):
    - a date covered by drops: the subscription version valid then has status active or past_due,
      and the item version valid then;
    - a date before the first drop: the subscription's dates say so (start_date ≤ d < ended_at,
      d ≥ trial_end), with the items of its first version. Subscriptions whose first version is
      incomplete or incomplete_expired never started and do not count; one whose first version is
      unpaid, paused or canceled counts only on dates a paid or open invoice of it covers (when it
      stopped paying is unknown, and its dates would otherwise count it as paying up to the first
      drop, or through the dunning days of an invoice that then failed).
      From the period start of a proration charge covering the date (a mid-term change, later than
      the start of the full line covering it), the item is priced as that line says: its price,
      quantity and period (valuation_basis proration_line), so the change lands in its own month.
    Amounts in minor units of the price's currency, unrounded. A discount applies on a date when its
    own start and end cover it and, for dates covered by drops, the subscription (or customer) carried
    it in the drop valid then (stg_stripe__*_discount_versions); before the first drop, the discounts
    of the first extraction apply within their own start and end.
    Missing is missing: an amount, quantity or interval count the item lacks, or a metered item
    never invoiced, gives NULL mrr_minor with its mrr_null_reason, never 0 or 1. -#}
with

valuation_dates as (

    select * from {{ ref('int_revenue_valuation_dates') }}

),

subscription_versions as (

    select * from {{ ref('stg_stripe__subscription_versions') }}

),

item_versions as (

    select * from {{ ref('stg_stripe__subscription_item_versions') }}

),

invoice_lines as (

    select * from {{ ref('int_invoice_lines_normalised_to_mrr') }}

),

subscription_discounts as (

    select * from {{ ref('stg_stripe__subscription_discount_versions') }}

),

customer_discounts as (

    select * from {{ ref('stg_stripe__customer_discount_versions') }}

),

coupons as (

    select * from {{ ref('stg_stripe__coupons') }}

),

first_versions as (

    select * from (
        select
            *,
            row_number() over (partition by subscription_id order by valid_from_drop) as version_number
        from subscription_versions
    ) as numbered
    where version_number = 1

),

-- dates covered by drops: the version valid at the end of the date decides
subscriptions_by_version as (

    select
        valuation_dates.month,
        valuation_dates.valuation_date,
        valuation_dates.valued_at,
        subscription_versions.subscription_id,
        subscription_versions.customer_id,
        subscription_versions.status as subscription_status,
        'subscription_version' as valuation_basis
    from valuation_dates
    inner join subscription_versions
        on subscription_versions.valid_from_drop <= valuation_dates.valuation_date
        and (subscription_versions.valid_to_drop is null
            or subscription_versions.valid_to_drop > valuation_dates.valuation_date)
    where not valuation_dates.is_before_first_drop
        and subscription_versions.status in ('active', 'past_due')

),

-- dates before the first drop: the subscription's own dates decide
subscriptions_by_dates as (

    select
        valuation_dates.month,
        valuation_dates.valuation_date,
        valuation_dates.valued_at,
        first_versions.subscription_id,
        first_versions.customer_id,
        first_versions.status as subscription_status,
        'subscription_dates' as valuation_basis
    from valuation_dates
    inner join first_versions
        on first_versions.started_at <= valuation_dates.valued_at
        and (first_versions.ended_at is null or first_versions.ended_at > valuation_dates.valued_at)
        and (first_versions.trial_end_at is null or first_versions.trial_end_at <= valuation_dates.valued_at)
    where valuation_dates.is_before_first_drop
        and first_versions.status not in ('incomplete', 'incomplete_expired')
        -- A subscription first seen unpaid or paused stopped paying at some unknown point before
        -- the first drop: its dates alone would count it as paying until then. It counts on a date
        -- only where a paid or open invoice of it covers that date.
        and (
            first_versions.status not in ('unpaid', 'paused', 'canceled')
            or exists (
                select 1
                from invoice_lines
                where invoice_lines.subscription_id = first_versions.subscription_id
                    and invoice_lines.period_start_at <= valuation_dates.valued_at
                    and invoice_lines.period_end_at > valuation_dates.valued_at
            )
        )

),

-- before the first drop: the newest full line covering each item's date, and the latest proration
-- charge covering it (the latest change); the charge prices the item when it started later
covering_lines as (

    select
        subscriptions_by_dates.valuation_date,
        invoice_lines.*,
        row_number() over (
            partition by subscriptions_by_dates.valuation_date, invoice_lines.subscription_item_id,
                invoice_lines.is_proration
            order by
                case when invoice_lines.is_proration then invoice_lines.period_start_at end desc,
                invoice_lines.invoice_created_at desc,
                invoice_lines.invoice_line_id desc
        ) as recency
    from subscriptions_by_dates
    inner join invoice_lines
        on invoice_lines.subscription_id = subscriptions_by_dates.subscription_id
        and invoice_lines.period_start_at <= subscriptions_by_dates.valued_at
        and invoice_lines.period_end_at > subscriptions_by_dates.valued_at
    where invoice_lines.subscription_item_id is not null
        and (not invoice_lines.is_proration or invoice_lines.amount > 0)

),

mid_term_changes as (

    select charge.*
    from covering_lines as charge
    left join covering_lines as cycle
        on cycle.valuation_date = charge.valuation_date
        and cycle.subscription_item_id = charge.subscription_item_id
        and not cycle.is_proration
        and cycle.recency = 1
    where charge.is_proration
        and charge.recency = 1
        and (cycle.period_start_at is null or charge.period_start_at > cycle.period_start_at)

),

counted_items as (

    select
        subscriptions_by_version.*,
        item_versions.subscription_item_id,
        item_versions.price_id,
        item_versions.price_lookup_key,
        item_versions.metadata_plan,
        item_versions.recurring_interval,
        item_versions.recurring_interval_count,
        item_versions.recurring_usage_type,
        item_versions.quantity,
        item_versions.unit_amount,
        item_versions.unit_amount_decimal,
        item_versions.currency,
        cast(null as string) as priced_line_id,
        cast(null as double) as line_monthly_factor
    from subscriptions_by_version
    inner join item_versions
        on item_versions.subscription_id = subscriptions_by_version.subscription_id
        and item_versions.valid_from_drop <= subscriptions_by_version.valuation_date
        and (item_versions.valid_to_drop is null
            or item_versions.valid_to_drop > subscriptions_by_version.valuation_date)

    union all

    select
        subscriptions_by_dates.month,
        subscriptions_by_dates.valuation_date,
        subscriptions_by_dates.valued_at,
        subscriptions_by_dates.subscription_id,
        subscriptions_by_dates.customer_id,
        subscriptions_by_dates.subscription_status,
        case when mid_term_changes.invoice_line_id is not null
            then 'proration_line' else subscriptions_by_dates.valuation_basis end,
        item_versions.subscription_item_id,
        coalesce(mid_term_changes.price_id, item_versions.price_id),
        case when mid_term_changes.invoice_line_id is null then item_versions.price_lookup_key end,
        case when mid_term_changes.invoice_line_id is null then item_versions.metadata_plan end,
        case when mid_term_changes.invoice_line_id is not null
            then mid_term_changes.recurring_interval else item_versions.recurring_interval end,
        case when mid_term_changes.invoice_line_id is not null
            then mid_term_changes.recurring_interval_count else item_versions.recurring_interval_count end,
        case when mid_term_changes.invoice_line_id is not null
            then mid_term_changes.recurring_usage_type else item_versions.recurring_usage_type end,
        case when mid_term_changes.invoice_line_id is not null
            then mid_term_changes.quantity else item_versions.quantity end,
        case when mid_term_changes.invoice_line_id is not null
            then mid_term_changes.unit_amount else item_versions.unit_amount end,
        case when mid_term_changes.invoice_line_id is null then item_versions.unit_amount_decimal end,
        coalesce(mid_term_changes.currency, item_versions.currency),
        mid_term_changes.invoice_line_id,
        mid_term_changes.monthly_factor
    from subscriptions_by_dates
    inner join first_versions
        on first_versions.subscription_id = subscriptions_by_dates.subscription_id
    inner join item_versions
        on item_versions.subscription_id = subscriptions_by_dates.subscription_id
        and item_versions.valid_from_drop = first_versions.valid_from_drop
    left join mid_term_changes
        on mid_term_changes.valuation_date = subscriptions_by_dates.valuation_date
        and mid_term_changes.subscription_item_id = item_versions.subscription_item_id

),

priced_items as (

    select
        *,
        coalesce(
            line_monthly_factor,
            {{ monthly_factor('recurring_interval', 'recurring_interval_count') }}
        ) as monthly_factor,
        coalesce(unit_amount, cast(unit_amount_decimal as decimal(38, 9))) as effective_unit_amount,
        -- a proration charge with no known unit price stays priced (and NULL): its amount is
        -- not the item's last invoice
        coalesce(recurring_usage_type, 'licensed') = 'metered'
            or (coalesce(unit_amount, cast(unit_amount_decimal as decimal(38, 9))) is null
                and priced_line_id is null)
            as is_invoiced_amount
    from counted_items

),

gross_amounts as (

    select
        *,
        case
            when not is_invoiced_amount
                then effective_unit_amount * quantity * monthly_factor
        end as gross_mrr_minor
    from priced_items

),

-- Subscription, item and customer discounts alike carry parent_object and parent_id.
all_discounts as (

    select
        parent_object, parent_id, coupon_id, coupon_percent_off, coupon_amount_off, coupon_duration,
        coupon_duration_in_months, valid_from_drop, valid_to_drop, started_at, ends_at
    from subscription_discounts

    union all

    select
        parent_object, parent_id, coupon_id, coupon_percent_off, coupon_amount_off, coupon_duration,
        coupon_duration_in_months, valid_from_drop, valid_to_drop, started_at, ends_at
    from customer_discounts

),

discounts as (

    select
        all_discounts.parent_object,
        all_discounts.parent_id,
        coalesce(all_discounts.coupon_percent_off, coupons.percent_off) as percent_off,
        coalesce(all_discounts.coupon_amount_off, coupons.amount_off) as amount_off,
        coalesce(all_discounts.coupon_duration, coupons.duration) as duration,
        all_discounts.valid_from_drop,
        all_discounts.valid_to_drop,
        all_discounts.started_at,
        coalesce(
            all_discounts.ends_at,
            case when coalesce(all_discounts.coupon_duration, coupons.duration) = 'repeating'
                then {{ dbt.dateadd('month', 'coalesce(all_discounts.coupon_duration_in_months, coupons.duration_in_months)', 'all_discounts.started_at') }}
            end
        ) as ends_at
    from all_discounts
    left join coupons
        on coupons.coupon_id = all_discounts.coupon_id

),

recurring_discounts as (

    select * from discounts
    where duration in ('forever', 'repeating')

),

discounts_per_item as (

    select
        gross_amounts.valuation_date,
        gross_amounts.subscription_item_id,
        sum(case when recurring_discounts.parent_object = 'subscription_item'
            then recurring_discounts.percent_off end) as item_percent_off,
        sum(case when recurring_discounts.parent_object = 'subscription_item'
            then recurring_discounts.amount_off end) as item_amount_off,
        sum(case when recurring_discounts.parent_object = 'subscription'
            then recurring_discounts.percent_off end) as subscription_percent_off,
        sum(case when recurring_discounts.parent_object = 'subscription'
            then recurring_discounts.amount_off end) as subscription_amount_off,
        count(case when recurring_discounts.parent_object = 'subscription' then 1 end) as subscription_discounts,
        sum(case when recurring_discounts.parent_object = 'customer'
            then recurring_discounts.percent_off end) as customer_percent_off,
        sum(case when recurring_discounts.parent_object = 'customer'
            then recurring_discounts.amount_off end) as customer_amount_off
    from gross_amounts
    inner join recurring_discounts
        on recurring_discounts.started_at <= gross_amounts.valued_at
        and (recurring_discounts.ends_at is null or recurring_discounts.ends_at > gross_amounts.valued_at)
        and (recurring_discounts.valid_from_drop is null
            or recurring_discounts.valid_from_drop <= gross_amounts.valuation_date)
        and (recurring_discounts.valid_to_drop is null
            or recurring_discounts.valid_to_drop > gross_amounts.valuation_date)
        and (
            (recurring_discounts.parent_object = 'subscription_item'
                and recurring_discounts.parent_id = gross_amounts.subscription_item_id)
            or (recurring_discounts.parent_object = 'subscription'
                and recurring_discounts.parent_id = gross_amounts.subscription_id)
            or (recurring_discounts.parent_object = 'customer'
                and recurring_discounts.parent_id = gross_amounts.customer_id)
        )
    where not gross_amounts.is_invoiced_amount
    group by gross_amounts.valuation_date, gross_amounts.subscription_item_id

),

subscription_gross as (

    select
        valuation_date,
        subscription_id,
        sum(gross_mrr_minor) as subscription_gross_mrr_minor
    from gross_amounts
    group by valuation_date, subscription_id

),

discounted as (

    select
        gross_amounts.*,
        -- coalesce before least: least() skips NULLs on some engines (DuckDB), not on others
        least(coalesce(discounts_per_item.item_percent_off, 0), 100) as item_percent_off,
        least(coalesce(case when discounts_per_item.subscription_discounts > 0
            then discounts_per_item.subscription_percent_off
            else discounts_per_item.customer_percent_off end, 0), 100) as order_percent_off,
        coalesce(discounts_per_item.item_amount_off, 0) as item_amount_off,
        coalesce(case when discounts_per_item.subscription_discounts > 0
            then discounts_per_item.subscription_amount_off
            else discounts_per_item.customer_amount_off end, 0) as order_amount_off,
        subscription_gross.subscription_gross_mrr_minor
    from gross_amounts
    left join discounts_per_item
        on discounts_per_item.valuation_date = gross_amounts.valuation_date
        and discounts_per_item.subscription_item_id = gross_amounts.subscription_item_id
    left join subscription_gross
        on subscription_gross.valuation_date = gross_amounts.valuation_date
        and subscription_gross.subscription_id = gross_amounts.subscription_id

),

net_amounts as (

    select
        *,
        -- a discount never takes an item below zero; NULL (an interval we cannot normalise) stays NULL
        case when discounted_mrr_minor < 0 then 0 else discounted_mrr_minor end as net_mrr_minor
    from (
        select
            *,
            gross_mrr_minor * (1 - item_percent_off / 100.0) * (1 - order_percent_off / 100.0)
            - item_amount_off * monthly_factor
            - case when subscription_gross_mrr_minor > 0
                then order_amount_off * monthly_factor * gross_mrr_minor / subscription_gross_mrr_minor
                else 0 end
            as discounted_mrr_minor
        from discounted
    ) as with_discounts

),

-- metered and tiered items: the last invoiced amount of the item up to the valuation date
last_invoiced as (

    select * from (
        select
            net_amounts.valuation_date,
            net_amounts.subscription_item_id,
            invoice_lines.invoice_line_id,
            invoice_lines.line_mrr_minor,
            invoice_lines.mrr_null_reason,
            row_number() over (
                partition by net_amounts.valuation_date, net_amounts.subscription_item_id
                order by invoice_lines.period_end_at desc, invoice_lines.invoice_created_at desc,
                    invoice_lines.invoice_line_id desc
            ) as recency
        from net_amounts
        inner join invoice_lines
            on invoice_lines.subscription_item_id = net_amounts.subscription_item_id
            and invoice_lines.period_start_at <= net_amounts.valued_at
            and not invoice_lines.is_proration
        where net_amounts.is_invoiced_amount
    ) as ranked
    where recency = 1

),

final as (

    select
        net_amounts.month,
        net_amounts.valuation_date,
        net_amounts.valued_at,
        net_amounts.customer_id,
        net_amounts.subscription_id,
        net_amounts.subscription_item_id,
        net_amounts.subscription_status,
        net_amounts.valuation_basis,
        net_amounts.price_id,
        net_amounts.price_lookup_key,
        net_amounts.metadata_plan,
        net_amounts.recurring_interval,
        net_amounts.recurring_interval_count,
        net_amounts.recurring_usage_type,
        net_amounts.quantity,
        net_amounts.effective_unit_amount as unit_amount,
        net_amounts.currency,
        net_amounts.monthly_factor,
        net_amounts.is_invoiced_amount,
        coalesce(net_amounts.priced_line_id, last_invoiced.invoice_line_id) as invoice_line_id,
        {{ exact_minor_units('net_amounts.gross_mrr_minor') }} as gross_mrr_minor,
        {{ exact_minor_units(
            'case when net_amounts.is_invoiced_amount then last_invoiced.line_mrr_minor
                else net_amounts.net_mrr_minor end'
        ) }} as mrr_minor,
        case
            when net_amounts.is_invoiced_amount and last_invoiced.invoice_line_id is null
                then 'metered_item_never_invoiced'
            when net_amounts.is_invoiced_amount then last_invoiced.mrr_null_reason
            when net_amounts.effective_unit_amount is null then 'proration_price_unknown'
            when net_amounts.quantity is null then 'quantity_missing'
            when net_amounts.recurring_interval is null and net_amounts.monthly_factor is null
                then 'interval_missing'
            when net_amounts.monthly_factor is null and net_amounts.recurring_interval_count is null
                then 'interval_count_missing'
            when net_amounts.monthly_factor is null then 'interval_not_normalisable'
        end as mrr_null_reason
    from net_amounts
    left join last_invoiced
        on last_invoiced.valuation_date = net_amounts.valuation_date
        and last_invoiced.subscription_item_id = net_amounts.subscription_item_id

)

select * from final
