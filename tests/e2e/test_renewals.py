"""Renewals (metrics.md §11) through the real `csw run` on the revenue session's generated drops
(`revenue_history`: 120 accounts over 15 months, annual terms renewed, contracted, expanded and
cancelled at their end), against the generator's ground truth (`renewals_truth.csv`, worked out
from the simulator's own invoices and MRR records, not from the drops).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _published(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse / "published" / "analytics.duckdb"), read_only=True)


def _truth(extracts: Path) -> list[dict[str, str]]:
    path = extracts.parent / (extracts.name + "_ground_truth") / "renewals_truth.csv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    (as_of,) = con.execute("select max(as_of_date) from audit.publications").fetchone()
    return as_of


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return day.replace(year=total // 12, month=total % 12 + 1)


def test_renewal_outcomes_match_the_ground_truth(revenue_history: tuple[Path, Path]) -> None:
    extracts, warehouse = revenue_history
    con = _published(warehouse)
    try:
        as_of = _as_of(con)
        published = con.execute(
            "select account_id, subscription_id, term_end, term_months, mrr_at_stake, mrr_after, "
            "outcome, mrr_change from marts.renewals"
        ).fetchall()
    finally:
        con.close()
    low, high = _add_months(as_of, -24), as_of + dt.timedelta(days=180)
    truth = [r for r in _truth(extracts) if low < dt.date.fromisoformat(r["term_end"]) <= high]

    def money(value: str) -> Decimal | None:
        return Decimal(value) if value else None

    expected = {
        (r["account_id"], r["subscription_id"], dt.date.fromisoformat(r["term_end"])): (
            int(r["term_months"]),
            money(r["mrr_before"]),
            money(r["mrr_after"]),
            r["outcome"] or None,
            money(r["mrr_change"]),
        )
        for r in truth
    }
    got = {(a, s, t): (m, before, after, o, c) for a, s, t, m, before, after, o, c in published}
    assert set(got) == set(expected), (
        f"missing {sorted(set(expected) - set(got))[:5]}, extra {sorted(set(got) - set(expected))[:5]}"
    )
    wrong = {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]}
    assert not wrong, list(wrong.items())[:5]
    outcomes = {v[3] for v in expected.values()}
    # the comparison can fail on each kind: the drops hold renewals kept, and lost at the term end
    assert {"renewed", "churned"} <= outcomes, outcomes


def test_past_forecasts_are_kept_beside_their_outcome(revenue_history: tuple[Path, Path]) -> None:
    extracts, warehouse = revenue_history
    con = _published(warehouse)
    try:
        rows = con.execute(
            "select month, expected_mrr_kept, actual_mrr_kept, forecast_error, forecast_reason, "
            "outcomes_complete from marts.renewal_forecast_monthly where scope = 'all' order by month"
        ).fetchall()
    finally:
        con.close()
    kept_by_month: dict[dt.date, Decimal] = {}
    for r in _truth(extracts):
        if r["outcome"]:
            month = dt.date.fromisoformat(r["term_end"]).replace(day=1)
            kept = min(Decimal(r["mrr_before"]), Decimal(r["mrr_after"]))
            kept_by_month[month] = kept_by_month.get(month, Decimal(0)) + kept
    complete = [row for row in rows if row[5]]
    assert complete, "no past month with every outcome known"
    for month, expected_kept, actual, error, reason, _complete in complete:
        assert actual == kept_by_month.get(month, Decimal(0)), month
        if expected_kept is None:
            # 120 accounts give no band its 30 renewals: said, never a number
            assert error is None, month
            assert reason and ("insufficient_sample" in reason or "no_health_grade" in reason), (
                reason
            )
        else:
            assert error == expected_kept - actual


def test_the_readme_renewals_query_runs_on_the_published_file(
    revenue_history: tuple[Path, Path],
) -> None:
    _extracts, warehouse = revenue_history
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("What renews in the next 90 days", 1)[1]
    query = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    con = _published(warehouse)
    try:
        result = con.execute(query)
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
        (due,) = con.execute(
            "select count(*) from marts.renewals where days_out between 0 and 90"
        ).fetchone()
    finally:
        con.close()
    assert columns[:4] == ["owner", "renewals_due", "mrr_due", "mrr_at_risk"], columns
    assert sum(row[1] for row in rows) == due
