"""Stripe API objects in either API shape, built from the simulator's compact state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synthetic.catalog import ANNUAL_MONTHS_BILLED, PLANS, PRICE_PER_SEAT_MONTH

CURRENT = "current"
PRE_2025_03_31 = "pre_2025_03_31"
API_VERSIONS = (CURRENT, PRE_2025_03_31)

INTERVAL_NAME = {"month": "monthly", "year": "annual"}


def unit_amount(currency: str, tier: int, interval: str) -> int:
    monthly = PRICE_PER_SEAT_MONTH[currency][tier]
    return monthly * ANNUAL_MONTHS_BILLED if interval == "year" else monthly


def lookup_key(currency: str, tier: int, interval: str) -> str:
    key = f"{PLANS[tier]}_{INTERVAL_NAME[interval]}"
    # Stripe lookup keys are unique per account, so other currencies carry a suffix.
    return key if currency == "usd" else f"{key}_{currency}"


class PriceBook:
    """The fixed price list: one Stripe price per currency, plan and billing interval."""

    def __init__(self, ids: dict[tuple[str, int, str], str], created: int, api: str) -> None:
        self.ids = ids
        self.created = created
        self.api = api
        self._objects: dict[tuple[str, int, str], dict[str, Any]] = {}

    def product(self, tier: int) -> str:
        return f"prod_cswplan{PLANS[tier]}"

    def price(self, currency: str, tier: int, interval: str) -> dict[str, Any]:
        key = (currency, tier, interval)
        if key not in self._objects:
            amount = unit_amount(currency, tier, interval)
            recurring: dict[str, Any] = {}
            if self.api == PRE_2025_03_31:
                recurring["aggregate_usage"] = None
            recurring.update(
                {
                    "interval": interval,
                    "interval_count": 1,
                    "meter": None,
                    "trial_period_days": None,
                    "usage_type": "licensed",
                }
            )
            self._objects[key] = {
                "id": self.ids[key],
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": self.created,
                "currency": currency,
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": lookup_key(currency, tier, interval),
                "metadata": {"plan": PLANS[tier]},
                "nickname": f"{PLANS[tier].title()} {INTERVAL_NAME[interval]}",
                "product": self.product(tier),
                "recurring": recurring,
                "tax_behavior": "exclusive",
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "recurring",
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
            }
        return self._objects[key]


def customer_object(
    cus_id: str,
    created: int,
    currency: str | None,
    email: str,
    name: str,
    account_id: str,
    invoice_prefix: str,
) -> dict[str, Any]:
    return {
        "id": cus_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {"account_id": account_id},
        "name": name,
        "phone": None,
        "preferred_locales": ["en"],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def deleted_customer(cus_id: str) -> dict[str, Any]:
    return {"id": cus_id, "object": "customer", "deleted": True}


def discount_object(
    di_id: str, customer: str, sub_id: str, start: int, coupon_created: int
) -> dict[str, Any]:
    return {
        "id": di_id,
        "object": "discount",
        "checkout_session": None,
        "coupon": {
            "id": "LOYAL20",
            "object": "coupon",
            "amount_off": None,
            "created": coupon_created,
            "currency": None,
            "duration": "forever",
            "duration_in_months": None,
            "livemode": False,
            "max_redemptions": None,
            "metadata": {},
            "name": "20% off forever",
            "percent_off": 20,
            "redeem_by": None,
            "times_redeemed": 0,
            "valid": True,
        },
        "customer": customer,
        "end": None,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "start": start,
        "subscription": sub_id,
        "subscription_item": None,
    }


@dataclass
class SubscriptionStatic:
    """Attributes of a subscription that never change."""

    sub_id: str
    si_id: str
    customer: str
    created: int
    currency: str
    discount: dict[str, Any] | None
    metadata: dict[str, str]


def subscription_object(
    static: SubscriptionStatic, snap: dict[str, Any], prices: PriceBook
) -> dict[str, Any]:
    """A subscription as the API returns it, from one snapshot of its mutable state."""
    api = prices.api
    price = prices.price(static.currency, snap["tier"], snap["interval"])
    item: dict[str, Any] = {
        "id": static.si_id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": static.created,
        "discounts": [],
        "metadata": {},
        "plan": None,
        "price": price,
        "quantity": snap["seats"],
        "subscription": static.sub_id,
        "tax_rates": [],
    }
    if api == CURRENT:
        item["current_period_end"] = snap["cpe"]
        item["current_period_start"] = snap["cps"]
    obj: dict[str, Any] = {
        "id": static.sub_id,
        "object": "subscription",
        "application": None,
        "billing_cycle_anchor": snap["anchor"],
        "cancel_at": snap["cancel_at"],
        "cancel_at_period_end": snap["cancel_at_period_end"],
        "canceled_at": snap["canceled_at"],
        "cancellation_details": {
            "comment": snap["comment"],
            "feedback": snap["feedback"],
            "reason": snap["reason"],
        },
        "collection_method": "charge_automatically",
        "created": static.created,
        "currency": static.currency,
    }
    if api == PRE_2025_03_31:
        obj["current_period_end"] = snap["cpe"]
        obj["current_period_start"] = snap["cps"]
    obj["customer"] = static.customer
    obj["days_until_due"] = None
    obj["default_payment_method"] = None
    obj["description"] = None
    if api == PRE_2025_03_31:
        obj["discount"] = static.discount
        obj["discounts"] = [static.discount["id"]] if static.discount else []
    else:
        obj["discounts"] = [static.discount] if static.discount else []
    obj.update(
        {
            "ended_at": snap["ended_at"],
            "items": {
                "object": "list",
                "data": [item],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/subscription_items?subscription={static.sub_id}",
            },
            "latest_invoice": snap["latest_invoice"],
            "livemode": False,
            "metadata": static.metadata,
            "pause_collection": None,
            "schedule": None,
            "start_date": static.created,
            "status": snap["status"],
            "test_clock": None,
            "trial_end": snap["trial_end"],
            "trial_settings": {"end_behavior": {"missing_payment_method": "cancel"}},
            "trial_start": snap["trial_start"],
        }
    )
    return obj


@dataclass
class InvoiceLine:
    line_id: str
    amount: int
    period_start: int
    period_end: int
    proration: bool
    quantity: int
    tier: int
    interval: str
    description: str
    discount_amount: int


@dataclass
class Attempt:
    ts: int
    charge_id: str
    succeeded: bool


@dataclass
class Invoice:
    """An invoice's whole lifecycle, decided when it is created."""

    inv_id: str
    number: str
    customer: str
    customer_email: str
    sub_id: str
    si_id: str
    currency: str
    created: int
    billing_reason: str
    period_start: int
    period_end: int
    lines: list[InvoiceLine]
    discount_id: str | None
    attempts: list[Attempt] = field(default_factory=list)
    paid_at: int | None = None
    voided_at: int | None = None
    uncollectible_at: int | None = None

    @property
    def finalized_at(self) -> int:
        return self.created + 3600

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - sum(line.discount_amount for line in self.lines)

    def change_timestamps(self) -> list[int]:
        stamps = [self.created, self.finalized_at] + [a.ts for a in self.attempts]
        stamps += [t for t in (self.paid_at, self.voided_at, self.uncollectible_at) if t]
        return stamps


