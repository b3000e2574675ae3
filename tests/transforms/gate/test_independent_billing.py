"""Rule 6's account of what Stripe billed (transforms/gate/independent_billing.py) and its judge
(billing_rules.revenue_from_stripe) on hand-made raw rows, laid out as ingest loads them. Every
expected figure is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms.gate import billing_rules
from transforms.gate.independent_billing import billed_mrr

FIRST_DROP = dt.date(2026, 3, 5)
AS_OF = dt.date(2026, 3, 20)
#: raw.fx_rates__fx_rates with no rows (every amount below is in the reporting currency).
NO_FX_RATES = pl.DataFrame(
    schema={
        "date": pl.Date,
        "currency": pl.String,
        "rate": pl.Float64,
        "_drop_date": pl.Date,
        "_line": pl.Int64,
    }
)


def ts(*parts: int) -> int:
    """Unix seconds of a UTC date and time."""
    return int(dt.datetime(*parts, tzinfo=dt.UTC).timestamp())


def _invoice(iid: str, customer: str, sub: str, status: str, drop: dt.date, line: int) -> dict:
    return {
        "id": iid,
        "customer": customer,
        "subscription": sub,
        "status": status,
        "created": ts(2026, 1, 1),
        "_drop_date": drop,
        "_file": "invoices.jsonl",
        "_line": line,
    }


def _line(
    iid: str, lid: str, sub: str, item: str, amount: int, start: int, end: int, **extra: object
) -> dict:
    return {
        "invoice_id": iid,
        "id": lid,
        "type": None,
        "parent_type": "subscription_item_details",
        "amount": amount,
        "discount_amount": extra.get("discount", 0),
        "currency": extra.get("currency", "usd"),
        "period_start": start,
        "period_end": end,
        "proration": extra.get("proration", False),
        "subscription": sub,
        "subscription_item": item,
        "_drop_date": extra.get("drop", FIRST_DROP),
        "_file": "invoices.jsonl",
        "_line": extra["at"],
    }


def _subscription(sid: str, customer: str, status: str, drop: dt.date, line: int) -> dict:
    return {
        "id": sid,
        "customer": customer,
        "status": status,
        "start_date": ts(2025, 1, 1),
        "ended_at": None,
        "trial_end": None,
        "_drop_date": drop,
        "_line": line,
    }


@pytest.fixture(scope="module")
def billed() -> dict[tuple[str, dt.date], dict]:
    invoices = [
        # c1: monthly 9900 for Jan and Feb, then a year of 99000 from Mar 1 (a switch to annual)
        _invoice("in_1", "c1", "s1", "paid", FIRST_DROP, 1),
        _invoice("in_2", "c1", "s1", "paid", FIRST_DROP, 2),
        _invoice("in_3", "c1", "s1", "paid", FIRST_DROP, 3),
        # c2: 3 seats × 9900 for February, 4 from Feb 16 (a proration pair for the 13 of 28 days
        # left: −29700 × 13/28 = −13789.29 → −13789, 39600 × 13/28 = 18385.71 → 18386)
        _invoice("in_4", "c2", "s2", "paid", FIRST_DROP, 4),
        _invoice("in_5", "c2", "s2", "paid", FIRST_DROP, 5),
        # c3: its March invoice (EUR) is open on Mar 10 and uncollectible by Mar 20 …
        _invoice("in_6", "c3", "s3", "open", dt.date(2026, 3, 10), 1),
        _invoice("in_6", "c3", "s3", "uncollectible", dt.date(2026, 3, 20), 1),
        # c4: its January invoice was voided: nothing billed
        _invoice("in_7", "c4", "s4", "void", FIRST_DROP, 6),
    ]
    lines = [
        _line("in_1", "il_1", "s1", "si_1", 9900, ts(2026, 1, 1), ts(2026, 2, 1), at=1),
        _line("in_2", "il_2", "s1", "si_1", 9900, ts(2026, 2, 1), ts(2026, 3, 1), at=2),
        _line("in_3", "il_3", "s1", "si_1", 99000, ts(2026, 3, 1), ts(2027, 3, 1), at=3),
        _line("in_4", "il_4", "s2", "si_2", 29700, ts(2026, 2, 1), ts(2026, 3, 1), at=4),
        _line("in_5", "il_5", "s2", "si_2", -13789, ts(2026, 2, 16), ts(2026, 3, 1),
              proration=True, at=5),
        _line("in_5", "il_6", "s2", "si_2", 18386, ts(2026, 2, 16), ts(2026, 3, 1),
              proration=True, at=5),
        _line("in_6", "il_7", "s3", "si_3", 5000, ts(2026, 3, 1), ts(2026, 4, 1), currency="eur",
              drop=dt.date(2026, 3, 10), at=1),
        _line("in_6", "il_7", "s3", "si_3", 5000, ts(2026, 3, 1), ts(2026, 4, 1), currency="eur",
              drop=dt.date(2026, 3, 20), at=1),
        _line("in_7", "il_8", "s4", "si_4", 7000, ts(2026, 1, 1), ts(2026, 2, 1), at=6),
    ]  # fmt: skip
    subscriptions = [
        _subscription("s1", "c1", "active", FIRST_DROP, 1),
        _subscription("s2", "c2", "active", FIRST_DROP, 2),
        _subscription("s3", "c3", "past_due", dt.date(2026, 3, 10), 1),
        _subscription("s4", "c4", "active", FIRST_DROP, 3),
    ]
    fx = pl.DataFrame(
        {
            "date": [dt.date(2026, 3, 8), dt.date(2026, 3, 12)],
            "currency": ["EUR", "EUR"],
            "rate": [1.1, 1.2],
            "_drop_date": [dt.date(2026, 3, 8), dt.date(2026, 3, 12)],
            "_line": [2, 2],
        }
    )
    valuations = [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 10)),
    ]
    result = billed_mrr(
        pl.DataFrame(invoices),
        pl.DataFrame(lines),
        pl.DataFrame(subscriptions, schema_overrides={"ended_at": pl.Int64, "trial_end": pl.Int64}),
        fx,
        valuations,
        AS_OF,
        "USD",
    )
    return {(r["customer_id"], r["month"]): r for r in result.iter_rows(named=True)}


def test_full_lines_are_worth_their_amount_over_their_own_period(billed: dict) -> None:
    # c1: a month's line is 9900 in Jan and Feb; its annual line is 99000 / 12 = 8250 in March.
    assert billed[("c1", dt.date(2026, 1, 1))]["billed_minor"] == pytest.approx(9900)
    assert billed[("c1", dt.date(2026, 2, 1))]["billed_minor"] == pytest.approx(9900)
    assert billed[("c1", dt.date(2026, 3, 1))]["billed_minor"] == pytest.approx(8250)


def test_a_mid_term_change_is_billed_at_the_new_amount_from_its_start(billed: dict) -> None:
    # c2 on Feb 28: 29700 + (−13789 + 18386) / (13/28 of the month) = 29700 + 4597 × 28/13
    # = 39601.08, the new 39600 but for Stripe's rounding; the bound, 2 lines × 28/13 minor units,
    # says how far rounding alone can move it.
    row = billed[("c2", dt.date(2026, 2, 1))]
    assert row["billed_minor"] == pytest.approx(29700 + 4597 * 28 / 13)
    assert row["bound_minor"] == pytest.approx(2 * 28 / 13)
    assert row["lines"] == 3


def test_an_invoice_counts_with_its_status_as_known_on_the_date(billed: dict) -> None:
    # c3 on Mar 10 (covered by drops): past_due, its invoice open that day (uncollectible only
    # on Mar 20): 5000 EUR × the rate of Mar 8 (the latest within 7 days, not Mar 12's) = 5500.
    assert billed[("c3", dt.date(2026, 3, 1))]["billed_minor"] == pytest.approx(5500)
    # c4's only invoice was voided: nothing billed, though its dates count it on Jan 31 (before
    # the first drop): metrics.md §1 values it at its price, which no invoice confirms.
    c4 = billed[("c4", dt.date(2026, 1, 1))]
    assert (c4["billed_minor"], c4["lines"], c4["unbilled"]) == (0.0, 0, 1)


def test_published_mrr_differing_from_what_was_billed_blocks_with_the_figures(billed: dict) -> None:
    frame = pl.DataFrame(list(billed.values()))
    published = pl.DataFrame(
        {
            "customer_id": ["c1", "c1", "c1", "c2", "c3"],
            "month": [dt.date(2026, m, 1) for m in (1, 2, 3, 2, 3)],
            "valuation_date": [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 10),
                               dt.date(2026, 2, 28), dt.date(2026, 3, 10)],
            # c1's March published as a twelfth of its annual price valued as monthly (the bug
            # of today's interval, the other way round): 99000/12/12 = 687.50.
            "mrr": [99.00, 99.00, 6.875, 396.00, 55.00],
        }
    )  # fmt: skip
    comparison = billing_rules.reconcile_with_billing(published, frame, 1)
    (result,) = billing_rules.revenue_from_stripe(comparison, [], 1, 0)
    assert result.status == "fail"
    # 10 customer-months: the 5 published, and 5 on which a subscription counts by its dates with
    # no invoice covering them (c2 in January, c3 in January and February, c4 in both), listed.
    assert result.observed.startswith(
        "1 of 10 customer-months differ from what Stripe billed by more than the tolerance, in 1 "
        "months: c1 2026-03-01: published 6.88, billed 82.50; not compared: 5 (a subscription "
        "counted with no invoice covering the date (before the first drop, or its renewal's "
        "invoice not delivered yet))"
    )
    statuses = dict(
        comparison.select(
            pl.concat_str("stripe_customer_id", pl.col("month").cast(pl.String)), "status"
        ).iter_rows()
    )
    # c2: 396.00 vs 396.0108 billed, within 1 cent plus its bound (0.043): agrees.
    assert statuses["c22026-02-01"] == "agrees"
    # c4's January (published 70.00, valued at its price with no invoice covering it) is listed,
    # not compared.
    with_c4 = pl.concat(
        [
            published,
            pl.DataFrame(
                {
                    "customer_id": ["c4"],
                    "month": [dt.date(2026, 1, 1)],
                    "valuation_date": [dt.date(2026, 1, 31)],
                    "mrr": [70.0],
                }
            ),
        ]
    )
    listed = billing_rules.reconcile_with_billing(with_c4, frame, 1).filter(
        (pl.col("stripe_customer_id") == "c4") & (pl.col("month") == dt.date(2026, 1, 1))
    )
    assert listed["status"].to_list() == [
        "not compared: a subscription counted with no invoice covering the date (before the first "
        "drop, or its renewal's invoice not delivered yet)"
    ]
    # With the threshold raised to 1 disagreement the rule passes, and says what it saw.
    (lenient,) = billing_rules.revenue_from_stripe(comparison, [], 1, 1)
    assert lenient.status == "pass" and "1 of 10" in lenient.observed


def test_a_published_mrr_not_known_is_listed_not_compared(billed: dict) -> None:
    frame = pl.DataFrame(list(billed.values()))
    published = pl.DataFrame(
        {
            "customer_id": ["c1"],
            "month": [dt.date(2026, 1, 1)],
            "valuation_date": [dt.date(2026, 1, 31)],
            "mrr": [None],
        },
        schema_overrides={"mrr": pl.Float64},
    )
    comparison = billing_rules.reconcile_with_billing(published, frame, 1)
    row = comparison.filter(pl.col("month") == dt.date(2026, 1, 1)).row(0, named=True)
    assert row["status"] == "not compared: published MRR not known"
    # the other billed customer-months, published as nothing (0), disagree
    (result,) = billing_rules.revenue_from_stripe(comparison, [], 1, 0)
    assert "1 (published MRR not known)" in result.observed


@pytest.mark.parametrize(
    ("valued_on", "unbilled"),
    [
        # its February period ended at the start of Mar 1: on Mar 3 the renewal invoice may still
        # be a draft (ended 3 days before the end of the day at most): awaiting it, not compared
        (dt.date(2026, 3, 3), 1),
        # on Mar 10 a renewal invoice would have been delivered: nothing billed, so a published
        # MRR for c5 is compared with 0 and disagrees
        (dt.date(2026, 3, 10), 0),
    ],
)
def test_a_renewal_invoice_not_delivered_yet_is_awaited_for_a_few_days(
    valued_on: dt.date, unbilled: int
) -> None:
    # c5 pays 5000 a month; its March invoice is not in any drop (first drop Mar 2).
    result = billed_mrr(
        pl.DataFrame([_invoice("in_9", "c5", "s5", "paid", dt.date(2026, 3, 2), 1)]),
        pl.DataFrame(
            [
                _line(
                    "in_9",
                    "il_9",
                    "s5",
                    "si_5",
                    5000,
                    ts(2026, 2, 1),
                    ts(2026, 3, 1),
                    at=1,
                    drop=dt.date(2026, 3, 2),
                )
            ]
        ),  # fmt: skip
        pl.DataFrame(
            [_subscription("s5", "c5", "active", dt.date(2026, 3, 2), 1)],
            schema_overrides={"ended_at": pl.Int64, "trial_end": pl.Int64},
        ),
        NO_FX_RATES,
        [(dt.date(2026, 3, 1), valued_on)],
        valued_on,
        "USD",
    )
    rows = [
        (r["customer_id"], r["billed_minor"], r["unbilled"]) for r in result.iter_rows(named=True)
    ]
    assert rows == ([("c5", 0.0, 1)] if unbilled else [])


def test_a_change_whose_invoice_is_still_a_draft_is_not_compared_until_it_is_final() -> None:
    # c9: one seat at 9900 for March (paid), a second seat from Mar 10 22:00. Stripe's proration
    # invoice is a draft in the Mar 10 drop and open in the Mar 11 drop. The 506 of March's 744
    # hours left: −9900 × 506/744 = −6733.06 → −6733, 19800 × 506/744 = 13466.13 → 13466.
    mar11 = dt.date(2026, 3, 11)
    invoices = [
        _invoice("in_91", "c9", "s9", "paid", FIRST_DROP, 1),
        _invoice("in_92", "c9", "s9", "draft", dt.date(2026, 3, 10), 1),
        _invoice("in_92", "c9", "s9", "open", mar11, 1),
    ]
    change = ts(2026, 3, 10, 22)
    lines = [
        _line("in_91", "il_91", "s9", "si_9", 9900, ts(2026, 3, 1), ts(2026, 4, 1), at=1),
        *(
            _line("in_92", lid, "s9", "si_9", amount, change, ts(2026, 4, 1), proration=True,
                  drop=drop, at=1)
            for drop in (dt.date(2026, 3, 10), mar11)
            for lid, amount in (("il_92", -6733), ("il_93", 13466))
        ),
    ]  # fmt: skip
    billed = billed_mrr(
        pl.DataFrame(invoices),
        pl.DataFrame(lines),
        pl.DataFrame(
            [_subscription("s9", "c9", "active", FIRST_DROP, 1)],
            schema_overrides={"ended_at": pl.Int64, "trial_end": pl.Int64},
        ),
        NO_FX_RATES,
        [(dt.date(2026, 3, 1), dt.date(2026, 3, 10)), (dt.date(2026, 4, 1), mar11)],
        mar11,
        "USD",
    )
    # (the second valuation is filed under April only to keep the two dates apart in one frame)
    by_date = {r["valuation_date"]: r for r in billed.iter_rows(named=True)}
    on_10 = by_date[dt.date(2026, 3, 10)]
    # on Mar 10 the paid line is billed, the draft not, and the customer is flagged
    assert (on_10["billed_minor"], on_10["lines"], on_10["drafted"]) == (9900.0, 1, 1)
    on_11 = by_date[mar11]
    # on Mar 11: 9900 + 6733 × 744/506 = 19799.86, the two seats' 19800 but for Stripe's rounding
    assert on_11["billed_minor"] == pytest.approx(9900 + 6733 * 744 / 506)
    assert (on_11["lines"], on_11["drafted"]) == (3, 0)

    published = pl.DataFrame(
        {
            "customer_id": ["c9", "c9"],
            "month": [dt.date(2026, 3, 1), dt.date(2026, 4, 1)],
            "valuation_date": [dt.date(2026, 3, 10), mar11],
            "mrr": [198.0, 198.0],
        }
    )
    statuses = dict(
        billing_rules.reconcile_with_billing(published, billed, 1.0)
        .select("valuation_date", "status")
        .iter_rows()
    )
    assert statuses[dt.date(2026, 3, 10)].startswith(
        "not compared: a change's invoice is still a draft on the date"
    )
    assert statuses[mar11] == "agrees"
