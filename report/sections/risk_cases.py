"""Acting on risk (marts.risk_cases, marts.playbook_completion_monthly): the risk cases open on the
as-of date by what opened them, and month by month whether the save playbooks were followed and how
many cases were saved. Shown only when published."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.elements import Section, Table, cell
from report.formats import month_name, percent

PAST_MONTHS = 6
# What opened a case, in words (config/risk_cases.yml's triggers); an unknown one is spelled out.
TRIGGERS = {
    "cancellation_request": "Cancellation request",
    "failed_payment": "Failed payment",
    "grade_d_or_f": "Health grade D or F",
    "no_login_14_days": "No login in 14 days",
    "nps_detractor": "NPS detractor",
    "usage_drop_50": "Usage down by half",
}
NOT_REPORTABLE = "n/r"


def trigger_name(trigger: str) -> str:
    return TRIGGERS.get(trigger, trigger.replace("_", " ").capitalize())


def risk_cases_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """Open cases by trigger, then the completion and save rates of the latest months."""
    shown = [_open_table(tables["marts.risk_cases"])]
    monthly = tables.get("marts.playbook_completion_monthly")
    if monthly is not None:
        shown.append(_monthly_table(monthly))
    return Section(
        "risk-cases",
        "Acting on risk",
        intro=(
            "A risk case opens on the first day a live account has a high-severity churn signal, a "
            "cancellation request or a D or F health grade, and follows the save playbook of what "
            "opened it. It closes as saved once nothing has held for 14 days, or as lost on the day "
            "the account leaves (it churns, or its trial ends unpaid).",
            "The completion rate counts the playbook actions due in a month that were done by their "
            "due time; the save rate, the cases closed in a month that were saved. Each is a sample "
            "with its 95% interval; below its minimum sample it is not reportable (n/r).",
        ),
        tables=tuple(shown),
        definitions=(
            "risk_cases.mrr_at_stake",
            "playbook_completion_monthly.completion_rate",
            "playbook_completion_monthly.save_rate",
        ),
    )


def _open_table(cases: pl.DataFrame) -> Table:
    open_cases = cases.filter(pl.col("outcome") == "open")
    by_trigger = (
        open_cases.group_by("trigger")
        .agg(
            cases=pl.len(),
            mrr=pl.col("mrr_at_stake").sum(),
            mrr_unknown=pl.col("mrr_at_stake").is_null().sum(),
            no_action=(pl.col("actions_matched") == 0).sum(),
            escalated=pl.col("escalated_to").is_not_null().sum(),
        )
        .sort(["cases", "trigger"], descending=[True, False])
    )
    every = pl.DataFrame({"trigger": ["all"]}).hstack(
        by_trigger.select(pl.exclude("trigger").sum())
        if by_trigger.height
        else pl.DataFrame({"cases": [0], "mrr": [0.0], "mrr_unknown": [0], "no_action": [0],
                           "escalated": [0]})
    )  # fmt: skip
    rows = []
    for r in (*by_trigger.iter_rows(named=True), *every.iter_rows(named=True)):
        key = str(r["trigger"])
        # The MRR of the cases whose MRR is known, and how many are not (a trial has no MRR yet):
        # never an unknown counted as 0 without saying so.
        rows.append(
            (
                "All open cases" if key == "all" else trigger_name(key),
                cell("risk_cases.open", key, r["cases"], "count"),
                cell("risk_cases.mrr_at_stake_known", key, r["mrr"] or 0.0, "money"),
                cell("risk_cases.mrr_unknown", key, r["mrr_unknown"], "count"),
                cell("risk_cases.no_action", key, r["no_action"], "count"),
                cell("risk_cases.escalated", key, r["escalated"], "count"),
            )
        )
    return Table(
        "risk-cases-open",
        ("Opened by", "Open cases", "MRR at stake", "MRR not known", "No action yet", "Escalated"),
        tuple(rows),
        caption=(
            "Risk cases open on the as-of date, by what opened them (MRR at stake of the cases whose "
            "MRR is known)"
        ),
    )


def _rate(metric: str, key: str, value: float | None) -> object:
    return cell(metric, key, value, "fraction", text=None if value is not None else NOT_REPORTABLE)


def _interval(low: float | None, high: float | None) -> str:
    return f"{percent(low)} – {percent(high)}" if low is not None and high is not None else ""


def _monthly_table(monthly: pl.DataFrame) -> Table:
    overall = monthly.filter(pl.col("scope") == "all").sort("month").tail(PAST_MONTHS)
    rows = tuple(
        (
            month_name(r["month"], short=True),
            cell("playbook_completion_monthly.actions_due", str(r["month"]), r["actions_due"],
                 "count"),
            _rate("playbook_completion_monthly.completion_rate", str(r["month"]),
                  r["completion_rate"]),
            _interval(r["completion_ci_low"], r["completion_ci_high"]),
            cell("playbook_completion_monthly.cases_closed", str(r["month"]), r["cases_closed"],
                 "count"),
            _rate("playbook_completion_monthly.save_rate", str(r["month"]), r["save_rate"]),
            _interval(r["save_ci_low"], r["save_ci_high"]),
        )
        for r in overall.iter_rows(named=True)
    )  # fmt: skip
    return Table(
        "playbook-completion",
        (
            "Month",
            "Actions due",
            "Completion rate",
            "95% interval",
            "Cases closed",
            "Save rate",
            "95% interval",
        ),
        rows,
        caption=f"Save playbooks, all CSMs, the latest {PAST_MONTHS} months (n/r: not reportable)",
    )