def _line_object(inv: Invoice, line: InvoiceLine, prices: PriceBook) -> dict[str, Any]:
    price = prices.price(inv.currency, line.tier, line.interval)
    discount_amounts = (
        [{"amount": line.discount_amount, "discount": inv.discount_id}]
        if inv.discount_id and line.discount_amount
        else []
    )
    obj: dict[str, Any] = {
        "id": line.line_id,
        "object": "line_item",
        "amount": line.amount,
        "currency": inv.currency,
        "description": line.description,
        "discount_amounts": discount_amounts,
        # Stripe never discounts a proration line again: its amount is already net of discounts.
        "discountable": not line.proration,
        "discounts": [inv.discount_id] if inv.discount_id else [],
        "invoice": inv.inv_id,
        "livemode": False,
        "metadata": {},
        "period": {"end": line.period_end, "start": line.period_start},
    }
    if prices.api == PRE_2025_03_31:
        obj.update(
            {
                "plan": None,
                "price": price,
                "proration": line.proration,
                "proration_details": {"credited_items": None},
                "quantity": line.quantity,
                "subscription": inv.sub_id,
                "subscription_item": inv.si_id,
                "tax_amounts": [],
                "tax_rates": [],
                "type": "subscription",
            }
        )
    else:
        obj.update(
            {
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": line.proration,
                        "proration_details": {"credited_items": None},
                        "subscription": inv.sub_id,
                        "subscription_item": inv.si_id,
                    },
                },
                "pretax_credit_amounts": [],
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "unit_amount_decimal": price["unit_amount_decimal"],
                },
                # Not in the 2025-03-31 shape (it lives in parent); kept because ingest reads it.
                "proration": line.proration,
                "quantity": line.quantity,
                "taxes": [],
            }
        )
    return obj


