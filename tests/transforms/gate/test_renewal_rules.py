"""Rule 22 (renewals against the raw Stripe invoices) on hand-made raw rows: it passes on a faithful
publication and fails on each defect it exists for, put back by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import yaml

from transforms.gate.independent_renewals import renewal_terms
from transforms.gate.renewal_rules import renewals_from_stripe
from transforms.gate.results import Absent

AS_OF = dt.date(2026, 6, 15)


def _ts(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())


def _raw() -> tuple[pl.DataFrame, pl.DataFrame]:
    invoices = pl.DataFrame(
        {
            "id": ["in1", "in2", "in3", "in3"],
            "customer": ["cus1", "cus2", "cus3", "cus3"],
            "subscription": ["sub1", "sub2", "sub3", "sub3"],
            "status": ["paid", "paid", "open", "void"],
            "created": [_ts("2025-03-10"), _ts("2026-01-01"), _ts("2025-04-01"), _ts("2025-04-01")],
            "_drop_date": [dt.date(2026, 5, 1)] * 3 + [dt.date(2026, 5, 2)],
            "_file": ["invoices.jsonl"] * 4,
            "_line": [1, 2, 3, 1],
        }
    )
    periods = [
        ("2025-03-10", "2026-03-10"),  # a year: a renewal on 10 March 2026
        ("2026-01-01", "2026-02-01"),  # a month: never a renewal
        ("2025-04-01", "2026-04-01"),  # a year, but the invoice's newest version is void
        ("2025-04-01", "2026-04-01"),
    ]
    lines = pl.DataFrame(
        {
            "invoice_id": ["in1", "in2", "in3", "in3"],
            "id": ["il1", "il2", "il3", "il3"],
            "type": ["subscription"] * 4,
            "parent_type": ["subscription_item_details"] * 4,
            "amount": [120_000, 10_000, 60_000, 60_000],
            "discount_amount": [0] * 4,
            "currency": ["usd"] * 4,
            "period_start": [_ts(a) for a, _ in periods],
            "period_end": [_ts(b) for _, b in periods],
            "proration": [False] * 4,
            "subscription": ["sub1", "sub2", "sub3", "sub3"],
            "subscription_item": ["si1", "si2", "si3", "si3"],
            "_drop_date": [dt.date(2026, 5, 1)] * 3 + [dt.date(2026, 5, 2)],
            "_file": ["invoices.jsonl"] * 4,
            "_line": [1, 2, 3, 1],
        }
    )
    return invoices, lines


def _comparison(march: float, status: str = "agrees") -> pl.DataFrame:
    """Rule 6's customer-months of cus1: 100 billed in February; `march` (measured 25 March,
    10 March + 15 days) with `status`."""
    return pl.DataFrame(
        {
            "month": [dt.date(2026, 2, 1), dt.date(2026, 3, 1)],
            "stripe_customer_id": ["cus1", "cus1"],
            "billed_mrr": [100.0, march],
            "status": ["agrees", status],
        }
    )


def _published(*rows: tuple[str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "subscription_id": [r[0] for r in rows],
            "term_end": [dt.date.fromisoformat(r[1]) for r in rows],
            "outcome": [r[2] for r in rows],
        },
        schema={"subscription_id": pl.String, "term_end": pl.Date, "outcome": pl.String},
    )


def _judge(published: pl.DataFrame, march: float = 102.0, status: str = "agrees") -> list:
    terms = renewal_terms(*_raw())
    return renewals_from_stripe(published, terms, _comparison(march, status), AS_OF, 15)


def test_only_annual_terms_of_paid_or_open_invoices_are_renewals() -> None:
    terms = renewal_terms(*_raw())
    assert terms.rows() == [("cus1", "sub1", dt.date(2026, 3, 10))]


def test_a_faithful_publication_passes() -> None:
    # 102 against 100 is within 2%: renewed
    (result,) = _judge(_published(("sub1", "2026-03-10", "renewed")))
    assert result.status == "pass", result.message


def test_an_outcome_that_differs_from_stripe_fails() -> None:
    # the defect: the ±2% band dropped, so 100 → 102 reads expanded
    (result,) = _judge(_published(("sub1", "2026-03-10", "expanded")))
    assert result.status == "fail"
    assert "sub1:2026-03-10 published expanded Stripe renewed" in result.message


def test_a_monthly_term_published_as_a_renewal_fails() -> None:
    (result,) = _judge(
        _published(("sub1", "2026-03-10", "renewed"), ("sub2", "2026-02-01", "renewed"))
    )
    assert result.status == "fail"
    assert "Stripe does not hold: sub2:2026-02-01" in result.message


def test_a_renewal_left_out_fails() -> None:
    (result,) = _judge(_published())
    assert result.status == "fail"
    assert "not published: sub1:2026-03-10" in result.message


def test_a_churn_is_judged_and_an_unknown_month_is_not() -> None:
    (churned,) = _judge(_published(("sub1", "2026-03-10", "churned")), march=0.0)
    assert churned.status == "pass", churned.message
    unknown = _published(("sub1", "2026-03-10", None))
    (result,) = _judge(unknown, status="not compared: no FX rate within 7 days")
    assert result.status == "pass" and "0 outcomes measurable" in result.observed


def test_absent_evidence_is_not_applicable() -> None:
    (result,) = renewals_from_stripe(None, Absent("x"), None, AS_OF, 15)
    assert result.status == "not_applicable"


def test_the_gate_measures_outcomes_on_the_month_dbt_does() -> None:
    root = Path(__file__).resolve().parents[3]
    gate = yaml.safe_load((root / "config/gate.yml").read_text(encoding="utf-8"))
    dbt = yaml.safe_load((root / "dbt_project/dbt_project.yml").read_text(encoding="utf-8"))
    grace = gate["rules"]["r22_renewal_outcomes"]["outcome_grace_days"]
    assert grace == dbt["vars"]["renewal_outcome_grace_days"]
