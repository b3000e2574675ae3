"""Stripe contracts: API objects as the API shapes them (both the pre- and post-2025-03-31 shapes).

`ingest/stripe.py` turns each parsed JSON object into rows of its raw tables (the parent row and its
child rows) and reports values of the wrong JSON type; the pandera contracts below then check
enumerations, id formats, ranges and cross-field rules on the typed frames.
"""

from __future__ import annotations

from data_contracts.contracts import (
    Contract,
    at_least,
    between,
    contract,
    currency,
    enum,
    id_format,
    interval_count_sane,
    non_empty,
    not_before,
    not_earlier,
    unix_seconds,
)

SUBSCRIPTION_STATUS = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)
INVOICE_STATUS = ("draft", "open", "paid", "uncollectible", "void")
CHARGE_STATUS = ("succeeded", "pending", "failed")
OUTCOME_TYPE = ("authorized", "manual_review", "issuer_declined", "blocked", "invalid")
INTERVAL = ("day", "week", "month", "year")
USAGE_TYPE = ("licensed", "metered")
PRICE_TYPE = ("one_time", "recurring")
CANCELLATION_REASON = ("cancellation_requested", "payment_failed", "payment_disputed")
REFUND_STATUS = ("pending", "requires_action", "succeeded", "failed", "canceled")
COUPON_DURATION = ("once", "repeating", "forever")

CUS = r"^cus_[A-Za-z0-9]+$"
SUB = r"^sub_[A-Za-z0-9]+$"
SI = r"^si_[A-Za-z0-9]+$"
PRICE = r"^(price|plan)_[A-Za-z0-9]+$"
INVOICE = r"^in_[A-Za-z0-9]+$"
LINE = r"^(il|ii|sli)_[A-Za-z0-9_]+$"
INVOICE_ITEM = r"^ii_[A-Za-z0-9]+$"
CHARGE = r"^(ch|py)_[A-Za-z0-9]+$"
REFUND = r"^(re|pyr)_[A-Za-z0-9]+$"

_DISCOUNT_TIMES = {"happened": ("start",), "scheduled": ("end",)}

_discount_rules = {
    "id": [non_empty()],
    "coupon_percent_off": [between(0.0, 100.0)],
    "coupon_amount_off": [at_least(0)],
    "coupon_currency": [currency()],
    "coupon_duration": [enum(COUPON_DURATION)],
    "coupon_duration_in_months": [at_least(1)],
}

