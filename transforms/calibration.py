"""Calibration of the health score against churn (metrics.md §2): does a low score precede churn?

For each month-end calibration date whose horizon has passed, the accounts paying on it are
followed for `horizon_days`; an account churned when its MRR goes to 0 on any day inside the
horizon (its daily customer status is no longer `paying`), not only on a month-end valuation. The score's AUC against that outcome, precision and recall of the at-risk grades as a
flag, and churn per grade are computed per date and pooled over the latest dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

GRADES = ("A", "B", "C", "D", "F")
PER_DATE_SCOPE = "calibration_date"
#: The published name of the pooled row's scope (audit.health_calibration.scope).
POOLED_SCOPE = "pooled_12m"
POPULATION = (
    "paying accounts with a health score on the calibration date (the live book; trials excluded)"
)
CHURN_RULE = "customer status not paying (MRR 0) on any day in (calibration date, + horizon_days]"


@dataclass(frozen=True)
class CalibrationConfig:
    """The settings of config/calibration.yml, validated by orchestration/config.py."""

    version: str
    #: Churn is looked for in the days after a calibration date.
    horizon_days: int
    #: The pooled row takes the latest this many calibration dates together.
    pooled_dates: int


def calibration_dates(
    valuation_dates: list[dt.date], as_of: dt.date, horizon_days: int
) -> list[dt.date]:
    """The month ends among `valuation_dates` whose whole horizon lies on or before `as_of`."""
    return sorted(
        d
        for d in valuation_dates
        if (d + dt.timedelta(days=1)).day == 1 and d + dt.timedelta(days=horizon_days) <= as_of
    )


def mann_whitney_auc(scores: pl.Series, churned: pl.Series) -> float | None:
    """P(a churned account scores lower than a retained one), ties counted half; NULL without both."""
    frame = pl.DataFrame({"score": scores, "churned": churned}).with_columns(
        pl.col("score").rank("average").alias("rank")
    )
    n_pos = int(frame["churned"].sum())
    n_neg = frame.height - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    rank_sum = float(frame.filter(pl.col("churned"))["rank"].sum())
    # U counts the pairs where the churned account scored higher (ties half).
    u_churned_higher = rank_sum - n_pos * (n_pos + 1) / 2
    return 1.0 - u_churned_higher / (n_pos * n_neg)


def _calibration_row(
    group: pl.DataFrame, at_risk_grades: tuple[str, ...], horizon_days: int
) -> dict:
    """AUC, precision/recall of the at-risk grades and churn per grade over `group`'s rows."""
    flagged = group["grade"].is_in(list(at_risk_grades))
    churned = group["churned"]
    true_positives = int((flagged & churned).sum())
    row = {
        "horizon_days": horizon_days,
        "accounts": group.height,
        "churned_accounts": int(churned.sum()),
        "auc": mann_whitney_auc(group["score"], churned),
        "flagged_at_risk": int(flagged.sum()),
        "true_positives": true_positives,
        "precision_at_risk": true_positives / int(flagged.sum()) if flagged.sum() else None,
        "recall_at_risk": true_positives / int(churned.sum()) if churned.sum() else None,
    }
    for grade in GRADES:
        in_grade = group.filter(pl.col("grade") == grade)
        n = in_grade.height
        c = int(in_grade["churned"].sum())
        row[f"accounts_grade_{grade.lower()}"] = n
        row[f"churned_grade_{grade.lower()}"] = c
        row[f"churn_rate_grade_{grade.lower()}"] = c / n if n else None
    return row


