"""The customer-health sections: the grade distribution over time and the at-risk accounts.

Both count the live book only (metrics.md, population): a churned account's terminal row is not
counted, and trialing accounts are shown apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from report.charts import stacked_bars
from report.elements import Fact, Figure, Section, Table, absent_section, cell
from report.formats import day_name
from report.sections.common import axis_month

AT_RISK_GRADES = ("D", "F")
GRADES = ("A", "B", "C", "D", "F")
GRADE_COLORS = ("#2ca02c", "#98df8a", "#ffbb33", "#ff7f0e", "#d62728", "#aaaaaa")
#: The live book (metrics.md, population); a churned account's terminal row is not counted.
LIVE_STATUSES = ("paying", "trialing")
LISTED = 50


def live_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of a live-book table for accounts live that day (its terminal rows left out)."""
    if "customer_status" not in frame.columns:
        return frame
    return frame.filter(pl.col("customer_status").is_in(list(LIVE_STATUSES)))


def health_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """Live accounts per health grade on the latest scored day and at each month's last one."""
    frame = tables.get("marts.health_scores_daily")
    if frame is None:
        return absent_section(
            "health", "Customer health", "marts.health_scores_daily", "health grades"
        )
    frame = live_rows(frame)
    latest = frame["as_of_date"].max()
    days = (
        frame.group_by(pl.col("as_of_date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("as_of_date").max().alias("day"))
        .sort("month")["day"]
        .to_list()
    )
    counts = (
        frame.filter(pl.col("as_of_date").is_in(days))
        .group_by("as_of_date", "grade")
        .agg(pl.len().alias("accounts"))
    )
    lookup = {(r["as_of_date"], r["grade"]): r["accounts"] for r in counts.iter_rows(named=True)}
    trialing: dict[object, int] = {}
    if "customer_status" in frame.columns:
        today_trials = frame.filter(
            (pl.col("as_of_date") == latest) & (pl.col("customer_status") == "trialing")
        )
        trialing = dict(today_trials.group_by("grade").agg(pl.len()).iter_rows())
    grades = (*GRADES, None)
    rows = [
        {"x": axis_month(d), "series": grade or "no grade", "value": lookup.get((d, grade))}
        for d in days
        for grade in grades
    ]
    chart = stacked_bars(
        "health_grades",
        "Live accounts by health grade at each month's last scored day",
        [r for r in rows if r["value"] is not None],
        [axis_month(d) for d in days],
        [(g or "no grade", c) for g, c in zip(grades, GRADE_COLORS, strict=True)],
        "count",
    )
    table_rows = tuple(
        (
            grade or "no grade",
            cell(
                "health_scores_daily.grade_count",
                f"{latest}|{grade}",
                lookup.get((latest, grade), 0),
                "count",
            ),
            cell(
                "health_scores_daily.grade_count",
                f"{latest}|{grade}|trialing",
                trialing.get(grade, 0),
                "count",
            ),
        )
        for grade in grades
    )
    live_today = sum(lookup.get((latest, g), 0) for g in grades)
    return Section(
        "health",
        "Customer health",
        intro=(
            "Live accounts (paying or trialing that day) by health grade on "
            f"{day_name(latest)} and on the last scored day of each month; trialing accounts are "
            "counted apart in the table.",
        ),
        figures=(
            Figure(
                "Live accounts by health grade, month by month",
                chart,
                f"n = {live_today:,} live accounts on {day_name(latest)}; every live account "
                "is scored, no interval.",
            ),
        ),
        tables=(
            Table(
                "health-grades-today",
                ("Grade", "Live accounts", "Of which trialing"),
                table_rows,
                caption=f"Live accounts by grade on {day_name(latest)}",
            ),
        ),
        definitions=("health_scores_daily.score", "health_scores_daily.grade"),
    )


@dataclass(frozen=True)
class AtRisk:
    """The live accounts at risk today, why, and their current MRR."""

    reasons: dict[str, list[str]]
    trialing: int
    mrr: dict[str, float | None]
    names: dict[str, str]

    @property
    def mrr_at_stake(self) -> float:
        """The current MRR of the accounts at risk whose MRR is known."""
        return sum(v for a, v in self.mrr.items() if a in self.reasons and v is not None)


def at_risk(tables: Mapping[str, pl.DataFrame]) -> AtRisk | None:
    """Live accounts graded D/F on the latest scored day or with a high or critical churn signal
    on the latest signal day (None when neither table is published)."""
    health = tables.get("marts.health_scores_daily")
    signals = tables.get("marts.churn_signals_daily")
    if health is None and signals is None:
        return None
    reasons: dict[str, list[str]] = {}
    status: dict[str, str] = {}
    if health is not None:
        health = live_rows(health)
        latest = health.filter(pl.col("as_of_date") == health["as_of_date"].max())
        if "customer_status" in latest.columns:
            status = dict(latest.select("account_id", "customer_status").iter_rows())
        for r in latest.filter(pl.col("grade").is_in(AT_RISK_GRADES)).iter_rows(named=True):
            reasons.setdefault(r["account_id"], []).append(f"health grade {r['grade']}")
    if signals is not None and "severity" in signals.columns:
        signals = live_rows(signals)
        latest = signals.filter(pl.col("as_of_date") == signals["as_of_date"].max())
        for r in latest.filter(pl.col("severity").is_in(["high", "critical"])).iter_rows(
            named=True
        ):
            words = str(r["signal"]).replace("_", " ")
            reasons.setdefault(r["account_id"], []).append(f"{words} ({r['severity']})")
            status.setdefault(r["account_id"], r.get("customer_status"))
    accounts = tables.get("marts.dim_accounts")
    mrr: dict[str, float | None] = {}
    names: dict[str, str] = {}
    if accounts is not None:
        for r in accounts.iter_rows(named=True):
            value = r.get("current_mrr")
            mrr[r["account_id"]] = None if value is None else float(value)
            names[r["account_id"]] = r.get("account_name") or ""
    trials = sum(1 for a in reasons if status.get(a) == "trialing")
    return AtRisk(reasons, trials, mrr, names)


def at_risk_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """Accounts graded D/F or with a high churn signal, largest current MRR first."""
    risk = at_risk(tables)
    if risk is None:
        return absent_section(
            "at-risk", "At-risk accounts", "marts.health_scores_daily", "health grades"
        )
    ranked = sorted(risk.reasons.items(), key=lambda kv: -(risk.mrr.get(kv[0]) or 0.0))
    rows = tuple(
        (
            f"{risk.names.get(a, '')} ({a})" if risk.names.get(a) else a,
            ", ".join(why),
            cell("dim_accounts.current_mrr", a, risk.mrr.get(a), "money"),
        )
        for a, why in ranked[:LISTED]
    )
    return Section(
        "at-risk",
        "At-risk accounts",
        intro=(
            "Live accounts (paying or trialing that day; churned and never-paid accounts are not "
            "scored) with health grade D or F on the latest scored day, or a high or critical "
            "churn signal on the latest signal day.",
        ),
        facts=(
            Fact(
                "Live accounts at risk",
                cell("at_risk.accounts", "", len(risk.reasons), "count"),
                f"{risk.trialing} of them trialing",
            ),
            Fact(
                "MRR at stake",
                cell("at_risk.mrr_at_stake", "", risk.mrr_at_stake, "money"),
                "current MRR of those accounts",
            ),
        ),
        tables=(
            Table(
                "at-risk-accounts",
                ("Account", "Why", "Current MRR"),
                rows,
                caption=f"The {min(LISTED, len(rows))} largest by current MRR",
            ),
        ),
        definitions=("dim_accounts.current_mrr",),
    )
