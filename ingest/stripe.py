"""Stripe API objects flattened into rows of their raw tables (both the pre- and post-2025-03-31 shapes).

`flatten_<object>` turns one parsed JSON object into rows of its raw tables (the parent row and its
child rows) and reports values of the wrong JSON type; the contracts of data_contracts/stripe.py then
check enumerations, id formats, ranges and cross-field rules on the typed frames.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.records import Flatten, RecordReader


def _metadata(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _discount_rows(
    r: RecordReader, table: str, parent_object: str, parent_id: Any, obj: dict
) -> list[dict]:
    """`discount` (singular, older) and `discounts[]` (ids or expanded objects) as child rows."""
    found = []
    single = obj.get("discount")
    if single is not None:
        found.append((0, single))
    many = obj.get("discounts")
    if many is not None:
        if isinstance(many, list):
            found.extend((i + 1, d) for i, d in enumerate(many))
        else:
            r.type_error(table, "id", many, "discounts must be a list")
    rows = []
    for index, d in found:
        if isinstance(d, str):
            rows.append({"parent_object": parent_object, "parent_id": parent_id, "id": d})
            rows[-1]["discount_index"] = index
            continue
        if not isinstance(d, dict):
            r.type_error(table, "id", d, "a discount must be an id or an object")
            continue
        coupon = d.get("coupon")
        if coupon is None and isinstance(d.get("source"), dict):
            coupon = d["source"].get("coupon")
        coupon_obj = coupon if isinstance(coupon, dict) else {}
        rows.append(
            {
                "parent_object": parent_object,
                "parent_id": parent_id,
                "discount_index": index,
                "id": r.str_(table, "id", d.get("id")),
                "coupon_id": r.ref(table, "coupon_id", coupon),
                "coupon_percent_off": r.float_(
                    table, "coupon_percent_off", coupon_obj.get("percent_off")
                ),
                "coupon_amount_off": r.int_(
                    table, "coupon_amount_off", coupon_obj.get("amount_off")
                ),
                "coupon_currency": r.str_(table, "coupon_currency", coupon_obj.get("currency")),
                "coupon_duration": r.str_(table, "coupon_duration", coupon_obj.get("duration")),
                "coupon_duration_in_months": r.int_(
                    table, "coupon_duration_in_months", coupon_obj.get("duration_in_months")
                ),
                "promotion_code": r.ref(table, "promotion_code", d.get("promotion_code")),
                "start": r.int_(table, "start", d.get("start")),
                "end": r.int_(table, "end", d.get("end")),
            }
        )
    return rows


def _price_fields(r: RecordReader, table: str, price: Any, prefix: str = "price_") -> dict:
    p = price if isinstance(price, dict) else {}
    recurring = p.get("recurring") if isinstance(p.get("recurring"), dict) else {}
    fields = {
        f"{prefix}unit_amount": r.int_(table, f"{prefix}unit_amount", p.get("unit_amount")),
        f"{prefix}type": r.str_(table, f"{prefix}type", p.get("type")),
        f"{prefix}recurring_interval": r.str_(
            table, f"{prefix}recurring_interval", recurring.get("interval")
        ),
        f"{prefix}recurring_interval_count": r.int_(
            table, f"{prefix}recurring_interval_count", recurring.get("interval_count")
        ),
        f"{prefix}recurring_usage_type": r.str_(
            table, f"{prefix}recurring_usage_type", recurring.get("usage_type")
        ),
    }
    return fields


def flatten_customer(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A customer (or a deletion record) as its row and its discount rows."""
    t = "customers"
    row = {
        "id": r.str_(t, "id", o.get("id")),
        "deleted": r.bool_(t, "deleted", o.get("deleted", False)),
        "created": r.int_(t, "created", o.get("created")),
        "email": r.str_(t, "email", o.get("email")),
        "name": r.str_(t, "name", o.get("name")),
        "description": r.str_(t, "description", o.get("description")),
        "currency": r.str_(t, "currency", o.get("currency")),
        "balance": r.int_(t, "balance", o.get("balance")),
        "delinquent": r.bool_(t, "delinquent", o.get("delinquent")),
        "livemode": r.bool_(t, "livemode", o.get("livemode")),
        "metadata": _metadata(o.get("metadata")),
    }
    discounts = _discount_rows(r, "customer_discounts", "customer", row["id"], o)
    return {"customers": [row], "customer_discounts": discounts}


