"""Rule 18's independent side: who is live by the raw Stripe subscriptions, worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.independent_status import live_customers_by_day, rows_of_customers_not_live
from transforms.gate.live_book_rules import live_by_raw_stripe

D = dt.date(2026, 11, 1)


def _day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


# Raw rows as ingest loads them: one row per subscription per drop that carried it.
SUBSCRIPTIONS = pl.DataFrame(
    {
        "id": ["sub_a", "sub_a", "sub_t", "sub_d", "sub_d", "sub_late"],
        "customer": ["cus_a", "cus_a", "cus_t", "cus_d", "cus_d", "cus_late"],
        # sub_a active from day 0, canceled in the drop of day 9; sub_d twice in one drop, the later
        # line (active) wins; sub_late first seen in the drop of day 7
        "status": ["active", "canceled", "trialing", "canceled", "active", "past_due"],
        "_drop_date": [_day(0), _day(9), _day(0), _day(4), _day(4), _day(7)],
        "_line": [1, 1, 2, 3, 4, 1],
    }
)
ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["acc_a", "acc_t", "acc_d", "acc_late", "acc_never"],
        "stripe_customer_id": ["cus_a", "cus_t", "cus_d", "cus_late", None],
    }
)


def test_a_subscription_is_live_in_the_version_of_the_newest_drop_up_to_the_day() -> None:
    live = live_customers_by_day(SUBSCRIPTIONS, [_day(6), _day(8), _day(9)])
    assert set(live.iter_rows()) == {
        ("cus_a", _day(6)),
        ("cus_a", _day(8)),  # still the active version of day 0; day 9's drop cancels it
        ("cus_t", _day(6)),
        ("cus_t", _day(8)),
        ("cus_t", _day(9)),
        ("cus_d", _day(6)),  # line 4 of day 4's drop (active) wins over line 3 (canceled)
        ("cus_d", _day(8)),
        ("cus_d", _day(9)),
        ("cus_late", _day(8)),  # not on day 6: its first drop is day 7
        ("cus_late", _day(9)),
    }


def test_rows_of_accounts_not_live_that_day_nor_the_day_before_are_listed() -> None:
    checked = pl.DataFrame(
        {
            "table": ["marts.health_scores_daily"] * 7,
            "account_id": [
                "acc_a",
                "acc_a",
                "acc_a",
                "acc_never",
                "acc_late",
                "acc_t",
                "acc_never",
            ],
            "day": [_day(8), _day(9), _day(10), _day(8), _day(6), _day(9), _day(0)],
        }
    )
    outside = rows_of_customers_not_live(checked, ACCOUNTS, SUBSCRIPTIONS)
    # acc_a on day 9 is its terminal day (live on day 8); on day 10 it is not live any more.
    # acc_never names no Stripe customer; acc_late has no subscription before day 7. Day 0 is the
    # first drop: before it, and on it (no day before), a status is not judged from versions.
    assert set(outside.select("account_id", "day", "customer").iter_rows()) == {
        ("acc_a", _day(10), "cus_a"),
        ("acc_late", _day(6), "cus_late"),
        ("acc_never", _day(8), None),
    }


def test_the_judge_fails_naming_the_accounts_and_passes_when_every_row_is_live() -> None:
    checked = pl.DataFrame(
        {
            "table": ["marts.cs_alerts (opened)", "marts.health_scores_daily"],
            "account_id": ["acc_never", "acc_t"],
            "day": [_day(8), _day(8)],
        }
    )
    (failed,) = live_by_raw_stripe(checked, ACCOUNTS, SUBSCRIPTIONS)
    assert failed.status == "fail"
    assert failed.observed.startswith("1 of 2 rows (1 accounts)")
    assert "acc_never on 2026-11-09 in marts.cs_alerts (opened) (no Stripe customer)" in (
        failed.message
    )
    (passed,) = live_by_raw_stripe(
        checked.filter(pl.col("account_id") == "acc_t"), ACCOUNTS, SUBSCRIPTIONS
    )
    assert passed.status == "pass"
    (absent,) = live_by_raw_stripe(checked, ACCOUNTS, None)
    assert absent.status == "not_applicable"
