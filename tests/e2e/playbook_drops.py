"""Turn the dbt mrr-playbook's subscription periods into one Stripe + app_db drop in the real extract format.

Each row of `subscription_periods.csv` (subscription_id, customer_id, start_date, end_date,
monthly_amount; end exclusive) becomes a Stripe subscription with one item on a monthly price of that
amount, a paid invoice (and its charge) for every month it ran, and the customer an app_db account.
A subscription whose end is after the drop date is still active on the drop, set to cancel at its end.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

PLAYBOOK_CSV = Path("/work/shared/reference/real_inputs/mrr_playbook/subscription_periods.csv")

APP_DB_TABLES = {
    "users": "user_id,account_id,email,role,created_at,deactivated_at",
    "events": "event_id,account_id,user_id,event_type,feature_key,occurred_at",
    "onboarding_steps": "account_id,step_id,program_id,completed_at",
    "nps_survey_sends": "send_id,account_id,user_id,sent_at,trigger",
    "nps_responses": "response_id,send_id,account_id,user_id,score,comment,submitted_at,followed_up_at",
    "cs_activities": "activity_id,account_id,csm_id,activity_type,occurred_at",
    "csms": "csm_id,name,email",
}
TICKETING_TABLES = ("tickets", "satisfaction_ratings", "organizations")


@dataclass(frozen=True)
class Period:
    subscription_id: int
    customer_id: int
    start: dt.date
    end: dt.date
    monthly_amount: int


def read_periods(path: Path = PLAYBOOK_CSV) -> list[Period]:
    with path.open() as f:
        return [
            Period(
                int(row["subscription_id"]),
                int(row["customer_id"]),
                dt.date.fromisoformat(row["start_date"]),
                dt.date.fromisoformat(row["end_date"]),
                int(row["monthly_amount"]),
            )
            for row in csv.DictReader(f)
        ]


def _unix(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _add_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, day.day)


def _price(amount: int) -> dict:
    return {
        "id": f"price_monthly{amount}",
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "currency": "usd",
        "lookup_key": None,
        "nickname": f"Monthly {amount}",
        "product": "prod_playbook",
        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
        "type": "recurring",
        "unit_amount": amount * 100,
        "unit_amount_decimal": str(amount * 100),
    }


def _subscription(p: Period, drop_date: dt.date) -> dict:
    ended = p.end <= drop_date
    # The last period that started on or before the drop date.
    period_start = p.start
    while _add_month(period_start) <= min(drop_date, p.end) and _add_month(period_start) < p.end:
        period_start = _add_month(period_start)
    period_end = _add_month(period_start)
    return {
        "id": f"sub_{p.subscription_id}",
        "object": "subscription",
        "customer": f"cus_{p.customer_id}",
        "status": "canceled" if ended else "active",
        "currency": "usd",
        "collection_method": "charge_automatically",
        "created": _unix(p.start),
        "start_date": _unix(p.start),
        "billing_cycle_anchor": _unix(p.start),
        "current_period_start": _unix(period_start),
        "current_period_end": _unix(period_end),
        "trial_start": None,
        "trial_end": None,
        "cancel_at": _unix(p.end),
        "cancel_at_period_end": True,
        "canceled_at": _unix(period_start),
        "ended_at": _unix(p.end) if ended else None,
        "cancellation_details": {
            "reason": "cancellation_requested",
            "feedback": None,
            "comment": None,
        },
        "livemode": False,
        "metadata": {},
        "items": {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "id": f"si_{p.subscription_id}",
                    "object": "subscription_item",
                    "created": _unix(p.start),
                    "quantity": 1,
                    "price": _price(p.monthly_amount),
                    "metadata": {},
                }
            ],
        },
    }


def _invoices_and_charges(p: Period, drop_date: dt.date) -> tuple[list[dict], list[dict]]:
    invoices, charges = [], []
    start = p.start
    n = 0
    while start < p.end and start <= drop_date:
        end = _add_month(start)
        n += 1
        inv_id = f"in_{p.subscription_id}x{n}"
        cents = p.monthly_amount * 100
        invoices.append(
            {
                "id": inv_id,
                "object": "invoice",
                "customer": f"cus_{p.customer_id}",
                "subscription": f"sub_{p.subscription_id}",
                "status": "paid",
                "billing_reason": "subscription_create" if n == 1 else "subscription_cycle",
                "collection_method": "charge_automatically",
                "currency": "usd",
                "created": _unix(start),
                "period_start": _unix(start),
                "period_end": _unix(start),
                "amount_due": cents,
                "amount_paid": cents,
                "amount_remaining": 0,
                "subtotal": cents,
                "total": cents,
                "total_discount_amounts": [],
                "attempt_count": 1,
                "attempted": True,
                "paid": True,
                "number": f"PB-{p.subscription_id}-{n}",
                "status_transitions": {"finalized_at": _unix(start), "paid_at": _unix(start)},
                "livemode": False,
                "metadata": {},
                "lines": {
                    "object": "list",
                    "has_more": False,
                    "data": [
                        {
                            "id": f"il_{p.subscription_id}x{n}",
                            "object": "line_item",
                            "type": "subscription",
                            "amount": cents,
                            "currency": "usd",
                            "description": f"1 × Monthly {p.monthly_amount}",
                            "quantity": 1,
                            "period": {"start": _unix(start), "end": _unix(end)},
                            "proration": False,
                            "discountable": True,
                            "discount_amounts": [],
                            "subscription": f"sub_{p.subscription_id}",
                            "subscription_item": f"si_{p.subscription_id}",
                            "price": _price(p.monthly_amount),
                            "metadata": {},
                        }
                    ],
                },
            }
        )
        charges.append(
            {
                "id": f"ch_{p.subscription_id}x{n}",
                "object": "charge",
                "customer": f"cus_{p.customer_id}",
                "invoice": inv_id,
                "amount": cents,
                "amount_captured": cents,
                "amount_refunded": 0,
                "currency": "usd",
                "status": "succeeded",
                "paid": True,
                "captured": True,
                "refunded": False,
                "disputed": False,
                "outcome": {"type": "authorized", "network_status": "approved_by_network"},
                "created": _unix(start),
                "livemode": False,
                "metadata": {},
            }
        )
        start = end
    return invoices, charges


def _write_jsonl(path: Path, objects: list[dict]) -> None:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))


def write_playbook_drop(extracts: Path, drop_date: dt.date, periods: list[Period]) -> None:
    """Write the initial (full-history) drop of Stripe and app_db, plus empty ticketing files.

    Only what exists on the drop date: a period starting later (the CSV has some from 2020-01-01)
    is not a Stripe subscription yet, and its customer, if it has no earlier period, not a customer.
    """
    periods = [p for p in periods if p.start <= drop_date]
    stripe_dir = extracts / "stripe" / drop_date.isoformat()
    app_dir = extracts / "app_db" / drop_date.isoformat()
    ticket_dir = extracts / "ticketing" / drop_date.isoformat()
    for d in (stripe_dir, app_dir, ticket_dir):
        d.mkdir(parents=True, exist_ok=True)

    customer_ids = sorted({p.customer_id for p in periods})
    first_start = {c: min(p.start for p in periods if p.customer_id == c) for c in customer_ids}
    _write_jsonl(
        stripe_dir / "customers.jsonl",
        [
            {
                "id": f"cus_{c}",
                "object": "customer",
                "created": _unix(first_start[c]),
                "email": None,
                "name": f"Playbook customer {c}",
                "currency": "usd",
                "balance": 0,
                "delinquent": False,
                "livemode": False,
                "metadata": {},
            }
            for c in customer_ids
        ],
    )
    _write_jsonl(stripe_dir / "subscriptions.jsonl", [_subscription(p, drop_date) for p in periods])
    invoices: list[dict] = []
    charges: list[dict] = []
    for p in periods:
        inv, ch = _invoices_and_charges(p, drop_date)
        invoices += inv
        charges += ch
    _write_jsonl(stripe_dir / "invoices.jsonl", invoices)
    _write_jsonl(stripe_dir / "charges.jsonl", charges)

    with (app_dir / "accounts.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "account_id",
                "name",
                "stripe_customer_id",
                "segment",
                "plan",
                "csm_id",
                "created_at",
                "seats",
                "plan_conversation_limit",
                "advocacy_status",
            ]
        )
        for c in customer_ids:
            writer.writerow(
                [
                    f"acc_{c}",
                    f"Playbook account {c}",
                    f"cus_{c}",
                    "smb",
                    "starter",
                    "",
                    f"{first_start[c].isoformat()}T00:00:00Z",
                    1,
                    1000,
                    "",
                ]
            )
    for table, header in APP_DB_TABLES.items():
        (app_dir / f"{table}.csv").write_text(header + "\n")
    for table in TICKETING_TABLES:
        (ticket_dir / f"{table}.jsonl").write_text("")