def flatten_subscription(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A subscription as its row, its item rows and the discounts on it and its items."""
    t = "subscriptions"
    sub_id = r.str_(t, "id", o.get("id"))
    cancellation = r.obj(t, "cancellation_reason", o.get("cancellation_details"))
    pause = r.obj(t, "pause_collection_behavior", o.get("pause_collection"))
    items_list = r.obj(t, "item_count", o.get("items"))
    items = items_list.get("data", [])
    if not isinstance(items, list):
        r.type_error(t, "item_count", items, "items.data must be a list")
        items = []
    row = {
        "id": sub_id,
        "customer": r.ref(t, "customer", o.get("customer")),
        "status": r.str_(t, "status", o.get("status")),
        "currency": r.str_(t, "currency", o.get("currency")),
        "collection_method": r.str_(t, "collection_method", o.get("collection_method")),
        "created": r.int_(t, "created", o.get("created")),
        "start_date": r.int_(t, "start_date", o.get("start_date")),
        "billing_cycle_anchor": r.int_(t, "billing_cycle_anchor", o.get("billing_cycle_anchor")),
        "current_period_start": r.int_(t, "current_period_start", o.get("current_period_start")),
        "current_period_end": r.int_(t, "current_period_end", o.get("current_period_end")),
        "trial_start": r.int_(t, "trial_start", o.get("trial_start")),
        "trial_end": r.int_(t, "trial_end", o.get("trial_end")),
        "cancel_at": r.int_(t, "cancel_at", o.get("cancel_at")),
        "cancel_at_period_end": r.bool_(t, "cancel_at_period_end", o.get("cancel_at_period_end")),
        "canceled_at": r.int_(t, "canceled_at", o.get("canceled_at")),
        "ended_at": r.int_(t, "ended_at", o.get("ended_at")),
        "cancellation_reason": r.str_(t, "cancellation_reason", cancellation.get("reason")),
        "cancellation_feedback": r.str_(t, "cancellation_feedback", cancellation.get("feedback")),
        "cancellation_comment": r.str_(t, "cancellation_comment", cancellation.get("comment")),
        "pause_collection_behavior": r.str_(t, "pause_collection_behavior", pause.get("behavior")),
        "pause_collection_resumes_at": r.int_(
            t, "pause_collection_resumes_at", pause.get("resumes_at")
        ),
        "latest_invoice": r.ref(t, "latest_invoice", o.get("latest_invoice")),
        "livemode": r.bool_(t, "livemode", o.get("livemode")),
        "item_count": len(items),
        "metadata": _metadata(o.get("metadata")),
    }
    item_rows: list[dict] = []
    discounts = _discount_rows(r, "subscription_discounts", "subscription", sub_id, o)
    ti = "subscription_items"
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            r.type_error(ti, "id", item, "items.data[] must be objects")
            continue
        item_row = _subscription_item_row(r, sub_id, index, item)
        item_rows.append(item_row)
        discounts += _discount_rows(
            r, "subscription_discounts", "subscription_item", item_row["id"], item
        )
    return {
        "subscriptions": [row],
        "subscription_items": item_rows,
        "subscription_discounts": discounts,
    }


def _subscription_item_row(
    r: RecordReader, subscription_id: str | None, index: int, item: dict
) -> dict:
    """One entry of a subscription's items.data as its raw row."""
    ti = "subscription_items"
    price = item.get("price")
    price_obj = r.obj(ti, "price_id", price) if not isinstance(price, str) else {}
    plan = r.obj(ti, "plan_id", item.get("plan"))
    row = {
        "subscription_id": subscription_id,
        "item_index": index,
        "id": r.str_(ti, "id", item.get("id")),
        "created": r.int_(ti, "created", item.get("created")),
        "quantity": r.int_(ti, "quantity", item.get("quantity")),
        "current_period_start": r.int_(
            ti, "current_period_start", item.get("current_period_start")
        ),
        "current_period_end": r.int_(ti, "current_period_end", item.get("current_period_end")),
        "price_id": r.ref(ti, "price_id", price),
        "price_product": r.ref(ti, "price_product", price_obj.get("product")),
        "price_active": r.bool_(ti, "price_active", price_obj.get("active")),
        "price_currency": r.str_(ti, "price_currency", price_obj.get("currency")),
        "price_unit_amount_decimal": r.str_(
            ti, "price_unit_amount_decimal", price_obj.get("unit_amount_decimal")
        ),
        "price_billing_scheme": r.str_(ti, "price_billing_scheme", price_obj.get("billing_scheme")),
        "price_nickname": r.str_(ti, "price_nickname", price_obj.get("nickname")),
        "price_lookup_key": r.str_(ti, "price_lookup_key", price_obj.get("lookup_key")),
        "plan_id": r.str_(ti, "plan_id", plan.get("id")),
        "plan_amount": r.int_(ti, "plan_amount", plan.get("amount")),
        "plan_currency": r.str_(ti, "plan_currency", plan.get("currency")),
        "plan_interval": r.str_(ti, "plan_interval", plan.get("interval")),
        "plan_interval_count": r.int_(ti, "plan_interval_count", plan.get("interval_count")),
        "plan_usage_type": r.str_(ti, "plan_usage_type", plan.get("usage_type")),
        "metadata": _metadata(item.get("metadata")),
        "price_metadata": _metadata(price_obj.get("metadata")),
    }
    row.update(_price_fields(r, ti, price_obj))
    return row


def _sum_amounts(r: RecordReader, table: str, column: str, value: Any) -> int | None:
    """The sum of a list of {amount, …} entries (0 for no list: nothing was taken off). An entry
    without an integer amount makes the sum unknown (None) and is reported, so that the record is
    quarantined rather than loaded with a discount counted as 0."""
    if value is None:
        return 0
    if not isinstance(value, list):
        r.type_error(table, column, value, "must be a list of {amount, …}")
        return None
    total: int | None = 0
    for entry in value:
        raw = entry.get("amount") if isinstance(entry, dict) else entry
        if raw is None:
            r.type_error(table, column, entry, "every entry must carry an integer amount")
        amount = r.int_(table, column, raw)  # reports an amount of the wrong type
        total = None if amount is None or total is None else total + amount
    return total


def flatten_invoice(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """An invoice as its row, its line rows and its discount rows."""
    t = "invoices"
    inv_id = r.str_(t, "id", o.get("id"))
    parent = r.obj(t, "subscription", o.get("parent"))
    sub_details = r.obj(t, "subscription", parent.get("subscription_details"))
    transitions = r.obj(t, "finalized_at", o.get("status_transitions"))
    lines_list = r.obj(t, "line_count", o.get("lines"))
    lines = lines_list.get("data", [])
    if not isinstance(lines, list):
        r.type_error(t, "line_count", lines, "lines.data must be a list")
        lines = []
    subscription = o.get("subscription")
    if subscription is None:
        subscription = sub_details.get("subscription")
    row = {
        "id": inv_id,
        "customer": r.ref(t, "customer", o.get("customer")),
        "subscription": r.ref(t, "subscription", subscription),
        "status": r.str_(t, "status", o.get("status")),
        "billing_reason": r.str_(t, "billing_reason", o.get("billing_reason")),
        "collection_method": r.str_(t, "collection_method", o.get("collection_method")),
        "currency": r.str_(t, "currency", o.get("currency")),
        "number": r.str_(t, "number", o.get("number")),
        "livemode": r.bool_(t, "livemode", o.get("livemode")),
        "attempted": r.bool_(t, "attempted", o.get("attempted")),
        "paid": r.bool_(t, "paid", o.get("paid")),
        "total_discount_amount": _sum_amounts(
            r, t, "total_discount_amount", o.get("total_discount_amounts")
        ),
        "line_count": len(lines),
        "lines_has_more": r.bool_(t, "lines_has_more", lines_list.get("has_more")),
        "metadata": _metadata(o.get("metadata")),
    }
    for col in (
        "created",
        "period_start",
        "period_end",
        "due_date",
        "effective_at",
        "amount_due",
        "amount_paid",
        "amount_remaining",
        "subtotal",
        "total",
        "starting_balance",
        "ending_balance",
        "attempt_count",
    ):
        row[col] = r.int_(t, col, o.get(col))
    for col in ("finalized_at", "paid_at", "voided_at", "marked_uncollectible_at"):
        row[col] = r.int_(t, col, transitions.get(col))

    tl = "invoice_lines"
    line_rows = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            r.type_error(tl, "id", line, "lines.data[] must be objects")
            continue
        line_row = _invoice_line_row(r, inv_id, index, line)
        line_rows.append(line_row)
    discounts = _discount_rows(r, "invoice_discounts", "invoice", inv_id, o)
    return {"invoices": [row], "invoice_lines": line_rows, "invoice_discounts": discounts}


def _invoice_line_row(r: RecordReader, invoice_id: str | None, index: int, line: dict) -> dict:
    """One entry of an invoice's lines.data as its raw row (either API shape)."""
    tl = "invoice_lines"
    lparent = r.obj(tl, "parent_type", line.get("parent"))
    si_details = r.obj(tl, "subscription_item", lparent.get("subscription_item_details"))
    ii_details = r.obj(tl, "invoice_item", lparent.get("invoice_item_details"))
    period = r.obj(tl, "period_start", line.get("period"))
    pricing = r.obj(tl, "price_id", line.get("pricing"))
    price_details = r.obj(tl, "price_id", pricing.get("price_details"))
    price = line.get("price")
    if price is None:
        price = price_details.get("price")
    proration = line.get("proration")
    if proration is None:
        proration = si_details.get("proration", ii_details.get("proration"))
    line_sub = line.get("subscription")
    if line_sub is None:
        line_sub = si_details.get("subscription")
    if line_sub is None:
        line_sub = ii_details.get("subscription")
    line_si = line.get("subscription_item")
    if line_si is None:
        line_si = si_details.get("subscription_item")
    line_ii = line.get("invoice_item")
    if line_ii is None:
        line_ii = ii_details.get("invoice_item")
    row = {
        "invoice_id": invoice_id,
        "line_index": index,
        "id": r.str_(tl, "id", line.get("id")),
        "type": r.str_(tl, "type", line.get("type")),
        "parent_type": r.str_(tl, "parent_type", lparent.get("type")),
        "amount": r.int_(tl, "amount", line.get("amount")),
        "currency": r.str_(tl, "currency", line.get("currency")),
        "description": r.str_(tl, "description", line.get("description")),
        "quantity": r.int_(tl, "quantity", line.get("quantity")),
        "period_start": r.int_(tl, "period_start", period.get("start")),
        "period_end": r.int_(tl, "period_end", period.get("end")),
        "proration": r.bool_(tl, "proration", proration),
        "discountable": r.bool_(tl, "discountable", line.get("discountable")),
        "discount_amount": _sum_amounts(r, tl, "discount_amount", line.get("discount_amounts")),
        "subscription": r.ref(tl, "subscription", line_sub),
        "subscription_item": r.ref(tl, "subscription_item", line_si),
        "invoice_item": r.ref(tl, "invoice_item", line_ii),
        "price_id": r.ref(tl, "price_id", price),
        "metadata": _metadata(line.get("metadata")),
        "pricing_unit_amount_decimal": r.str_(
            tl, "pricing_unit_amount_decimal", pricing.get("unit_amount_decimal")
        ),
    }
    row.update(_price_fields(r, tl, price if isinstance(price, dict) else None))
    return row


def flatten_charge(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A charge as its row."""
    t = "charges"
    outcome = r.obj(t, "outcome_type", o.get("outcome"))
    row = {
        "id": r.str_(t, "id", o.get("id")),
        "customer": r.ref(t, "customer", o.get("customer")),
        "invoice": r.ref(t, "invoice", o.get("invoice")),
        "payment_intent": r.ref(t, "payment_intent", o.get("payment_intent")),
        "currency": r.str_(t, "currency", o.get("currency")),
        "status": r.str_(t, "status", o.get("status")),
        "failure_code": r.str_(t, "failure_code", o.get("failure_code")),
        "failure_message": r.str_(t, "failure_message", o.get("failure_message")),
        "outcome_type": r.str_(t, "outcome_type", outcome.get("type")),
        "outcome_reason": r.str_(t, "outcome_reason", outcome.get("reason")),
        "outcome_network_status": r.str_(
            t, "outcome_network_status", outcome.get("network_status")
        ),
        "outcome_seller_message": r.str_(
            t, "outcome_seller_message", outcome.get("seller_message")
        ),
        "description": r.str_(t, "description", o.get("description")),
        "metadata": _metadata(o.get("metadata")),
    }
    for col in ("amount", "amount_captured", "amount_refunded", "created"):
        row[col] = r.int_(t, col, o.get(col))
    for col in ("paid", "captured", "refunded", "disputed", "livemode"):
        row[col] = r.bool_(t, col, o.get(col))
    return {"charges": [row]}


def flatten_refund(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A refund as its row."""
    t = "refunds"
    row = {
        "id": r.str_(t, "id", o.get("id")),
        "charge": r.ref(t, "charge", o.get("charge")),
        "payment_intent": r.ref(t, "payment_intent", o.get("payment_intent")),
        "amount": r.int_(t, "amount", o.get("amount")),
        "currency": r.str_(t, "currency", o.get("currency")),
        "status": r.str_(t, "status", o.get("status")),
        "reason": r.str_(t, "reason", o.get("reason")),
        "created": r.int_(t, "created", o.get("created")),
        "metadata": _metadata(o.get("metadata")),
    }
    return {"refunds": [row]}


def flatten_coupon(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A coupon as its row."""
    t = "coupons"
    row = {
        "id": r.str_(t, "id", o.get("id")),
        "name": r.str_(t, "name", o.get("name")),
        "percent_off": r.float_(t, "percent_off", o.get("percent_off")),
        "amount_off": r.int_(t, "amount_off", o.get("amount_off")),
        "currency": r.str_(t, "currency", o.get("currency")),
        "duration": r.str_(t, "duration", o.get("duration")),
        "duration_in_months": r.int_(t, "duration_in_months", o.get("duration_in_months")),
        "valid": r.bool_(t, "valid", o.get("valid")),
        "created": r.int_(t, "created", o.get("created")),
        "redeem_by": r.int_(t, "redeem_by", o.get("redeem_by")),
        "times_redeemed": r.int_(t, "times_redeemed", o.get("times_redeemed")),
        "max_redemptions": r.int_(t, "max_redemptions", o.get("max_redemptions")),
        "metadata": _metadata(o.get("metadata")),
    }
    return {"coupons": [row]}


def flatten_price(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A price as its row."""
    t = "prices"
    fields = _price_fields(r, t, o, prefix="")
    row = {
        "id": r.str_(t, "id", o.get("id")),
        "product": r.ref(t, "product", o.get("product")),
        "active": r.bool_(t, "active", o.get("active")),
        "currency": r.str_(t, "currency", o.get("currency")),
        "unit_amount_decimal": r.str_(t, "unit_amount_decimal", o.get("unit_amount_decimal")),
        "billing_scheme": r.str_(t, "billing_scheme", o.get("billing_scheme")),
        "nickname": r.str_(t, "nickname", o.get("nickname")),
        "lookup_key": r.str_(t, "lookup_key", o.get("lookup_key")),
        "created": r.int_(t, "created", o.get("created")),
        "metadata": _metadata(o.get("metadata")),
        **fields,
    }
    return {"prices": [row]}


FLATTEN: dict[str, Flatten] = {
    "customers": flatten_customer,
    "subscriptions": flatten_subscription,
    "invoices": flatten_invoice,
    "charges": flatten_charge,
    "refunds": flatten_refund,
    "coupons": flatten_coupon,
    "prices": flatten_price,
}
