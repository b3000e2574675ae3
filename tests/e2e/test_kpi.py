"""The published KPI scorecard against a second implementation in Python, reading the same marts:
period windows, each KPI's value, sample size, interval, previous value and status."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import duckdb
import pytest

from tests.warehouses import DailyOperation

pytestmark = pytest.mark.slow

TARGETS = {
    "gross_revenue_retention_12m": (">", 0.90),
    "net_revenue_retention_12m": (">", 1.10),
    "nps": (">", 50.0),
    "time_to_first_value_median": ("<", 7.0),
    "onboarding_completion": (">", 0.80),
    "portfolio_mean_health_score": (">", 65.0),
    "playbook_completion": (">", 0.80),
}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _windows(as_of: dt.date) -> dict[str, tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]]:
    """(current, previous) (start, end) per period type; a period is complete when it ends by as_of."""
    next_day = as_of + dt.timedelta(days=1)
    month = _add_months(dt.date(next_day.year, next_day.month, 1), -1)
    quarter_start = dt.date(next_day.year, 3 * ((next_day.month - 1) // 3) + 1, 1)
    quarter = _add_months(quarter_start, -3)

    def span(start: dt.date, months: int) -> tuple[dt.date, dt.date]:
        return start, _add_months(start, months) - dt.timedelta(days=1)

    return {
        "month": (span(month, 1), span(_add_months(month, -1), 1)),
        "quarter": (span(quarter, 3), span(_add_months(quarter, -3), 3)),
        "trailing_12_months": (
            span(_add_months(month, -11), 12),
            span(_add_months(month, -23), 12),
        ),
    }


def _wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max((centre - half) / (1 + z * z / n), 0.0), min((centre + half) / (1 + z * z / n), 1.0)


def _expected(con: duckdb.DuckDBPyConnection, kpi: str, start: dt.date, end: dt.date) -> tuple:
    """(value, sample size, interval low, interval high) straight from the marts."""
    if kpi in ("gross_revenue_retention_12m", "net_revenue_retention_12m"):
        column = "grr_12m" if kpi.startswith("gross") else "nrr_12m"
        rows = con.execute(
            f"select {column}, cohort_logos_12m from marts.revenue_retention_monthly where month = ?",
            [_add_months(end.replace(day=1), 0)],
        ).fetchall()
        return (rows[0][0], rows[0][1], None, None) if rows else (None, None, None, None)
    if kpi == "portfolio_mean_health_score":
        # the paying accounts of the live book (trialing ones are their own segment; a churned
        # account's terminal row is not in the portfolio)
        live = "customer_status = 'paying'"
        day = con.execute(
            "select max(as_of_date) from marts.health_scores_daily "
            f"where as_of_date between ? and ? and {live}",
            [start, end],
        ).fetchall()[0][0]
        scores = [
            s
            for (s,) in con.execute(
                "select score from marts.health_scores_daily where as_of_date = ? "
                f"and score is not null and {live} order by account_id",
                [day],
            ).fetchall()
        ]
        return (sum(scores) / len(scores) if scores else None, len(scores), None, None)
    if kpi == "playbook_completion":
        # every CSM's save-playbook actions due in the period's months; 20 at least (§16 KPI)
        done, due = (
            int(c or 0)
            for c in con.execute(
                "select sum(actions_done_by_due), sum(actions_due) "
                "from marts.playbook_completion_monthly where scope = 'all' and month between ? and ?",
                [start, end],
            ).fetchall()[0]
        )
        if due < 20:
            return (None, due, None, None)
        low, high = _wilson(done, due)
        return (done / due, due, low, high)
    onboarding = con.execute(
        "select window_end, completed_in_window, first_value_on, time_to_first_value_days "
        "from marts.onboarding_progress "
        "where as_of_date = (select max(as_of_date) from marts.onboarding_progress)"
    ).fetchall()
    if kpi == "onboarding_completion":
        ended = [done for window_end, done, _, _ in onboarding if start <= window_end <= end]
        if not ended:
            return (None, 0, None, None)
        low, high = _wilson(sum(ended), len(ended))
        return (sum(ended) / len(ended), len(ended), low, high)
    if kpi == "time_to_first_value_median":
        days = [d for _, _, on, d in onboarding if on is not None and start <= on <= end]
        return (statistics.median(days) if days else None, len(days), None, None)
    # nps: the quarter's or month's row, or the twelve monthly rows added up
    if (end - start).days > 100:
        counts = con.execute(
            "select sum(promoters), sum(detractors), sum(responses) from marts.nps_summary "
            "where period_type = 'month' and segment = 'all' and period_start between ? and ?",
            [start, end],
        ).fetchall()[0]
        promoters, detractors, n = (int(c or 0) for c in counts)
        if n < 30:
            return (None, n, None, None)
        p, d = (promoters + 0.75) / (n + 3), (detractors + 0.75) / (n + 3)
        half = 1.96 * math.sqrt((p + d - (p - d) ** 2) / (n + 3))
        return (
            100 * (promoters - detractors) / n,
            n,
            max(100 * (p - d - half), -100.0),
            min(100 * (p - d + half), 100.0),
        )
    period_type = "month" if (end - start).days < 32 else "quarter"
    rows = con.execute(
        "select nps, responses, nps_ci_low, nps_ci_high from marts.nps_summary "
        "where period_type = ? and segment = 'all' and period_start = ?",
        [period_type, start],
    ).fetchall()
    return rows[0] if rows else (None, None, None, None)


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    )


def test_every_kpi_of_the_scorecard_matches_a_python_computation(
    daily_operation: DailyOperation,
) -> None:
    con = duckdb.connect(str(daily_operation.settings.published_db), read_only=True)
    try:
        as_of = con.execute("select max(as_of_date) from audit.publications").fetchall()[0][0]
        rows = con.execute(
            "select kpi, period_type, period_start, period_end, value, sample_size, interval_low, "
            "interval_high, previous_value, status, status_reason from marts.kpi_scorecard"
        ).fetchall()
        windows = _windows(as_of)
        assert {(r[0], r[1]) for r in rows} == {(k, p) for k in TARGETS for p in windows}
        for kpi, period, start, end, value, n, low, high, previous, status, reason in rows:
            (cur_start, cur_end), (prev_start, prev_end) = windows[period]
            assert (start, end) == (cur_start, cur_end), (kpi, period)
            exp_value, exp_n, exp_low, exp_high = _expected(con, kpi, start, end)
            assert _close(value, exp_value), (kpi, period, value, exp_value)
            if exp_value is not None:
                assert n == exp_n and _close(low, exp_low) and _close(high, exp_high), (kpi, period)
            assert _close(previous, _expected(con, kpi, prev_start, prev_end)[0]), (kpi, period)
            operator, target = TARGETS[kpi]
            if exp_value is None:
                # a sample below its minimum is insufficient_sample, never "not met"
                small = reason is not None and reason.startswith("insufficient_sample")
                assert reason and status == (
                    "insufficient_sample" if small else "not reportable"
                ), (
                    kpi,
                    period,
                )
            else:
                met = exp_value > target if operator == ">" else exp_value < target
                assert status == ("met" if met else "not met"), (kpi, period)
    finally:
        con.close()