CONTRACTS: dict[str, Contract] = {
    "customers": contract(
        "stripe__customers",
        required=("id",),
        rules={
            "id": [id_format(CUS, "a customer id cus_…")],
            "created": [unix_seconds()],
            "currency": [currency()],
        },
        happened=("created",),
    ),
    "subscriptions": contract(
        "stripe__subscriptions",
        required=("id", "customer", "status", "created"),
        rules={
            "id": [id_format(SUB, "a subscription id sub_…")],
            "customer": [id_format(CUS, "a customer id cus_…")],
            "status": [enum(SUBSCRIPTION_STATUS)],
            "currency": [currency()],
            "created": [unix_seconds()],
            "start_date": [unix_seconds()],
            "current_period_start": [unix_seconds()],
            "current_period_end": [unix_seconds()],
            "cancellation_reason": [enum(CANCELLATION_REASON)],
            "item_count": [at_least(0)],
        },
        frame_rules=[
            not_before("stripe.subscriptions", "current_period_start", "current_period_end"),
            not_earlier("stripe.subscriptions", "created", "canceled_at", "canceled_after_created"),
            not_earlier("stripe.subscriptions", "created", "ended_at", "ended_after_created"),
        ],
        happened=("created", "canceled_at", "ended_at"),
        # start_date may be backdated, and a cancellation or trial end planned ahead.
        scheduled=(
            "start_date",
            "billing_cycle_anchor",
            "current_period_start",
            "current_period_end",
            "trial_start",
            "trial_end",
            "cancel_at",
            "pause_collection_resumes_at",
        ),
    ),
    "subscription_items": contract(
        "stripe__subscription_items",
        required=("subscription_id", "id", "price_id"),
        rules={
            "id": [id_format(SI, "a subscription item id si_…")],
            "quantity": [at_least(0)],
            "current_period_start": [unix_seconds()],
            "current_period_end": [unix_seconds()],
            "price_id": [id_format(PRICE, "a price id price_…")],
            "price_currency": [currency()],
            "price_unit_amount": [at_least(0)],
            "price_type": [enum(PRICE_TYPE)],
            "price_recurring_interval": [enum(INTERVAL)],
            "price_recurring_usage_type": [enum(USAGE_TYPE)],
            "plan_currency": [currency()],
            "plan_amount": [at_least(0)],
            "plan_interval": [enum(INTERVAL)],
            "plan_usage_type": [enum(USAGE_TYPE)],
        },
        frame_rules=[
            not_before("stripe.subscription_items", "current_period_start", "current_period_end"),
            interval_count_sane(
                "stripe.subscription_items",
                "price_recurring_interval",
                "price_recurring_interval_count",
            ),
            interval_count_sane(
                "stripe.subscription_items", "plan_interval", "plan_interval_count"
            ),
        ],
        happened=("created",),
        scheduled=("current_period_start", "current_period_end"),
    ),
    "invoices": contract(
        "stripe__invoices",
        required=("id", "customer", "status", "currency", "created"),
        rules={
            "id": [id_format(INVOICE, "an invoice id in_…")],
            "customer": [id_format(CUS, "a customer id cus_…")],
            "subscription": [id_format(SUB, "a subscription id sub_…")],
            "status": [enum(INVOICE_STATUS)],
            "currency": [currency()],
            "created": [unix_seconds()],
            "period_start": [unix_seconds()],
            "period_end": [unix_seconds()],
            "amount_due": [at_least(0)],
            "amount_paid": [at_least(0)],
            "amount_remaining": [at_least(0)],
            "total_discount_amount": [at_least(0)],
            "attempt_count": [at_least(0)],
        },
        frame_rules=[not_before("stripe.invoices", "period_start", "period_end")],
        happened=("created", "finalized_at", "paid_at", "voided_at", "marked_uncollectible_at"),
        scheduled=("period_start", "period_end", "due_date", "effective_at"),
    ),
    "invoice_lines": contract(
        "stripe__invoice_lines",
        required=("invoice_id", "id", "amount", "currency"),
        rules={
            "id": [id_format(LINE, "an invoice line id il_…, ii_… or sli_…")],
            "currency": [currency()],
            "quantity": [at_least(0)],
            "period_start": [unix_seconds()],
            "period_end": [unix_seconds()],
            "discount_amount": [at_least(0)],
            "subscription": [id_format(SUB, "a subscription id sub_…")],
            "subscription_item": [id_format(SI, "a subscription item id si_…")],
            "invoice_item": [id_format(INVOICE_ITEM, "an invoice item id ii_…")],
            "price_id": [id_format(PRICE, "a price id price_…")],
            "price_unit_amount": [at_least(0)],
            "price_type": [enum(PRICE_TYPE)],
            "price_recurring_interval": [enum(INTERVAL)],
            "price_recurring_usage_type": [enum(USAGE_TYPE)],
        },
        frame_rules=[
            not_before("stripe.invoice_lines", "period_start", "period_end"),
            interval_count_sane(
                "stripe.invoice_lines", "price_recurring_interval", "price_recurring_interval_count"
            ),
        ],
        scheduled=("period_start", "period_end"),
    ),
    "customer_discounts": contract(
        "stripe__customer_discounts", required=("id",), rules=_discount_rules, **_DISCOUNT_TIMES
    ),
    "subscription_discounts": contract(
        "stripe__subscription_discounts", required=("id",), rules=_discount_rules, **_DISCOUNT_TIMES
    ),
    "invoice_discounts": contract(
        "stripe__invoice_discounts", required=("id",), rules=_discount_rules, **_DISCOUNT_TIMES
    ),
    "charges": contract(
        "stripe__charges",
        required=("id", "amount", "currency", "status", "created"),
        rules={
            "id": [id_format(CHARGE, "a charge id ch_…")],
            "customer": [id_format(CUS, "a customer id cus_…")],
            "invoice": [id_format(INVOICE, "an invoice id in_…")],
            "amount": [at_least(0)],
            "amount_captured": [at_least(0)],
            "amount_refunded": [at_least(0)],
            "currency": [currency()],
            "status": [enum(CHARGE_STATUS)],
            "outcome_type": [enum(OUTCOME_TYPE)],
            "created": [unix_seconds()],
        },
        happened=("created",),
    ),
    "refunds": contract(
        "stripe__refunds",
        required=("id", "amount", "currency", "created"),
        rules={
            "id": [id_format(REFUND, "a refund id re_…")],
            "charge": [id_format(CHARGE, "a charge id ch_…")],
            "amount": [at_least(0)],
            "currency": [currency()],
            "status": [enum(REFUND_STATUS)],
            "created": [unix_seconds()],
        },
        happened=("created",),
    ),
    "coupons": contract(
        "stripe__coupons",
        required=("id", "duration"),
        rules={
            "id": [non_empty()],
            "percent_off": [between(0.0, 100.0)],
            "amount_off": [at_least(0)],
            "currency": [currency()],
            "duration": [enum(COUPON_DURATION)],
            "duration_in_months": [at_least(1)],
        },
        happened=("created",),
        scheduled=("redeem_by",),
    ),
    "prices": contract(
        "stripe__prices",
        required=("id", "currency"),
        rules={
            "id": [id_format(PRICE, "a price id price_…")],
            "currency": [currency()],
            "unit_amount": [at_least(0)],
            "type": [enum(PRICE_TYPE)],
            "recurring_interval": [enum(INTERVAL)],
            "recurring_usage_type": [enum(USAGE_TYPE)],
        },
        frame_rules=[
            interval_count_sane("stripe.prices", "recurring_interval", "recurring_interval_count")
        ],
        happened=("created",),
    ),
}

# Which raw tables a file's lines feed, parent first; the parent's key identifies the record.
FILE_TABLES: dict[str, tuple[str, ...]] = {
    "customers": ("customers", "customer_discounts"),
    "subscriptions": ("subscriptions", "subscription_items", "subscription_discounts"),
    "invoices": ("invoices", "invoice_lines", "invoice_discounts"),
    "charges": ("charges",),
    "refunds": ("refunds",),
    "coupons": ("coupons",),
    "prices": ("prices",),
}

OBJECT_OF_FILE = {
    "customers": "customer",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "charges": "charge",
    "refunds": "refund",
    "coupons": "coupon",
    "prices": "price",
}
