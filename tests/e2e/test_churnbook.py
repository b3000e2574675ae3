"""Churn reasons and each CSM's book (issue #23) on the daily-operation warehouse: the reasons add
up to every month's churn in mrr_movements_monthly, the gate's recomputation of them passed, and the
book's live accounts add up to the live book every day."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.gate.churn_reason_evidence import read_churn_reason_evidence
from orchestration.gate.reading import table_or_none
from tests.warehouses import DailyOperation
from transforms.gate.churn_reason_rules import churn_reasons_reconciled

pytestmark = pytest.mark.slow


def _rows(db: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_churn_reasons_add_up_to_each_months_churn(daily_operation: DailyOperation) -> None:
    rows = _rows(
        daily_operation.settings.published_db,
        """
        select m.month, m.logos_churned, m.churned_mrr,
               coalesce(sum(r.logos_lost), 0), coalesce(sum(r.mrr_lost), 0)
        from marts.mrr_movements_monthly m
        left join marts.churn_reasons_monthly r using (month)
        where m.customers_mrr_unknown = 0
        group by all order by m.month
        """,
    )
    assert sum(logos for _m, logos, *_ in rows) > 0, "the history has no churn to attribute"
    for month, logos, mrr, reason_logos, reason_mrr in rows:
        assert (reason_logos, reason_mrr) == (logos, mrr), month
    statuses = _rows(
        daily_operation.settings.published_db,
        """
        select c.target, c.status from audit.check_results c
        where c.run_id = (select run_id from audit.publications order by published_at desc limit 1)
          and c.target like 'marts.churn_reasons_monthly%'
        """,
    )
    assert sorted(status for _t, status in statuses) == ["pass", "pass"], statuses


def test_the_books_live_accounts_add_up_to_the_live_book(daily_operation: DailyOperation) -> None:
    settings = daily_operation.settings
    book = dict(
        _rows(
            settings.published_db,
            "select as_of_date, sum(live_accounts) from marts.csm_book_daily group by 1",
        )
    )
    live = dict(
        _rows(
            settings.build_db,
            """
            select as_of_date, count(*) filter (where customer_status in ('paying', 'trialing'))
            from intermediate.int_account_status_daily group by 1
            """,
        )
    )
    assert book and {d: n for d, n in live.items() if n} == {d: n for d, n in book.items() if n}
    # today's book against today's status of every account, from another mart
    (as_of,) = _rows(settings.published_db, "select max(as_of_date) from marts.csm_book_daily")[0]
    (today,) = _rows(
        settings.published_db,
        "select count(*) from marts.dim_accounts where customer_status in ('paying', 'trialing')",
    )[0]
    assert book[as_of] == today
    unassigned = _rows(
        settings.published_db,
        f"select csm_id, live_accounts from marts.csm_book_daily "
        f"where as_of_date = '{as_of}' and csm_label = 'unassigned'",
    )
    assert unassigned and unassigned[0][0] is None


def test_the_books_renewals_due_are_the_renewals_marts(daily_operation: DailyOperation) -> None:
    """One definition of "renewals due in 90 days": on the as-of date each CSM's row of the book
    counts and values the renewals marts.renewals lists 0-90 days out (the report's summary reads the
    book, its renewals section reads marts.renewals: they must not differ)."""
    db = daily_operation.settings.published_db
    book = _rows(
        db,
        """
        select csm_label, renewals_due_90d, renewal_mrr_due_90d from marts.csm_book_daily
        where as_of_date = (select max(as_of_date) from marts.csm_book_daily)
          and renewals_due_90d > 0
        order by csm_label
        """,
    )
    renewals = _rows(
        db,
        """
        select coalesce(csm_id, 'unassigned'), count(*), sum(mrr_at_stake) from marts.renewals
        where days_out between 0 and 90 group by 1 order by 1
        """,
    )
    assert renewals, "no renewal is due in the next 90 days: the comparison would be empty"
    assert book == renewals


def test_the_gate_catches_dropped_not_given_rows_in_a_broken_copy(
    daily_operation: DailyOperation, tmp_path: Path
) -> None:
    """The defect the churn-reason check exists for, put back into a copy of the real build
    database: the 'not given' rows left out of the mart (the gate's evidence readers and judge)."""
    settings = daily_operation.settings
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.build_db, copy)
    con = duckdb.connect(str(copy))
    try:
        (as_of,) = con.execute("select max(as_of_date) from marts.csm_book_daily").fetchall()[0]
        before = _judged(con, as_of)
        dropped = con.execute(
            "delete from marts.churn_reasons_monthly where 'not given' in "
            "(cancellation_reason, cancellation_feedback)"
        ).fetchall()[0][0]
        after = _judged(con, as_of)
    finally:
        con.close()
    assert dropped > 0, "the history has no churn without feedback to drop"
    assert before == ["pass", "pass"]
    assert after == ["fail", "fail"]


def _judged(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[str]:
    evidence = read_churn_reason_evidence(con, as_of, {})
    results = churn_reasons_reconciled(
        evidence["churn_reasons_monthly"],
        table_or_none(con, "marts", "mrr_movements_monthly"),
        evidence["churned_customers"],
        evidence["ended_subscription_rows"],
        as_of,
    )
    return [r.status for r in results]
