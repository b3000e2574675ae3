"""Rule 12's second path to MRR: every customer's MRR recomputed in Polars from staged Stripe objects.

It shares no code or SQL with the dbt models it checks (metrics.md §1 is the only common ground),
and the test of independence (tests/transforms/gate/test_independence.py) keeps it so.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.dates import end_of_day, valid_on

# Monthly factor per recurring interval, divided by interval_count (metrics.md §1).
MONTHLY_FACTOR = {"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12}


LIVE_STATUSES = ["active", "past_due"]


def _monthly_factor(interval: pl.Expr, count: pl.Expr) -> pl.Expr:
    """1/interval_count of the interval's monthly factor; NULL for an unknown interval or a
    missing (or 0) interval_count: a count read as 1 would value a quarterly price as monthly."""
    return interval.replace_strict(MONTHLY_FACTOR, default=None, return_dtype=pl.Float64) / (
        pl.when(count > 0).then(count).cast(pl.Float64)
    )


def _period_factor(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """The monthly factor of a service period from its own length: n calendar months when it ends
    at the time and on the day of the month it started (Stripe's billing anchor: a start on the
    29th–31st ends on a shorter month's last day, and a period starting on such a last day ends on
    the anchor day), else whole weeks (52/12 a month), else whole days (365/12)."""
    months = (end.dt.year() * 12 + end.dt.month()) - (start.dt.year() * 12 + start.dt.month())
    start_is_month_end = start.dt.month_end().dt.day() == start.dt.day()
    end_is_month_end = end.dt.month_end().dt.day() == end.dt.day()
    anchored = (end.dt.time() == start.dt.time()) & (
        (end.dt.day() == start.dt.day())
        | (end_is_month_end & (start.dt.day() > end.dt.day()))
        | (start_is_month_end & (end.dt.day() > start.dt.day()))
    )
    seconds = (end - start).dt.total_seconds()
    days = seconds // 86_400
    whole_days = seconds % 86_400 == 0
    return (
        pl.when(anchored & (months >= 1))
        .then(1.0 / months.cast(pl.Float64))
        .when(whole_days & (days % 7 == 0))
        .then(52.0 / 12 / (days // 7).cast(pl.Float64))
        .when(whole_days)
        .then(365.0 / 12 / days.cast(pl.Float64))
    )


def independent_invoice_line_mrr(
    invoices: pl.DataFrame, invoice_lines: pl.DataFrame, prices: pl.DataFrame
) -> pl.DataFrame:
    """The subscription lines of paid or open invoices that bill a service period, each with its
    monthly value in minor units of its currency, unrounded (metrics.md §1 History):
    - a full (non-proration) line: (amount − its discounts) × the factor of its own period
      (`_period_factor`): never the interval of an item as it is today;
    - a proration charge (amount > 0): its unit price × quantity × the factor of the full line of
      the same item whose period holds it (`charge_mrr_minor`, before discounts): the item's amount
      from the charge's start. Its unit price is the line's own, else its price's as any item
      version carried it (`prices`: price_id, unit_amount).
    Proration credits carry no value of their own; one-time invoice items are not MRR.

    `invoices`: invoice_id, subscription_id, status, created_at. `invoice_lines`: invoice_line_id,
    invoice_id, subscription_id, subscription_item_id, price_id, line_type, is_proration,
    currency, amount, discount_amount, quantity, unit_amount, unit_amount_decimal,
    period_start_at, period_end_at.
    Returns invoice_line_id, subscription_id, subscription_item_id, price_id, invoice_created_at,
    period_start_at, period_end_at, currency, is_proration, amount, quantity, unit_amount,
    factor, line_mrr_minor, charge_mrr_minor.
    """
    known_prices = (
        prices.filter(pl.col("price_id").is_not_null() & pl.col("unit_amount").is_not_null())
        .group_by("price_id")
        .agg(price_unit=pl.col("unit_amount").cast(pl.Float64).first())
    )
    lines = (
        invoice_lines.join(
            invoices.select(
                "invoice_id",
                invoice_subscription_id="subscription_id",
                invoice_status="status",
                invoice_created_at="created_at",
            ),
            on="invoice_id",
            how="inner",
        )
        .filter(
            pl.col("invoice_status").is_in(["paid", "open"])
            & (pl.col("line_type") == "subscription")
            & (pl.col("period_end_at") > pl.col("period_start_at"))
        )
        .join(known_prices, on="price_id", how="left")
        .with_columns(
            subscription_id=pl.coalesce("subscription_id", "invoice_subscription_id"),
            is_proration=pl.col("is_proration").fill_null(False),
            own_factor=_period_factor(pl.col("period_start_at"), pl.col("period_end_at")),
            unit=pl.coalesce(
                pl.col("unit_amount").cast(pl.Float64),
                pl.col("unit_amount_decimal").cast(pl.Float64),
                "price_unit",
            ),
        )
    )
    full = lines.filter(~pl.col("is_proration")).select(
        "subscription_item_id",
        full_start="period_start_at",
        full_end="period_end_at",
        full_factor="own_factor",
        full_created="invoice_created_at",
    )
    enclosing = (
        lines.filter(pl.col("is_proration"))
        .join(full, on="subscription_item_id", how="inner")
        .filter(
            (pl.col("full_start") <= pl.col("period_start_at"))
            & (pl.col("full_end") >= pl.col("period_end_at"))
        )
        .sort("full_created")
        .unique("invoice_line_id", keep="last")
        .select("invoice_line_id", "full_factor")
    )
    return (
        lines.join(enclosing, on="invoice_line_id", how="left")
        .with_columns(
            factor=pl.when(pl.col("is_proration"))
            .then(pl.col("full_factor"))
            .otherwise(pl.col("own_factor"))
        )
        .select(
            "invoice_line_id",
            "subscription_id",
            "subscription_item_id",
            "price_id",
            "invoice_created_at",
            "period_start_at",
            "period_end_at",
            pl.col("currency").str.to_uppercase(),
            "is_proration",
            "amount",
            "quantity",
            pl.col("unit").alias("unit_amount"),
            "factor",
            line_mrr_minor=pl.when(~pl.col("is_proration")).then(
                (pl.col("amount") - pl.col("discount_amount")).cast(pl.Float64) * pl.col("factor")
            ),
            charge_mrr_minor=pl.when(pl.col("is_proration") & (pl.col("amount") > 0)).then(
                pl.col("unit") * pl.col("quantity").cast(pl.Float64) * pl.col("factor")
            ),
        )
    )


def _history_lines(covering: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Of the lines covering a date before the first drop, per item: the full line to value (the
    newest invoice's), and the mid-term changes (the latest proration charge, when it began after
    that full line's period did, or with no full line)."""
    full = (
        covering.filter(~pl.col("is_proration"))
        .with_columns(line_key=pl.coalesce("subscription_item_id", "price_id", "invoice_line_id"))
        .sort("invoice_created_at", "invoice_line_id", descending=True)
        .unique(["subscription_id", "line_key"], keep="first")
    )
    charges = (
        covering.filter(pl.col("is_proration") & (pl.col("amount") > 0))
        .filter(pl.col("subscription_item_id").is_not_null())
        .sort("period_start_at", "invoice_created_at", "invoice_line_id", descending=True)
        .unique("subscription_item_id", keep="first")
        .join(
            full.select("subscription_item_id", full_start="period_start_at"),
            on="subscription_item_id",
            how="left",
        )
        .filter(pl.col("full_start").is_null() | (pl.col("period_start_at") > pl.col("full_start")))
    )
    full = full.join(charges.select("subscription_item_id"), on="subscription_item_id", how="anti")
    return full, charges


