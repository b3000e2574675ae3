"""Ground truth of revenue: every customer's MRR per month, and the month's movements, worked out
from the billing simulator's own records (its subscription states and invoices), not from the drops.

Two figures per customer and month:
- `mrr`: what metrics.md §1 makes of the drops. On a date covered by drops the subscription's
  state that day counts when it is active or past_due. On a date before the first drop only
  invoices tell the amount: the non-proration line of the paid or open invoice covering the date,
  (amount − discount) over its own period; from a proration charge's period start, that line's
  plan × seats; where no invoice covers the date, the state the first drop shows. A subscription
  the first drop shows unpaid, paused or canceled counts on such a date only where a paid or open
  invoice covers it; one it shows incomplete never counts.
- `business_mrr`: the simulator's state at the end of the date (active or past_due), whatever the
  drops can tell. The two differ before the first drop where §1 cannot see the state: in the
  dunning days of an invoice that later failed, and while an unpaid subscription's open invoice
  covers the date.
Amounts are exact fractions of minor units until the reporting currency's cent, rounded half up once
per customer and month, as the published tables do.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from synthetic.calendar import SimCalendar
from synthetic.stripe_objects import Invoice, unit_amount

COUNTED = ("active", "past_due")
NEVER_STARTED = ("incomplete", "incomplete_expired")
COUNTED_WHERE_INVOICED = ("unpaid", "paused", "canceled")
MONTHS_OF_INTERVAL = {"month": 1, "year": 12}


@dataclass
class SubscriptionRecord:
    """One subscription as the simulator knew it: its states in recorded order and its invoices."""

    account: int
    customer_id: str
    currency: str
    discount_percent: int  # a forever percent-off from the subscription's start, or 0
    snaps: list[tuple[int, dict[str, Any]]]
    invoices: list[Invoice]


@dataclass
class _Line:
    period_start: int
    period_end: int
    proration: bool
    amount: int
    discount: int
    tier: int
    seats: int
    interval: str
    created: int
    line_id: str


def _invoice_status(inv: Invoice, as_of: int) -> str:
    """The invoice's status at unix time `as_of` (as stripe_objects.invoice_object shows it)."""
    if inv.paid_at and inv.paid_at <= as_of:
        return "paid"
    if inv.voided_at and inv.voided_at <= as_of:
        return "void"
    if inv.uncollectible_at and inv.uncollectible_at <= as_of:
        return "uncollectible"
    return "open" if inv.finalized_at <= as_of else "draft"


def _price_mrr(currency: str, tier: int, seats: int, interval: str, percent: int) -> Fraction:
    """Plan price × seats per month, less a percent-off discount (minor units, exact)."""
    gross = Fraction(unit_amount(currency, tier, interval) * seats, MONTHS_OF_INTERVAL[interval])
    return gross * Fraction(100 - percent, 100)