def invoice_object(inv: Invoice, as_of: int, prices: PriceBook) -> dict[str, Any]:
    """The invoice as the API would return it at unix time `as_of`."""
    finalized = inv.finalized_at if inv.finalized_at <= as_of else None
    attempts = [a for a in inv.attempts if a.ts <= as_of]
    paid_at = inv.paid_at if inv.paid_at and inv.paid_at <= as_of else None
    voided_at = inv.voided_at if inv.voided_at and inv.voided_at <= as_of else None
    uncollectible_at = (
        inv.uncollectible_at if inv.uncollectible_at and inv.uncollectible_at <= as_of else None
    )
    if paid_at:
        status = "paid"
    elif voided_at:
        status = "void"
    elif uncollectible_at:
        status = "uncollectible"
    elif finalized:
        status = "open"
    else:
        status = "draft"
    total = inv.total
    amount_paid = total if paid_at else 0
    pending = [a for a in inv.attempts if a.ts > as_of]
    next_attempt = pending[0].ts if pending and status in ("draft", "open") else None
    discount_total = total - inv.subtotal
    obj: dict[str, Any] = {
        "id": inv.inv_id,
        "object": "invoice",
        "account_country": "US",
        "amount_due": total,
        "amount_paid": amount_paid,
        "amount_remaining": 0 if status in ("paid", "void") else total - amount_paid,
        "attempt_count": len(attempts),
        "attempted": bool(attempts),
        "auto_advance": status in ("draft", "open"),
        "billing_reason": inv.billing_reason,
        "collection_method": "charge_automatically",
        "created": inv.created,
        "currency": inv.currency,
        "customer": inv.customer,
        "customer_email": inv.customer_email,
        "discounts": [inv.discount_id] if inv.discount_id else [],
        "due_date": None,
        "effective_at": finalized,
        "ending_balance": 0 if finalized else None,
        "hosted_invoice_url": None,
        "lines": {
            "object": "list",
            "data": [_line_object(inv, line, prices) for line in inv.lines],
            "has_more": False,
            "total_count": len(inv.lines),
            "url": f"/v1/invoices/{inv.inv_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": next_attempt,
        "number": inv.number if finalized else None,
    }
    if prices.api == PRE_2025_03_31:
        succeeded = [a for a in attempts if a.succeeded]
        last = succeeded[-1] if succeeded else (attempts[-1] if attempts else None)
        obj["charge"] = last.charge_id if last else None
        obj["paid"] = status == "paid"
        obj["payment_intent"] = None
    else:
        obj["parent"] = {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": inv.sub_id},
        }
    obj.update(
        {
            "period_end": inv.period_end,
            "period_start": inv.period_start,
            "starting_balance": 0,
            "status": status,
            "status_transitions": {
                "finalized_at": finalized,
                "marked_uncollectible_at": uncollectible_at,
                "paid_at": paid_at,
                "voided_at": voided_at,
            },
        }
    )
    if prices.api == PRE_2025_03_31:
        obj["subscription"] = inv.sub_id
    obj.update(
        {
            "subtotal": inv.subtotal,
            "subtotal_excluding_tax": inv.subtotal,
            "total": total,
            "total_discount_amounts": (
                [{"amount": -discount_total, "discount": inv.discount_id}]
                if inv.discount_id and discount_total
                else []
            ),
            "total_excluding_tax": total,
        }
    )
    return obj


@dataclass
class Charge:
    """A payment attempt; only a later refund changes it."""

    ch_id: str
    customer: str
    inv_id: str
    amount: int
    currency: str
    created: int
    failure: tuple[str, str, str, str] | None
    description: str
    risk_score: int
    refund_id: str | None = None
    refund_amount: int = 0
    refund_at: int | None = None


def charge_object(ch: Charge, as_of: int, api: str) -> dict[str, Any]:
    refunded_amount = ch.refund_amount if ch.refund_at and ch.refund_at <= as_of else 0
    ok = ch.failure is None
    if ok:
        outcome = {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": ch.risk_score,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    else:
        code, reason, kind, message = ch.failure
        blocked = kind == "blocked"
        outcome = {
            "advice_code": "do_not_try_again" if blocked else "try_again_later",
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "not_sent_to_network" if blocked else "declined_by_network",
            "reason": reason,
            "risk_level": "highest" if blocked else "normal",
            "risk_score": 95 if blocked else ch.risk_score,
            "seller_message": (
                "Stripe blocked this payment as too risky."
                if blocked
                else "The bank did not return any further details with this decline."
            ),
            "type": kind,
        }
    obj: dict[str, Any] = {
        "id": ch.ch_id,
        "object": "charge",
        "amount": ch.amount,
        "amount_captured": ch.amount if ok else 0,
        "amount_refunded": refunded_amount,
        "balance_transaction": f"txn_{ch.ch_id[3:]}" if ok else None,
        "captured": ok,
        "created": ch.created,
        "currency": ch.currency,
        "customer": ch.customer,
        "description": ch.description,
        "disputed": False,
        "failure_code": None if ok else ch.failure[0],
        "failure_message": None if ok else ch.failure[3],
        "fraud_details": {},
    }
    if api == PRE_2025_03_31:
        obj["invoice"] = ch.inv_id
    obj.update(
        {
            "livemode": False,
            "metadata": {},
            "outcome": outcome,
            "paid": ok,
            "payment_method": f"pm_{ch.customer[4:]}",
            "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
            "refunded": bool(refunded_amount) and refunded_amount == ch.amount,
            "status": "succeeded" if ok else "failed",
        }
    )
    return obj


def refund_object(ch: Charge) -> dict[str, Any]:
    return {
        "id": ch.refund_id,
        "object": "refund",
        "amount": ch.refund_amount,
        "balance_transaction": f"txn_{ch.refund_id[3:]}",
        "charge": ch.ch_id,
        "created": ch.refund_at,
        "currency": ch.currency,
        "metadata": {},
        "payment_intent": None,
        "reason": "requested_by_customer",
        "receipt_number": None,
        "status": "succeeded",
    }