def _counted(
    subscriptions: pl.DataFrame,
    items: pl.DataFrame,
    covering: pl.DataFrame,
    valuation_date: dt.date,
    first_drop: dt.date,
    valued_at: dt.datetime,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The items that count on the valuation date, each with its customer, and the invoice lines
    (`covering` it) valued instead of items before the first drop (customer_id, currency,
    mrr_minor): see `independent_mrr` for which subscriptions count."""
    line_schema = {"customer_id": pl.String, "currency": pl.String, "mrr_minor": pl.Float64}
    if valuation_date >= first_drop:
        live = valid_on(subscriptions, valuation_date).filter(pl.col("status").is_in(LIVE_STATUSES))
        counted = valid_on(items, valuation_date).join(
            live.select("subscription_id", "customer_id"), on="subscription_id"
        )
        return counted, pl.DataFrame(schema=line_schema)
    first = subscriptions.sort("valid_from_drop").group_by("subscription_id").first()
    by_dates = first.filter(
        (pl.col("started_at") <= valued_at)
        & (pl.col("ended_at").is_null() | (pl.col("ended_at") > valued_at))
        & (pl.col("trial_end_at").is_null() | (pl.col("trial_end_at") <= valued_at))
        & ~pl.col("status").is_in(["incomplete", "incomplete_expired"])
        & (
            ~pl.col("status").is_in(["unpaid", "paused", "canceled"])
            | pl.col("subscription_id").is_in(covering["subscription_id"].unique().implode())
        )
    )
    full, charges = _history_lines(
        covering.join(by_dates.select("subscription_id"), on="subscription_id", how="semi")
    )
    invoiced = pl.concat([full["subscription_id"], charges["subscription_id"]]).unique()
    first_items = items.join(
        by_dates.select("subscription_id", "customer_id", "valid_from_drop"),
        on=["subscription_id", "valid_from_drop"],
    )
    # An item changed mid-term is priced as its proration charge says, discounts applying.
    changed = first_items.join(
        charges.select(
            "subscription_item_id",
            charge_quantity="quantity",
            charge_unit="unit_amount",
            line_factor="factor",
            charge_currency="currency",
        ),
        on="subscription_item_id",
        how="inner",
    ).with_columns(
        quantity=pl.col("charge_quantity"),
        unit_amount=pl.col("charge_unit"),
        currency=pl.col("charge_currency"),
        recurring_usage_type=pl.lit("licensed"),
    )
    not_invoiced = first_items.filter(~pl.col("subscription_id").is_in(invoiced.implode()))
    counted = pl.concat(
        [
            not_invoiced.with_columns(line_factor=pl.lit(None, pl.Float64)),
            changed.select(not_invoiced.columns + ["line_factor"]),
        ],
        how="vertical_relaxed",
    )
    from_lines = (
        full.join(by_dates.select("subscription_id", "customer_id"), on="subscription_id")
        .select("customer_id", "currency", mrr_minor=pl.col("line_mrr_minor"))
        .cast(line_schema)
    )
    return counted, from_lines


def _priced(counted: pl.DataFrame) -> pl.DataFrame:
    """Each item's monthly factor (a proration charge's own, else its price's), whether it is
    valued at its last invoice (metered, or no unit amount outside a proration charge), and its
    gross monthly amount at its price otherwise (NULL where the quantity or factor is missing)."""
    if "line_factor" not in counted.columns:
        counted = counted.with_columns(line_factor=pl.lit(None, pl.Float64))
    return counted.with_columns(
        factor=pl.coalesce(
            "line_factor",
            _monthly_factor(pl.col("recurring_interval"), pl.col("recurring_interval_count")),
        ),
        metered=(pl.col("recurring_usage_type").fill_null("licensed") == "metered")
        | (pl.col("unit_amount").is_null() & pl.col("line_factor").is_null()),
    ).with_columns(
        gross=pl.when(~pl.col("metered")).then(
            pl.col("unit_amount").cast(pl.Float64)
            * pl.col("quantity").cast(pl.Float64)
            * pl.col("factor")
        )
    )


def _active_discounts(
    discounts: pl.DataFrame, valuation_date: dt.date, valued_at: dt.datetime
) -> pl.DataFrame:
    """The recurring discounts (forever, repeating) in force at `valued_at`."""
    ends = pl.coalesce(
        pl.col("ends_at"),
        pl.when(pl.col("duration") == "repeating").then(
            pl.col("started_at").dt.offset_by(
                pl.format("{}mo", pl.col("duration_in_months").cast(pl.Int64))
            )
        ),
    )
    return discounts.filter(
        pl.col("duration").is_in(["forever", "repeating"])
        & (pl.col("started_at") <= valued_at)
        & (ends.is_null() | (ends > valued_at))
        & (pl.col("valid_from_drop").is_null() | (pl.col("valid_from_drop") <= valuation_date))
        & (pl.col("valid_to_drop").is_null() | (pl.col("valid_to_drop") > valuation_date))
    )


def _net_of_discounts(
    priced: pl.DataFrame, discounts: pl.DataFrame, valuation_date: dt.date, valued_at: dt.datetime
) -> pl.DataFrame:
    """Each priced item's amount less the recurring discounts applying at `valued_at` (`net`):
    item-level percent and amount, then the subscription's own, which replace its customer's."""
    active = _active_discounts(discounts, valuation_date, valued_at)

    def per_parent(kind: str, key: str, prefix: str) -> pl.DataFrame:
        return (
            active.filter(pl.col("parent_object") == kind)
            .group_by(pl.col("parent_id").alias(key))
            .agg(
                pl.col("percent_off").sum().alias(f"{prefix}_percent"),
                pl.col("amount_off").cast(pl.Float64).sum().alias(f"{prefix}_amount"),
                pl.len().alias(f"{prefix}_discounts"),
            )
        )

    has_own = pl.col("sub_discounts").fill_null(0) > 0
    return (
        priced.with_columns(sub_gross=pl.col("gross").sum().over("subscription_id"))
        .join(
            per_parent("subscription_item", "subscription_item_id", "item"),
            on="subscription_item_id",
            how="left",
        )
        .join(
            per_parent("subscription", "subscription_id", "sub"), on="subscription_id", how="left"
        )
        .join(per_parent("customer", "customer_id", "cust"), on="customer_id", how="left")
        .with_columns(
            item_percent=pl.min_horizontal(pl.col("item_percent").fill_null(0.0), 100.0),
            item_amount=pl.col("item_amount").fill_null(0.0),
            order_percent=pl.min_horizontal(
                pl.when(has_own).then("sub_percent").otherwise("cust_percent").fill_null(0.0),
                100.0,
            ),
            order_amount=pl.when(has_own)
            .then("sub_amount")
            .otherwise("cust_amount")
            .fill_null(0.0),
        )
        .with_columns(
            net=(
                pl.col("gross")
                * (1 - pl.col("item_percent") / 100)
                * (1 - pl.col("order_percent") / 100)
                - pl.col("item_amount") * pl.col("factor")
                - pl.when(pl.col("sub_gross") > 0)
                .then(
                    pl.col("order_amount")
                    * pl.col("factor")
                    * pl.col("gross")
                    / pl.col("sub_gross")
                )
                .otherwise(0.0)
            ).clip(lower_bound=0.0)
        )
    )


def _valued(
    discounted: pl.DataFrame,
    from_lines: pl.DataFrame,
    invoice_lines: pl.DataFrame,
    valued_at: dt.datetime,
) -> pl.DataFrame:
    """Every amount counted for a customer in its currency: priced items at their net amount,
    metered ones at the item's last invoiced amount (0 if none), and the invoice lines valued
    instead of items."""
    last_invoiced = (
        invoice_lines.filter(~pl.col("is_proration") & (pl.col("period_start_at") <= valued_at))
        .join(
            discounted.filter("metered").select("subscription_item_id").unique(),
            on="subscription_item_id",
        )
        .sort("period_end_at", "invoice_created_at", "invoice_line_id", descending=True)
        .unique("subscription_item_id", keep="first")
        .select("subscription_item_id", "line_mrr_minor")
    )
    from_items = discounted.join(last_invoiced, on="subscription_item_id", how="left").select(
        "customer_id",
        "metered",
        currency=pl.col("currency").str.to_uppercase(),
        # a metered item never invoiced has no amount: NULL, never 0
        mrr_minor=pl.when("metered").then(pl.col("line_mrr_minor")).otherwise("net"),
    )
    return pl.concat(
        [
            from_items.with_columns(from_invoices=pl.lit(False)),
            from_lines.with_columns(metered=pl.lit(False), from_invoices=pl.lit(True)),
        ],
        how="diagonal",
    )


def _in_reporting_currency(
    valued: pl.DataFrame, fx: pl.DataFrame, valuation_date: dt.date, reporting_currency: str
) -> pl.DataFrame:
    """The customers' amounts summed in the reporting currency, at the rate of the valuation date
    or the latest in the 7 days before it (none: `missing_rate`, never converted at 1)."""
    reporting = reporting_currency.upper()
    rates = (
        fx.with_columns(currency=pl.col("currency").str.to_uppercase())
        .filter(
            (pl.col("rate_date") <= valuation_date)
            & (pl.col("rate_date") >= valuation_date - dt.timedelta(days=7))
            & (pl.col("currency") != reporting)
        )
        .sort("rate_date")
        .group_by("currency")
        .agg(pl.col("rate_to_reporting").last().cast(pl.Float64))
    )
    rates = pl.concat(
        [
            rates,
            pl.DataFrame(
                {"currency": [reporting], "rate_to_reporting": [1.0]}, schema=rates.schema
            ),
        ]
    )
    return (
        valued.join(rates, on="currency", how="left")
        .group_by("customer_id")
        .agg(
            mrr_minor=pl.when(pl.col("mrr_minor").is_null().any())
            .then(None)
            .otherwise((pl.col("mrr_minor") * pl.col("rate_to_reporting")).sum()),
            unknown=pl.col("mrr_minor").is_null().any(),
            metered=pl.col("metered").any(),
            from_invoices=pl.col("from_invoices").any(),
            missing_rate=pl.col("rate_to_reporting").is_null().any(),
        )
        .sort("customer_id")
    )


def independent_mrr(
    subscriptions: pl.DataFrame,
    items: pl.DataFrame,
    discounts: pl.DataFrame,
    invoice_lines: pl.DataFrame,
    fx: pl.DataFrame,
    valuation_date: dt.date,
    first_drop: dt.date,
    reporting_currency: str,
) -> pl.DataFrame:
    """MRR per Stripe customer at the end of a valuation date, in minor units of the reporting
    currency, unrounded — recomputed from staged Stripe data for rule 12, sharing no SQL with dbt
    (metrics.md §1).

    Which subscriptions count: on a date covered by drops (on or after `first_drop`), the version
    valid then with status active or past_due and its item versions valid then; before the first
    drop, the subscription's dates (started ≤ d < ended, trial over) on its first version (never
    started: incomplete, incomplete_expired, left out; first seen unpaid, paused or canceled: only
    where a paid or open invoice line covers d), valued from the full lines covering d (one per
    item, the newest invoice's; each over its own period) — except an item changed mid-term, priced
    from its latest proration charge when that began after the full line's period — or, where no
    line covers d, from the first version's items at their price.
    A priced item: unit_amount × quantity × monthly factor less the recurring discounts applying
    then (item-level percent and amount; the subscription's own replace its customer's); a
    metered item or one with no unit amount: the last invoiced amount of the item. An amount whose
    input is missing (no invoice for a metered item, no quantity, no interval count) is NULL, and
    so is its customer's total (`unknown`): never 0 or 1.
    Conversion: the rate of the valuation date or the latest in the 7 days before it.

    `subscriptions`: subscription_id, customer_id, status, started_at, ended_at, trial_end_at,
    valid_from_drop, valid_to_drop. `items`: subscription_id, subscription_item_id, quantity,
    price_id, unit_amount (the decimal amount where the integer one is absent),
    recurring_interval, recurring_interval_count, recurring_usage_type, currency,
    valid_from_drop, valid_to_drop.
    `discounts`: parent_object ('subscription_item', 'subscription', 'customer'), parent_id,
    percent_off, amount_off, duration, duration_in_months, started_at, ends_at, valid_from_drop,
    valid_to_drop (NULL: not bounded by drops). `invoice_lines`: independent_invoice_line_mrr's
    output. `fx`: rate_date, currency, rate_to_reporting.
    Returns customer_id, mrr_minor, unknown (an amount is missing: mrr_minor NULL), metered (an
    item valued at its last invoiced amount),
    from_invoices (valued from invoice lines covering the date), missing_rate (an amount in a
    currency with no rate in the 7 days: not convertible, never converted at 1).
    """
    valued_at = end_of_day(valuation_date)
    covering = invoice_lines.filter(
        (pl.col("period_start_at") <= valued_at) & (pl.col("period_end_at") > valued_at)
    )
    counted, from_lines = _counted(
        subscriptions, items, covering, valuation_date, first_drop, valued_at
    )
    discounted = _net_of_discounts(_priced(counted), discounts, valuation_date, valued_at)
    return _in_reporting_currency(
        _valued(discounted, from_lines, invoice_lines, valued_at),
        fx,
        valuation_date,
        reporting_currency,
    )
