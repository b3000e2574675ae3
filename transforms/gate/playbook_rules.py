"""Rule 21, playbooks followed (validation.md; the playbook's §16 KPI): the published completion
rate must be the one the raw CRM tasks give, and a month below the thresholds warns.

The comparison is with `independent_playbooks.completion_counts` (raw rows, no shared code): any
difference in a month's or CSM's counts, rate or interval is a fabricated number and blocks. The
rate itself is a fact about the team, not the data: below `warn_below` it warns, recorded as
critical below `critical_below`, and never blocks.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.independent_playbooks import completion_counts, wilson
from transforms.gate.results import Absent, RuleResult, listed, not_applicable

RULE = "r21_playbooks_followed"
TARGET = "marts.playbook_completion_monthly"
KEYS = ["month", "scope", "csm_id"]
TOLERANCE = 1e-9


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE * max(1.0, abs(b))


def _disagreements(published: pl.DataFrame, independent: pl.DataFrame) -> list[str]:
    joined = published.join(independent, on=KEYS, how="full", coalesce=True, nulls_equal=True)
    found = []
    for row in joined.iter_rows(named=True):
        due, done = row["due"] or 0, row["done_by_due"] or 0
        where = f"{row['month']} {row['scope']} {row['csm_id'] or ''}".strip()
        if (row["actions_due"] or 0, row["actions_done_by_due"] or 0) != (due, done):
            found.append(
                f"{where}: published {row['actions_done_by_due']}/{row['actions_due']}, "
                f"raw tasks {done}/{due}"
            )
        elif row["completion_rate"] is not None:
            low, high = wilson(done, due)
            expected = (done / due, low, high)
            published_values = (
                row["completion_rate"], row["completion_ci_low"], row["completion_ci_high"]
            )  # fmt: skip
            if not all(_close(p, e) for p, e in zip(published_values, expected, strict=True)):
                found.append(f"{where}: rate or interval {published_values} ≠ {expected}")
    return found


def playbooks_followed(
    published: pl.DataFrame | Absent,
    raw_tasks: pl.DataFrame | Absent,
    as_of: dt.date,
    min_actions: int,
    warn_below: float,
    critical_below: float,
) -> list[RuleResult]:
    """Rule 21 on the published completion table and the raw cs_tasks rows."""
    for evidence in (published, raw_tasks):
        if isinstance(evidence, Absent):
            return [not_applicable(RULE, TARGET, evidence.reason)]
    independent = completion_counts(raw_tasks, as_of)
    wrong = _disagreements(published.filter(pl.col("actions_due") > 0), independent)
    if wrong:
        return [
            RuleResult(
                RULE, TARGET, "fail", f"{len(wrong)} months or CSMs differ",
                "error on any difference from the raw tasks",
                "published completion differs from the raw cs_tasks: " + listed(wrong),
            )
        ]  # fmt: skip
    return [_judge_latest_month(independent, as_of, min_actions, warn_below, critical_below)]


def _judge_latest_month(
    independent: pl.DataFrame,
    as_of: dt.date,
    min_actions: int,
    warn_below: float,
    critical_below: float,
) -> RuleResult:
    """The latest complete month over every CSM against the §16 thresholds."""
    month_start = as_of.replace(day=1)
    ended = month_start if as_of.month != (as_of + dt.timedelta(days=1)).month else None
    latest = ended or (month_start - dt.timedelta(days=1)).replace(day=1)
    threshold = f"warn < {warn_below:.0%}, critical < {critical_below:.0%}"
    row = independent.filter((pl.col("scope") == "all") & (pl.col("month") == latest))
    due = int(row["due"].sum()) if row.height else 0
    if due < min_actions:
        return not_applicable(
            RULE, TARGET,
            f"insufficient_sample: {due} save-playbook actions due in {latest:%Y-%m}, "
            f"fewer than {min_actions}; the counts agree with the raw tasks",
        )  # fmt: skip
    done = int(row["done_by_due"].sum())
    rate = done / due
    observed = f"{latest:%Y-%m}: {done}/{due} = {rate:.1%}"
    if rate < critical_below:
        return RuleResult(RULE, TARGET, "warn", observed, threshold,
                          f"critical: playbook completion {rate:.1%} is below {critical_below:.0%}")  # fmt: skip
    if rate < warn_below:
        return RuleResult(RULE, TARGET, "warn", observed, threshold,
                          f"warning: playbook completion {rate:.1%} is below {warn_below:.0%}")  # fmt: skip
    return RuleResult(RULE, TARGET, "pass", observed, threshold,
                      "completion agrees with the raw tasks and is above the warning level")  # fmt: skip
