"""Changes of billing interval at renewal, and the log of every billing change for the ground truth.

Kept apart from the billing loop (billing.py) so that other changes of terms (multi-year terms,
renewal policies) can be added beside these without touching the loop's body.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthetic.calendar import SimCalendar
from synthetic.catalog import PLANS

#: Chance that a monthly subscriber moves to annual billing at the end of a monthly period.
MONTHLY_TO_ANNUAL_PER_PERIOD = 0.01
#: Chance that an annual subscriber moves to monthly billing at its renewal.
ANNUAL_TO_MONTHLY_AT_RENEWAL = 0.25


def interval_at_renewal(interval: str, rng: np.random.Generator) -> str | None:
    """The billing interval a subscription moves to from its next period (None: it stays).

    A move takes effect at the end of the current period, as Stripe schedules it when no proration
    is wanted: the next invoice is the first of the new interval.
    """
    if interval == "month":
        return "year" if rng.random() < MONTHLY_TO_ANNUAL_PER_PERIOD else None
    if interval == "year":
        return "month" if rng.random() < ANNUAL_TO_MONTHLY_AT_RENEWAL else None
    return None


@dataclass(frozen=True)
class BillingChange:
    """One change of what a subscription bills: kind, when it took effect, from and to."""

    account: int
    customer_id: str
    subscription_id: str
    kind: str  # interval_monthly_to_annual, interval_annual_to_monthly, upgrade, seats_added, …
    effective_at: int  # unix seconds
    before: str
    after: str


CHANGE_KINDS = (
    "interval_monthly_to_annual",
    "interval_annual_to_monthly",
    "upgrade",
    "seats_added",
    "downgrade",
    "seats_removed",
)


def period_changes(
    account: int, customer: str, sub_id: str, ts: int, state: dict, changes: dict
) -> list[BillingChange]:
    """The changes a new period starting at `ts` brings to a subscription in `state` (its tier,
    seats and interval until then): a move of interval, a downgrade, fewer seats."""
    found = []
    if changes["interval"] != state["interval"]:
        kind = (
            "interval_monthly_to_annual"
            if changes["interval"] == "year"
            else "interval_annual_to_monthly"
        )
        found.append(
            BillingChange(
                account, customer, sub_id, kind, ts, state["interval"], changes["interval"]
            )
        )
    if "tier" in changes and changes["tier"] != state["tier"]:
        found.append(
            BillingChange(
                account,
                customer,
                sub_id,
                "downgrade",
                ts,
                PLANS[state["tier"]],
                PLANS[changes["tier"]],
            )
        )
    if "seats" in changes and changes["seats"] != state["seats"]:
        found.append(
            BillingChange(
                account,
                customer,
                sub_id,
                "seats_removed",
                ts,
                str(state["seats"]),
                str(changes["seats"]),
            )
        )
    return found


def write_billing_changes(
    path: Path, cal: SimCalendar, account_ids: list[str], changes: list[BillingChange]
) -> None:
    """billing_changes.csv: every change of plan, seats or interval, and whether it took effect
    before the day of the first drop (then only invoices tell of it: the drops show it done)."""
    first_drop_start = cal.ts(cal.initial_day)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(
            [
                "account_id",
                "stripe_customer_id",
                "subscription_id",
                "kind",
                "effective_on",
                "before_first_drop",
                "before",
                "after",
            ]
        )
        for change in sorted(
            changes, key=lambda c: (c.account, c.effective_at, c.subscription_id, c.kind)
        ):
            out.writerow(
                [
                    account_ids[change.account],
                    change.customer_id,
                    change.subscription_id,
                    change.kind,
                    cal.date(cal.day_of_ts(change.effective_at)).isoformat(),
                    "true" if change.effective_at < first_drop_start else "false",
                    change.before,
                    change.after,
                ]
            )
