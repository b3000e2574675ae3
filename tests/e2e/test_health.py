"""Customer health end to end on generated drops, through the real `csw run` (ingest, dbt, the
transform assets, dbt after them, the gate, publish), read from the published file.

One shared history per session (`health_run` in tests/e2e/conftest.py, read by the NPS tests too): `csw generate --accounts 300 --months 14 --seed 7
--incremental-days 1` writes a full first drop and one daily drop; the daily drop is held back, the
history is run and published, then the held drop is copied in and `csw run --date <that day>` runs
the next day as the daily operation does.

Calibration is judged on the pooled row (the latest 12 month-end calibration dates together): a
single month-end holds about 150 paying accounts of which a handful churn within 90 days, so one
date's AUC swings with two or three accounts and its per-grade rates are mostly empty cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.e2e.conftest import HealthRun

pytestmark = pytest.mark.slow

GRADES = ("A", "B", "C", "D", "F")
#: A grade enters the monotonicity check with at least this many account-dates in the pooled row.
MIN_GRADE_ACCOUNTS = 30


@pytest.fixture(scope="module")
def run(health_run: HealthRun) -> HealthRun:
    return health_run


def test_published_scores_cover_the_as_of_date(run: HealthRun) -> None:
    today = run.scores_first.filter(pl.col("as_of_date") == run.first_as_of)
    assert today.height > 0
    assert run.scores_first["as_of_date"].max() == run.first_as_of
    # Every score of the day is either a score with its grade or NULL with its reason.
    assert today.filter(pl.col("score").is_null() & pl.col("reason").is_null()).height == 0
    assert today.filter(pl.col("score").is_not_null() & pl.col("grade").is_null()).height == 0
    assert today.filter(pl.col("score").is_not_null()).height > 100


def _pooled(calibration: pl.DataFrame) -> dict:
    pooled = calibration.filter(pl.col("scope") == "pooled_12m")
    assert pooled.height == 1, calibration
    return pooled.row(0, named=True)


def test_pooled_calibration_auc_is_at_least_0_65(run: HealthRun) -> None:
    pooled = _pooled(run.calibration)
    per_date = run.calibration.filter(pl.col("scope") == "calibration_date")
    # The pooled row covers the latest 12 per-date rows (fewer when the history is shorter).
    assert pooled["calibration_dates"] == min(12, per_date.height)
    latest = per_date.sort("calibration_date").tail(pooled["calibration_dates"])
    assert pooled["accounts"] == latest["accounts"].sum()
    assert pooled["churned_accounts"] == latest["churned_accounts"].sum()
    assert pooled["churned_accounts"] >= 10, pooled
    assert pooled["auc"] >= 0.65, pooled


def test_churn_rate_falls_from_grade_f_to_grade_a(run: HealthRun) -> None:
    """The rule: over the grades with at least MIN_GRADE_ACCOUNTS account-dates in the pooled row,
    taken from F to A, the churn rate never rises; and the worst such grade churns more than the
    best."""
    pooled = _pooled(run.calibration)
    rates = [
        (
            grade,
            pooled[f"churned_grade_{grade.lower()}"] / pooled[f"accounts_grade_{grade.lower()}"],
        )
        for grade in reversed(GRADES)
        if pooled[f"accounts_grade_{grade.lower()}"] >= MIN_GRADE_ACCOUNTS
    ]
    assert len(rates) >= 3, pooled
    for (worse, worse_rate), (better, better_rate) in zip(rates, rates[1:], strict=False):
        assert better_rate <= worse_rate, (
            f"{better} churns {better_rate:.3f} > {worse} {worse_rate:.3f}"
        )
    assert rates[-1][1] < rates[0][1]


def _month_ends(scores: pl.DataFrame) -> list[dt.date]:
    return sorted(
        d for d in scores["as_of_date"].unique().to_list() if (d + dt.timedelta(days=1)).day == 1
    )


def test_scores_against_the_generators_ground_truth(run: HealthRun) -> None:
    """Two comparisons with what the generator knows, sharing no code with the warehouse:
    - account-months: the mean published score correlates positively with the latent health;
    - churn from churn_events.csv: on each of the latest 12 month-ends with 90 days of data after
      it, among the accounts the generator says paid (accounts_truth.csv ever_paid), signed up at
      least 30 days earlier (past any trial) and not churned by then, those that churn in the next
      90 days score lower than those that do not: AUC ≥ 0.65 over those dates pooled."""
    scores = run.scores_first.filter(pl.col("score").is_not_null())
    latent = pl.read_parquet(run.ground_truth / "latent_health.parquet")
    monthly = (
        scores.with_columns(pl.col("as_of_date").dt.truncate("1mo").alias("month"))
        .group_by("account_id", "month")
        .agg(pl.col("score").mean().alias("mean_score"))
        .join(latent, on=["account_id", "month"], how="inner")
    )
    assert monthly.height > 500
    correlation = monthly.select(pl.corr("mean_score", "latent_health")).item()
    assert correlation > 0.3, correlation

    with (run.ground_truth / "churn_events.csv").open() as f:
        events = [
            (
                row["account_id"],
                dt.date.fromisoformat(row["churned_on"]),
                dt.date.fromisoformat(row["reactivated_on"]) if row["reactivated_on"] else None,
            )
            for row in csv.DictReader(f)
        ]
    with (run.ground_truth / "accounts_truth.csv").open() as f:
        signed_up = {
            row["account_id"]: dt.date.fromisoformat(row["signup_date"])
            for row in csv.DictReader(f)
            if row["ever_paid"] == "true"
        }
    pairs: list[tuple[float, bool]] = []
    dates = [d for d in _month_ends(scores) if d + dt.timedelta(days=90) <= run.first_as_of]
    for t in dates[-12:]:
        gone = {a for a, c, r in events if c <= t and (r is None or r > t)}
        churns = {a for a, c, _ in events if t < c <= t + dt.timedelta(days=90)}
        for account, score in (
            scores.filter(pl.col("as_of_date") == t).select("account_id", "score").iter_rows()
        ):
            paying = account in signed_up and signed_up[account] + dt.timedelta(days=30) <= t
            if paying and account not in gone:
                pairs.append((score, account in churns))
    churned = [s for s, c in pairs if c]
    retained = [s for s, c in pairs if not c]
    assert len(churned) >= 10 and retained
    # Mann-Whitney by direct pair counting (ties half), independent of the asset's rank formula.
    wins = sum((c < r) + 0.5 * (c == r) for c in churned for r in retained)
    auc = wins / (len(churned) * len(retained))
    assert auc >= 0.65, (auc, len(churned), len(retained))


def test_the_next_daily_drop_adds_exactly_its_day(run: HealthRun) -> None:
    before = run.scores_first
    after = run.scores_next
    added = after.filter(pl.col("as_of_date") == run.next_day)
    assert before.filter(pl.col("as_of_date") == run.next_day).height == 0
    assert added.height > 0
    # Exactly one row per account on the new day.
    assert added["account_id"].n_unique() == added.height
    kept = after.filter(pl.col("as_of_date") < run.next_day)
    assert kept.height == before.height
    key = ["account_id", "as_of_date"]
    columns = [c for c in before.columns if c not in ("risk_factors", "opportunities")]
    diff = before.select(columns).join(
        kept.select(columns), on=columns, how="anti", nulls_equal=True
    )
    assert diff.height == 0, diff.head(5)
    # List columns compared separately (an anti join on list columns is not supported).
    lists = before.select(*key, "risk_factors", "opportunities").join(
        kept.select(*key, "risk_factors", "opportunities"), on=key, suffix="_after"
    )
    assert lists.height == before.height
    assert (lists["risk_factors"] == lists["risk_factors_after"]).all()
    assert (lists["opportunities"] == lists["opportunities_after"]).all()


CHUNKED_TABLES = {
    "health_scores_daily": ["account_id", "as_of_date"],
    "churn_signals_daily": ["account_id", "as_of_date", "signal"],
    "churn_signals_evaluated_days": ["as_of_date"],
    "cs_alert_conditions_daily": ["account_id", "as_of_date", "alert", "signal"],
    "cs_alerts": ["episode_id"],
    "cs_alerts_evaluated_days": ["as_of_date"],
    "lifecycle_daily": ["account_id", "as_of_date"],
    "lifecycle_transitions": ["account_id", "as_of_date"],
}


def test_the_transforms_do_not_depend_on_how_many_days_a_chunk_holds(
    run: HealthRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history scored again two days at a time (the first run took 31) over a copy of the first
    run's build database equals what that run wrote: the chunk size, which falls with the number
    of accounts, is a memory budget and changes no row."""
    import dagster as dg
    from polars.testing import assert_frame_equal

    from orchestration.assets import churn_signals, daily_metrics, health, lifecycle
    from orchestration.definitions import DAILY_JOB_NAME, build_definitions
    from orchestration.settings import Settings

    warehouse = tmp_path / "warehouse"
    settings = Settings(extracts_dir=run.extracts, warehouse_dir=warehouse)
    settings.build_db.parent.mkdir(parents=True)
    shutil.copy(run.first_build, settings.build_db)
    con = duckdb.connect(str(settings.build_db))
    try:
        written = {
            table: pl.from_arrow(con.sql(f"select * from transforms.{table}").to_arrow_table())
            for table in CHUNKED_TABLES
        }
        for table in [*CHUNKED_TABLES, "lifecycle_state"]:
            con.execute(f"drop table transforms.{table}")
        accounts = con.execute(
            "select count(*) from intermediate.int_account_daily_metrics where as_of_date = ?",
            [run.first_as_of],
        ).fetchall()[0][0]
        monkeypatch.setattr(daily_metrics, "ACCOUNT_DAYS_PER_CHUNK", 2 * accounts + 1)
        assert daily_metrics.days_per_chunk(con, run.first_as_of) == 2
    finally:
        con.close()

    job = build_definitions(settings).resolve_job_def(DAILY_JOB_NAME)
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[
            health.HEALTH_SCORES,
            churn_signals.CHURN_SIGNALS,
            health.CS_ALERTS,
            lifecycle.LIFECYCLE_DAILY,
            lifecycle.LIFECYCLE_TRANSITIONS,
        ],
        tags={
            "dagster/asset_partition_range_start": run.first_as_of.isoformat(),
            "dagster/asset_partition_range_end": run.first_as_of.isoformat(),
        },
    )
    assert result.success
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        for table, key in CHUNKED_TABLES.items():
            again = pl.from_arrow(con.sql(f"select * from transforms.{table}").to_arrow_table())
            assert written[table].height > 0, table
            assert_frame_equal(
                again.sort(key, nulls_last=True), written[table].sort(key, nulls_last=True)
            )
    finally:
        con.close()
