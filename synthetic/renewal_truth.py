"""Ground truth of renewals (metrics.md §11): every end of a term of 12 months or more and, once
measured, its outcome, worked out from the billing simulator's own records (its invoices and the
per-month MRR of revenue_truth.py), not from the drops.

A renewal is the end of a non-proration subscription line of a paid or open invoice whose service
period is 12 months or more (a trial line is days long, whatever its interval). Its outcome compares
the customer's MRR (revenue truth's `mrr`, in the reporting currency, to the cent) of the month
before the term-end month with that of the month holding term end + GRACE_DAYS, measured once that
month has ended: churned at 0, renewed within ±2%, else expanded or contracted.
`simulated_decision` is what the simulator decided at that term end (for reading, not compared).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from synthetic.revenue_truth import RevenueTruth, SubscriptionRecord, _cents, _invoice_status

#: Days after the term end whose month-end measures the outcome (dbt var renewal_outcome_grace_days).
GRACE_DAYS = 15
AVERAGE_MONTH_DAYS = 30.436875
COLUMNS = [
    "account_id",
    "stripe_customer_id",
    "subscription_id",
    "term_start",
    "term_end",
    "term_months",
    "mrr_before",
    "mrr_after",
    "outcome",
    "mrr_change",
    "simulated_decision",
]


def _utc_date(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date()


def _month(day: dt.date, shift: int = 0) -> dt.date:
    total = day.year * 12 + day.month - 1 + shift
    return dt.date(total // 12, total % 12 + 1, 1)


def _terms(record: SubscriptionRecord, as_of: int) -> dict[tuple[str, dt.date], tuple[int, int]]:
    """(subscription, term end) → (term start ts, term end ts) of every term of 12 months or more."""
    terms: dict[tuple[str, dt.date], tuple[int, int]] = {}
    for inv in record.invoices:
        if _invoice_status(inv, as_of) not in ("paid", "open"):
            continue
        for line in inv.lines:
            days = (line.period_end - line.period_start) / 86_400
            if line.proration or days <= 0 or round(days / AVERAGE_MONTH_DAYS) < 12:
                continue
            key = (inv.sub_id, _utc_date(line.period_end))
            start = min(line.period_start, terms.get(key, (line.period_start, 0))[0])
            terms[key] = (start, line.period_end)
    return terms


def _decision(record: SubscriptionRecord, term_end: int) -> str:
    """What the simulator did at this term end: the subscription cancelled at it, lost to a failed
    renewal payment within the grace days, or continued."""
    for _ts, snap in record.snaps:
        if snap.get("cancel_at_period_end") and snap.get("cancel_at") == term_end:
            return "cancel_requested"
        ended = snap.get("ended_at")
        if (
            snap.get("reason") == "payment_failed"
            and ended is not None
            and term_end <= ended <= term_end + GRACE_DAYS * 86_400
        ):
            return "payment_failed"
    return "continued"


def _outcome(before: Decimal, after: Decimal) -> str:
    if after == 0:
        return "churned"
    if abs(after - before) <= Decimal("0.02") * before:
        return "renewed"
    return "expanded" if after > before else "contracted"


def write_renewals_truth(
    path: Path,
    truth: RevenueTruth,
    account_ids: list[str],
    rate_of: Callable[[str, dt.date], Decimal],
) -> None:
    """renewals_truth.csv: one row per renewal, with its outcome where measured by the end date."""
    month_index = {month: i for i, (month, _v, _e) in enumerate(truth.valuations)}
    last_month, last_valuation, _ = truth.valuations[-1]
    end_date = truth.cal.end

    def mrr_of(customer: str, month: dt.date) -> Decimal:
        i = month_index.get(month)
        if i is None:
            return Decimal(0)  # before the simulated period: no subscription existed
        _account, currency = truth.customers[customer]
        valuation = truth.valuations[i][1]
        return _cents(truth.mrr[customer][i], Fraction(rate_of(currency, valuation)))

    rows = []
    for record in truth.records:
        for (sub_id, term_end), (start_ts, end_ts) in _terms(record, truth.as_of).items():
            before_month = min(_month(term_end, -1), last_month)
            outcome_month = _month(term_end + dt.timedelta(days=GRACE_DAYS))
            measured_on = _month(outcome_month, 1) - dt.timedelta(days=1)
            before = mrr_of(record.customer_id, before_month)
            known = measured_on <= end_date
            after = mrr_of(record.customer_id, outcome_month) if known else None
            outcome = _outcome(before, after) if after is not None and before > 0 else ""
            rows.append(
                [
                    account_ids[record.account],
                    record.customer_id,
                    sub_id,
                    _utc_date(start_ts).isoformat(),
                    term_end.isoformat(),
                    round((end_ts - start_ts) / 86_400 / AVERAGE_MONTH_DAYS),
                    f"{before:.2f}",
                    "" if after is None else f"{after:.2f}",
                    outcome,
                    f"{after - before:.2f}" if outcome else "",
                    _decision(record, end_ts),
                ]
            )
    rows.sort(key=lambda r: (r[0], r[2], r[4]))
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        out.writerows(rows)
