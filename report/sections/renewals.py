"""Renewals (marts.renewals, marts.renewal_forecast_monthly): what renews in the next 90 days and how
much of it is at risk, then each month's forecast beside what was kept. Shown only when published."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.elements import Section, Table, cell
from report.formats import day_name, month_name

WINDOWS = (
    ("within_30_days", "In 30 days"),
    ("within_60_days", "In 31 to 60 days"),
    ("within_90_days", "In 61 to 90 days"),
)
# Past months of the forecast table (with the months still ahead of the as-of date).
PAST_MONTHS = 6
AT_RISK_SHOWN = 10


def renewals_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """Renewals of the next 90 days by window, the at-risk ones by name, and the forecast's record."""
    renewals = tables["marts.renewals"]
    upcoming = renewals.filter(pl.col("renewal_window").is_in([w for w, _ in WINDOWS]))
    tables_shown = [_windows_table(upcoming), _at_risk_table(upcoming)]
    forecast = tables.get("marts.renewal_forecast_monthly")
    if forecast is not None:
        tables_shown.append(_forecast_table(forecast))
    return Section(
        "renewals",
        "Renewals",
        intro=(
            "Subscriptions on terms of a year or more whose term ends in the next 90 days, with the "
            "MRR they bill today. A renewal is at risk when the account has a cancellation request, "
            "a D or F health grade or a high-severity churn signal; an account not scored today is "
            "counted apart, never as safe.",
            "The forecast expects each renewal to keep the share of MRR its health band kept over "
            "the 24 months before, read 60 days before the month; once the month's outcomes are "
            "known the forecast stands beside them, its error published.",
        ),
        tables=tuple(tables_shown),
        definitions=(
            "renewals.mrr_at_stake",
            "renewal_forecast_monthly.expected_mrr_kept",
            "renewal_forecast_monthly.forecast_error",
        ),
    )


def _windows_table(upcoming: pl.DataFrame) -> Table:
    by_window = upcoming.group_by("renewal_window").agg(
        renewals=pl.len(),
        mrr=pl.col("mrr_at_stake").sum(),
        mrr_unknown=pl.col("mrr_at_stake").is_null().sum(),
        at_risk=(pl.col("is_at_risk") == True).sum(),  # noqa: E712 (NULL is not scored)
        at_risk_mrr=pl.col("mrr_at_stake").filter(pl.col("is_at_risk") == True).sum(),  # noqa: E712
        not_scored=pl.col("is_at_risk").is_null().sum(),
    )
    found = {r["renewal_window"]: r for r in by_window.iter_rows(named=True)}
    rows = []
    for window, label in WINDOWS:
        r = found.get(window)
        count = r["renewals"] if r else 0
        # A sum over renewals whose MRR is not all known is not the MRR at stake: shown missing.
        mrr = None if r and r["mrr_unknown"] else (r["mrr"] if r else 0.0)
        rows.append(
            (
                label,
                cell("renewals.count", window, count, "count"),
                cell("renewals.mrr_at_stake", window, mrr, "money"),
                cell("renewals.at_risk", window, r["at_risk"] if r else 0, "count"),
                cell("renewals.at_risk_mrr", window, r["at_risk_mrr"] if r else 0.0, "money"),
                cell("renewals.not_scored", window, r["not_scored"] if r else 0, "count"),
            )
        )
    return Table(
        "renewal-windows",
        ("Term ends", "Renewals", "MRR at stake", "At risk", "MRR at risk", "Not scored today"),
        tuple(rows),
        caption="Renewals due in the next 90 days",
    )


def _at_risk_table(upcoming: pl.DataFrame) -> Table:
    at_risk = (
        upcoming.filter(pl.col("is_at_risk") == True)  # noqa: E712
        .sort(["mrr_at_stake", "term_end"], descending=[True, False], nulls_last=True)
        .head(AT_RISK_SHOWN)
    )
    rows = tuple(
        (
            str(r["account_name"] or r["account_id"]),
            str(r["csm_name"] or "no CSM"),
            day_name(r["term_end"]),
            cell("renewals.mrr_at_stake", str(r["renewal_id"]), r["mrr_at_stake"], "money"),
            _why(r),
        )
        for r in at_risk.iter_rows(named=True)
    )
    return Table(
        "renewals-at-risk",
        ("Account", "CSM", "Term ends", "MRR at stake", "Why at risk"),
        rows,
        caption=f"At-risk renewals of the next 90 days, largest MRR first (at most {AT_RISK_SHOWN})",
    )


def _why(row: Mapping[str, object]) -> str:
    reasons = []
    if row["cancel_requested"]:
        reasons.append("cancellation requested")
    if row["health_grade"] in ("D", "F"):
        reasons.append(f"health grade {row['health_grade']}")
    signals = row.get("open_churn_signals") or []
    others = [str(s).replace("_", " ") for s in signals if s != "cancellation_request"]
    if others:
        reasons.append("signals: " + ", ".join(others))
    return "; ".join(reasons)


def _forecast_table(forecast: pl.DataFrame) -> Table:
    overall = forecast.filter(pl.col("scope") == "all").sort("month")
    known = overall.filter(pl.col("outcomes_complete"))
    past = known.tail(PAST_MONTHS)["month"].to_list()
    ahead = overall.filter(~pl.col("outcomes_complete"))["month"].to_list()[:3]
    shown = overall.filter(pl.col("month").is_in(past + ahead))
    rows = tuple(
        (
            month_name(r["month"], short=True),
            cell("renewal_forecast_monthly.mrr_due", str(r["month"]), r["mrr_due"], "money"),
            cell(
                "renewal_forecast_monthly.expected_mrr_kept",
                str(r["month"]),
                r["expected_mrr_kept"],
                "money",
            ),
            cell(
                "renewal_forecast_monthly.actual_mrr_kept",
                str(r["month"]),
                r["actual_mrr_kept"],
                "money",
            ),
            cell(
                "renewal_forecast_monthly.forecast_error",
                str(r["month"]),
                r["forecast_error"],
                "money",
            ),
        )
        for r in shown.iter_rows(named=True)
    )
    return Table(
        "renewal-forecast",
        ("Term-end month", "MRR due", "Forecast MRR kept", "MRR kept", "Forecast error"),
        rows,
        caption=(
            "Forecast and outcome, all CSMs: the last months with every outcome known, then the "
            "months ahead (none where a renewal has no health grade, or its band too few past renewals)"
        ),
    )
