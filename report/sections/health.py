"""The customer-health sections: the grade distribution over time and the at-risk accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from html import escape

import polars as pl

from report.charts import Series, stacked_bar_chart
from report.elements import absent_note, definitions_list, metric_cell

AT_RISK_GRADES = ("D", "F")
GRADES = ("A", "B", "C", "D", "F")
#: The live book (metrics.md, population); a churned account's terminal row is not counted.
LIVE_STATUSES = ("paying", "trialing")


def live_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of a live-book table for accounts live that day (its terminal rows left out)."""
    if "customer_status" not in frame.columns:
        return frame
    return frame.filter(pl.col("customer_status").is_in(list(LIVE_STATUSES)))


def health_section(
    tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None, as_of: dt.date | None
) -> str:
    """Accounts per health grade on the latest scored day and at each month's end."""
    head = "<h2 id='health'>Customer health</h2>"
    frame = tables.get("marts.health_scores_daily")
    if frame is None:
        return head + absent_note(
            "marts.health_scores_daily", "Health-grade distribution and trend"
        )
    frame = live_rows(frame)
    latest = frame["as_of_date"].max()
    month_ends = (
        frame.group_by(pl.col("as_of_date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("as_of_date").max().alias("day"))
        .sort("month")
    )
    days = month_ends["day"].to_list()
    counts = (
        frame.filter(pl.col("as_of_date").is_in(days))
        .group_by("as_of_date", "grade")
        .agg(pl.len().alias("accounts"))
    )
    lookup = {(r["as_of_date"], r["grade"]): r["accounts"] for r in counts.iter_rows(named=True)}
    # Trialing accounts are a segment of their own (metrics.md, population): counted apart.
    trialing = (
        {
            r["grade"]: r["accounts"]
            for r in frame.filter(
                (pl.col("as_of_date") == latest) & (pl.col("customer_status") == "trialing")
            )
            .group_by("grade")
            .agg(pl.len().alias("accounts"))
            .iter_rows(named=True)
        }
        if "customer_status" in frame.columns
        else {}
    )
    grade_colors = ("#2ca02c", "#98df8a", "#ffbb33", "#ff7f0e", "#d62728", "#aaaaaa")
    grade_series = [
        Series(grade or "no grade", [float(lookup.get((d, grade), 0)) for d in days], color)
        for grade, color in zip((*GRADES, None), grade_colors, strict=True)
    ]
    chart = stacked_bar_chart(
        "health_grades",
        "Accounts by health grade at each month's last scored day",
        [str(d) for d in days],
        grade_series,
    )
    latest_rows = [
        f'<tr><td class="text">{grade or "no grade"}</td>'
        + metric_cell(
            "health_scores_daily.grade_count",
            f"{latest}|{grade}",
            lookup.get((latest, grade), 0),
            "count",
        )
        + metric_cell(
            "health_scores_daily.grade_count",
            f"{latest}|{grade}|trialing",
            trialing.get(grade, 0),
            "count",
        )
        + "</tr>"
        for grade in (*GRADES, None)
    ]
    return (
        head
        + f'<p class="period">Live accounts (paying or trialing that day) by grade on {latest} and '
        "on the last scored day of each month.</p>"
        + "<table><tr><th class='text'>grade</th><th>live accounts</th>"
        + "<th>of which trialing</th></tr>"
        + "".join(latest_rows)
        + "</table>"
        + chart
        + definitions_list(registry, ["health_scores_daily.score", "health_scores_daily.grade"])
    )


def at_risk_section(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    """Accounts graded D/F or with a high churn signal, largest current MRR first."""
    head = "<h2 id='at-risk'>At-risk accounts</h2>"
    health = tables.get("marts.health_scores_daily")
    signals = tables.get("marts.churn_signals_daily")
    accounts = tables.get("marts.dim_accounts")
    if health is None and signals is None:
        return head + absent_note(
            "marts.health_scores_daily", "At-risk accounts (health grade D/F or high churn signals)"
        )
    health = None if health is None else live_rows(health)
    signals = None if signals is None else live_rows(signals)
    risky: dict[str, list[str]] = {}
    status: dict[str, str] = {}
    if health is not None:
        latest = health.filter(pl.col("as_of_date") == health["as_of_date"].max())
        if "customer_status" in latest.columns:
            status = {r["account_id"]: r["customer_status"] for r in latest.iter_rows(named=True)}
        for r in latest.filter(pl.col("grade").is_in(list(AT_RISK_GRADES))).iter_rows(named=True):
            risky.setdefault(r["account_id"], []).append(f"grade {r['grade']}")
    if signals is not None and "severity" in signals.columns:
        latest = signals.filter(pl.col("as_of_date") == signals["as_of_date"].max())
        for r in latest.filter(pl.col("severity").is_in(["high", "critical"])).iter_rows(
            named=True
        ):
            risky.setdefault(r["account_id"], []).append(f"{r['signal']} ({r['severity']})")
            status.setdefault(r["account_id"], r.get("customer_status"))
    mrr: dict[str, object] = {}
    names: dict[str, str] = {}
    if accounts is not None and "current_mrr" in accounts.columns:
        mrr = {r["account_id"]: r["current_mrr"] for r in accounts.iter_rows(named=True)}
    if accounts is not None and "account_name" in accounts.columns:
        names = {r["account_id"]: r["account_name"] or "" for r in accounts.iter_rows(named=True)}
    ranked = sorted(risky.items(), key=lambda kv: -(float(mrr.get(kv[0]) or 0)))
    trials = sum(1 for a in risky if status.get(a) == "trialing")
    total = sum(float(mrr[a]) for a in risky if mrr.get(a) is not None)
    rows = "".join(
        f'<tr><td class="text">{escape(a)} {escape(names.get(a, ""))}</td>'
        f'<td class="text">{escape(", ".join(reasons))}</td>'
        + metric_cell(
            "dim_accounts.current_mrr", a, None if mrr.get(a) is None else float(mrr[a]), "money"
        )
        + "</tr>"
        for a, reasons in ranked[:50]
    )
    return (
        head
        + '<p class="period">Live accounts (paying or trialing that day; churned and never-paid '
        "accounts are not scored) with health grade D or F on the latest scored day, or a high or "
        "critical churn signal on the latest signal day.</p>"
        + f"<p>{len(risky)} live accounts at risk ({trials} of them trialing); MRR at stake "
        f'<strong data-metric="at_risk.mrr_at_stake" data-value="{total!r}">{total:,.2f}</strong>'
        " (current MRR of those accounts; the 50 largest are listed).</p>"
        + "<table><tr><th class='text'>account</th><th class='text'>why</th><th>current MRR</th></tr>"
        + rows
        + "</table>"
    )