def calibrate(
    scores: pl.DataFrame,
    outcomes: pl.DataFrame,
    at_risk_grades: tuple[str, ...],
    config: CalibrationConfig,
) -> pl.DataFrame:
    """One row per calibration date (scope `calibration_date`) and one pooled row (scope
    `pooled_12m`): AUC of the score against churn in the horizon, precision and recall of the
    at-risk grades as a flag, and churn per grade, each with its counts.

    A month-end date holds a few hundred paying accounts of which a handful churn, so its per-grade
    rates are noise; the pooled row takes the (account, date) pairs of the latest
    `config.pooled_dates` calibration dates together (an account counts once per date it was paying on). Its
    calibration_date is NULL: it spans pool_first_date … pool_last_date.

    `scores`: account_id, as_of_date, score, grade (scored rows only); `outcomes`: account_id,
    calibration_date, churned (bool) for the accounts paying on that date (the population: an
    account already gone is not at risk)."""
    joined = outcomes.join(
        scores.rename({"as_of_date": "calibration_date"}),
        on=["account_id", "calibration_date"],
        how="inner",
    ).filter(pl.col("score").is_not_null())
    rows = []
    for (day,), group in sorted(joined.group_by("calibration_date"), key=lambda g: g[0][0]):
        rows.append(
            {
                "scope": PER_DATE_SCOPE,
                "calibration_date": day,
                "pool_first_date": day,
                "pool_last_date": day,
                "calibration_dates": 1,
                **_calibration_row(group, at_risk_grades, config.horizon_days),
            }
        )
    pool = sorted(joined["calibration_date"].unique().to_list())[-config.pooled_dates :]
    if pool:
        rows.append(
            {
                "scope": POOLED_SCOPE,
                "calibration_date": None,
                "pool_first_date": pool[0],
                "pool_last_date": pool[-1],
                "calibration_dates": len(pool),
                **_calibration_row(
                    joined.filter(pl.col("calibration_date").is_in(pool)),
                    at_risk_grades,
                    config.horizon_days,
                ),
            }
        )
    schema = {
        "scope": pl.String,
        "calibration_date": pl.Date,
        "pool_first_date": pl.Date,
        "pool_last_date": pl.Date,
        "calibration_dates": pl.Int64,
        "horizon_days": pl.Int64,
        "accounts": pl.Int64,
        "churned_accounts": pl.Int64,
        "auc": pl.Float64,
        "flagged_at_risk": pl.Int64,
        "true_positives": pl.Int64,
        "precision_at_risk": pl.Float64,
        "recall_at_risk": pl.Float64,
    }
    for grade in GRADES:
        schema |= {
            f"accounts_grade_{grade.lower()}": pl.Int64,
            f"churned_grade_{grade.lower()}": pl.Int64,
            f"churn_rate_grade_{grade.lower()}": pl.Float64,
        }
    return pl.DataFrame(rows, schema=schema)


def churn_outcomes(
    statuses: pl.DataFrame, calibration_dates: list[dt.date], horizon_days: int
) -> pl.DataFrame:
    """For each calibration date t, the accounts paying on t (customer status `paying`: the live
    book less its trials, which are their own segment), and whether they churned in
    (t, t + horizon_days]: their MRR went to 0, i.e. on some day of the window their status is
    known and not `paying` (metrics.md §2: at any time in the window, not only on a month-end
    valuation). churned_on is the first such day.

    `statuses`: account_id, as_of_date, customer_status per day (int_account_status_daily; any
    superset of the paying rows of the dates and the non-paying rows of the windows)."""
    paying = statuses.filter(
        pl.col("as_of_date").is_in(calibration_dates) & (pl.col("customer_status") == "paying")
    ).select("account_id", pl.col("as_of_date").alias("calibration_date"))
    not_paying = statuses.filter(
        pl.col("customer_status").is_not_null() & (pl.col("customer_status") != "paying")
    ).select("account_id", pl.col("as_of_date").alias("left_on"))
    churned = (
        paying.join(not_paying, on="account_id")
        .filter(
            (pl.col("left_on") > pl.col("calibration_date"))
            & (pl.col("left_on") <= pl.col("calibration_date") + dt.timedelta(days=horizon_days))
        )
        .group_by("account_id", "calibration_date")
        .agg(pl.col("left_on").min().alias("churned_on"))
    )
    return paying.join(churned, on=["account_id", "calibration_date"], how="left").with_columns(
        pl.col("churned_on").is_not_null().alias("churned")
    )


def health_calibration(
    scores: pl.DataFrame,
    outcomes: pl.DataFrame,
    at_risk_grades: tuple[str, ...],
    config: CalibrationConfig,
    as_of: dt.date,
    health_version: str,
) -> pl.DataFrame:
    """The calibration table as of a run's date: `calibrate`'s rows with the as-of date and the
    version of the health settings whose scores they judge."""
    return calibrate(scores, outcomes, at_risk_grades, config).with_columns(
        pl.lit(POPULATION).alias("population"),
        pl.lit(CHURN_RULE).alias("churn_rule"),
        pl.lit(as_of).alias("as_of_date"),
        pl.lit(health_version).alias("config_version"),
    )