@dataclass
class RevenueTruth:
    """Collects every subscription's MRR per valuation date, summed per customer."""

    cal: SimCalendar
    as_of: int  # the last second of the simulated period: invoices are seen as of then
    valuations: list[tuple[dt.date, dt.date, int]] = field(default_factory=list)
    mrr: dict[str, list[Fraction]] = field(default_factory=dict)
    business: dict[str, list[Fraction]] = field(default_factory=dict)
    customers: dict[str, tuple[int, str]] = field(default_factory=dict)
    first_month: int | None = None

    def __post_init__(self) -> None:
        cal = self.cal
        for month in cal.month_starts():
            last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            day = min(cal.day_of(last - dt.timedelta(days=1)), cal.last_day)
            # A date is valued at its end: an instant counts when it is before the next day starts.
            self.valuations.append((month, cal.date(day), cal.ts(day + 1)))

    def add(self, record: SubscriptionRecord) -> None:
        """Add one subscription's MRR on every valuation date to its customer's."""
        if not record.snaps:
            return
        stamps = [ts for ts, _ in record.snaps]
        created = min(stamps)
        month = bisect.bisect_right([v[2] for v in self.valuations], created)
        self.first_month = month if self.first_month is None else min(self.first_month, month)
        self.customers.setdefault(record.customer_id, (record.account, record.currency))
        n = len(self.valuations)
        mrr = self.mrr.setdefault(record.customer_id, [Fraction(0)] * n)
        business = self.business.setdefault(record.customer_id, [Fraction(0)] * n)
        state_at = _state_function(record.snaps)
        initial_end = self.cal.ts(self.cal.initial_day + 1)
        first = state_at(initial_end) if created < initial_end else None
        lines = self._billed_lines(record)
        for i in range(month, n):
            v_end = self.valuations[i][2]
            now = state_at(v_end)
            state_mrr = self._state_mrr(record, now)
            business[i] += state_mrr
            if self.valuations[i][1] >= self.cal.initial_drop:
                mrr[i] += state_mrr
            elif first is not None:
                mrr[i] += self._history_mrr(record, first, created, lines, v_end)

    def _state_mrr(self, record: SubscriptionRecord, state: dict[str, Any] | None) -> Fraction:
        if state is None or state["status"] not in COUNTED:
            return Fraction(0)
        return _price_mrr(
            record.currency,
            state["tier"],
            state["seats"],
            state["interval"],
            record.discount_percent,
        )

    def _billed_lines(self, record: SubscriptionRecord) -> list[_Line]:
        """The subscription lines of its paid or open invoices (as of the end) with a period."""
        lines = []
        for inv in record.invoices:
            if _invoice_status(inv, self.as_of) not in ("paid", "open"):
                continue
            for line in inv.lines:
                if line.period_end > line.period_start:
                    lines.append(
                        _Line(
                            line.period_start,
                            line.period_end,
                            line.proration,
                            line.amount,
                            line.discount_amount,
                            line.tier,
                            line.quantity,
                            line.interval,
                            inv.created,
                            line.line_id,
                        )
                    )
        return lines

    def _history_mrr(
        self,
        record: SubscriptionRecord,
        first: dict[str, Any],
        created: int,
        lines: list[_Line],
        v_end: int,
    ) -> Fraction:
        """§1 on a date before the first drop: the subscription's dates say whether it counts, its
        invoices what it is worth."""
        if first["status"] in NEVER_STARTED or created >= v_end:
            return Fraction(0)
        if first["ended_at"] is not None and first["ended_at"] < v_end:
            return Fraction(0)
        if first["trial_end"] is not None and first["trial_end"] >= v_end:
            return Fraction(0)
        covering = [x for x in lines if x.period_start < v_end <= x.period_end]
        if first["status"] in COUNTED_WHERE_INVOICED and not covering:
            return Fraction(0)
        cycles = [x for x in covering if not x.proration]
        cycle = max(cycles, key=lambda x: (x.created, x.line_id), default=None)
        charges = [x for x in covering if x.proration and x.amount > 0]
        charge = max(charges, key=lambda x: (x.period_start, x.created, x.line_id), default=None)
        if charge is not None and (cycle is None or charge.period_start > cycle.period_start):
            return _price_mrr(
                record.currency, charge.tier, charge.seats, charge.interval, record.discount_percent
            )
        if cycle is not None:
            return Fraction(cycle.amount - cycle.discount, MONTHS_OF_INTERVAL[cycle.interval])
        return self._state_mrr(record, {**first, "status": "active"})

    def write(
        self, gt: Path, account_ids: list[str], rate_of: Callable[[str, dt.date], Decimal]
    ) -> None:
        """mrr_truth.csv (per customer and month, from its first month with MRR) and
        mrr_movements_truth.csv (per month), in the reporting currency (USD)."""
        if self.first_month is None:
            months: list[tuple[dt.date, dt.date, int]] = []
        else:
            months = self.valuations[self.first_month :]
        offset = self.first_month or 0
        rows = []
        for customer in sorted(self.customers):
            account, currency = self.customers[customer]
            rows += _customer_rows(
                customer,
                account_ids[account],
                currency,
                months,
                self.mrr[customer][offset:],
                self.business[customer][offset:],
                rate_of,
            )
        with (gt / "mrr_truth.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.DictWriter(handle, list(rows[0]) if rows else ["month"], lineterminator="\n")
            out.writeheader()
            out.writerows(rows)
        _write_movements(gt / "mrr_movements_truth.csv", [m for m, _, _ in months], rows)


def _state_function(snaps: list[tuple[int, dict[str, Any]]]) -> Callable[[int], Any]:
    """The state a drop shows at an instant: the last state recorded with a time before it (in the
    order recorded, as the simulator's writer picks it), None before the first."""

    def state_at(before: int) -> dict[str, Any] | None:
        current = None
        for ts, state in snaps:
            if ts < before:
                current = state
        return current

    return state_at


def _cents(minor: Fraction, rate: Fraction) -> Decimal:
    """Minor units × rate to major units, rounded half up to the cent."""
    value = minor * rate
    cents = (value.numerator * 2 + value.denominator) // (2 * value.denominator)
    return Decimal(cents) / 100


def _customer_rows(
    customer: str,
    account_id: str,
    currency: str,
    months: list[tuple[dt.date, dt.date, int]],
    mrr: list[Fraction],
    business: list[Fraction],
    rate_of: Callable[[str, dt.date], Decimal],
) -> list[dict[str, Any]]:
    rows = []
    previous = Decimal(0)
    started = False
    for (month, valuation, _end), minor, truth in zip(months, mrr, business, strict=True):
        rate = Fraction(rate_of(currency, valuation))
        value = _cents(minor, rate)
        if not started and value <= 0:
            continue
        category = _movement(previous, value, first=not started)
        started = True
        rows.append(
            {
                "account_id": account_id,
                "stripe_customer_id": customer,
                "month": month.isoformat(),
                "valuation_date": valuation.isoformat(),
                "currency": currency.upper(),
                "mrr_minor": f"{float(minor):.9f}",
                "mrr": f"{value:.2f}",
                "previous_mrr": f"{previous:.2f}",
                "movement_category": category,
                "business_mrr": f"{_cents(truth, rate):.2f}",
            }
        )
        previous = value
    return rows


def _movement(previous: Decimal, now: Decimal, first: bool) -> str:
    """metrics.md §1's movement of a customer between two months (on cent amounts)."""
    if previous == 0 and now > 0:
        return "new" if first else "reactivation"
    if previous > 0 and now == 0:
        return "churn"
    if previous > 0:
        return "expansion" if now > previous else "contraction" if now < previous else "retained"
    return "inactive"


def _month_movements(group: list[dict[str, Any]]) -> list[Any]:
    """One month's totals over its customer rows: start, each movement, end, and logo counts."""
    sums = dict.fromkeys(("new", "reactivation", "expansion", "contraction", "churn"), Decimal(0))
    start = end = Decimal(0)
    counts = dict.fromkeys((*sums, "start", "end"), 0)
    for row in group:
        before, now, kind = (
            Decimal(row["previous_mrr"]),
            Decimal(row["mrr"]),
            row["movement_category"],
        )
        start, end = start + before, end + now
        counts["start"] += before > 0
        counts["end"] += now > 0
        if kind in sums:
            counts[kind] += 1
            sums[kind] += {
                "new": now,
                "reactivation": now,
                "expansion": now - before,
                "contraction": before - now,
                "churn": before,
            }[kind]
    money = [start, *sums.values(), end]
    logos = [counts[k] for k in ("start", "new", "reactivation", "expansion", "contraction")]
    return [f"{m:.2f}" for m in money] + logos + [counts["churn"], counts["end"]]


def _write_movements(path: Path, months: list[dt.date], rows: list[dict[str, Any]]) -> None:
    """mrr_movements_truth.csv: every month's totals, months without customers included."""
    columns = [
        "month",
        "mrr_start",
        "new_mrr",
        "reactivation_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "mrr_end",
        "logos_start",
        "logos_new",
        "logos_reactivated",
        "logos_expanded",
        "logos_contracted",
        "logos_churned",
        "logos_end",
    ]
    by_month: dict[str, list[dict[str, Any]]] = {m.isoformat(): [] for m in months}
    for row in rows:
        by_month[row["month"]].append(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(columns)
        for month, group in by_month.items():
            out.writerow([month, *_month_movements(group)])
