"""Customer health assets (metrics.md §2, §4, §5): daily health scores with trends, churn signals,
CS alerts, lifecycle stages and transitions, and the calibration of the score against churn.

They read dbt's `intermediate.int_account_daily_metrics` (and the revenue intermediate models for
calibration; never `marts.dim_accounts`, which reads these tables), call the pure functions of
`transforms/`, and write tables in schema `transforms`. History grows by the days a run adds: the
days of the metrics model not yet scored, plus the as-of date, whose rows are replaced, so a re-run
of a day is idempotent. The lifecycle machine carries its state between runs in
`transforms.lifecycle_state` instead of replaying history.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, table_exists
from transforms.churn_signals import (
    detect_churn_signals,
    mentions_competitor,
    new_high_severity_signals,
)
from transforms.config import (
    ChurnSignalConfig,
    HealthScoreConfig,
    OnboardingConfig,
    load_churn_signal_config,
    load_health_score_config,
    load_lifecycle_config,
    load_onboarding_config,
)
from transforms.health import add_trends, health_alerts, score_health
from transforms.lifecycle import empty_state, run_lifecycle

SCHEMA = "transforms"
METRICS_MODEL = dg.AssetKey(["intermediate", "int_account_daily_metrics"])
CUSTOMER_MRR_MODEL = dg.AssetKey(["intermediate", "int_customer_mrr_monthly"])
HEALTH_SCORES = dg.AssetKey(["transforms", "health_scores_daily"])
CHURN_SIGNALS = dg.AssetKey(["transforms", "churn_signals_daily"])
LIFECYCLE_DAILY = dg.AssetKey(["transforms", "lifecycle_daily"])
LIFECYCLE_TRANSITIONS = dg.AssetKey(["transforms", "lifecycle_transitions"])
CS_ALERTS = dg.AssetKey(["transforms", "cs_alerts"])
HEALTH_CALIBRATION = dg.AssetKey(["transforms", "health_calibration"])

#: Churn is looked for in the days after a calibration date (metrics.md §2).
CALIBRATION_HORIZON_DAYS = 90
#: The pooled calibration row takes the latest 12 calibration dates (month ends: a year) together.
CALIBRATION_POOLED_DATES = 12
GRADES = ("A", "B", "C", "D", "F")


# --------------------------------------------------------------------------- warehouse I/O


def replace_days(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, days: list[dt.date]
) -> None:
    """Replace the rows of `days` in transforms.<table> with `frame` (created on first write)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register("incoming_rows", frame.to_arrow())
    try:
        if not table_exists(con, SCHEMA, table):
            con.execute(f"create table {SCHEMA}.{table} as select * from incoming_rows")
            return
        con.execute("begin transaction")
        if days:
            con.execute(
                f"delete from {SCHEMA}.{table} where as_of_date in (select unnest(?::date[]))",
                [days],
            )
        con.execute(f"insert into {SCHEMA}.{table} by name select * from incoming_rows")
        con.execute("commit")
    finally:
        con.unregister("incoming_rows")


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register("incoming_rows", frame.to_arrow())
    try:
        con.execute(f"create or replace table {SCHEMA}.{table} as select * from incoming_rows")
    finally:
        con.unregister("incoming_rows")


def days_to_compute(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date) -> list[dt.date]:
    """Days of the metrics model up to `as_of` that `table` does not hold yet, plus `as_of`."""
    available = read_frame(
        con,
        "select distinct as_of_date from intermediate.int_account_daily_metrics where as_of_date <= ?",
        [as_of],
    )["as_of_date"].to_list()
    done: set[dt.date] = set()
    if table_exists(con, SCHEMA, table):
        done = set(
            read_frame(con, f"select distinct as_of_date from {SCHEMA}.{table}")[
                "as_of_date"
            ].to_list()
        )
    return sorted({d for d in available if d not in done} | ({as_of} & set(available)))


# A run that adds many days (the first run over years of history) works through them a chunk at a
# time, so memory holds one chunk of account-days rather than the whole history: at most this many
# days, fewer when the accounts are many (31 days of 100k accounts are 3.1M rows of metrics).
DAYS_PER_CHUNK = 31
ACCOUNT_DAYS_PER_CHUNK = 1_000_000


def days_per_chunk(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int:
    """Days per chunk for the accounts of the metrics' latest day up to `as_of` (the most)."""
    accounts = con.execute(
        "select count(*) from intermediate.int_account_daily_metrics where as_of_date = "
        "(select max(as_of_date) from intermediate.int_account_daily_metrics where as_of_date <= ?)",
        [as_of],
    ).fetchall()[0][0]
    return max(1, min(DAYS_PER_CHUNK, ACCOUNT_DAYS_PER_CHUNK // max(accounts, 1)))


def chunks(days: list[dt.date], size: int | None = None) -> list[list[dt.date]]:
    """`days` (sorted) in consecutive chunks of at most `size` days."""
    size = size or DAYS_PER_CHUNK
    return [days[i : i + size] for i in range(0, len(days), size)]


def read_metrics(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> pl.DataFrame:
    return read_frame(
        con,
        "select * from intermediate.int_account_daily_metrics "
        "where as_of_date in (select unnest(?::date[]))",
        [days],
    )


def read_ticket_texts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read_frame(
        con,
        """
        select organizations.account_id, cast(tickets.created_at as date) as created_on,
            concat_ws(' ', tickets.subject, tickets.description) as text
        from staging.stg_ticketing__tickets as tickets
        inner join staging.stg_ticketing__organizations as organizations
            on organizations.organization_id = tickets.organization_id
        where organizations.account_id is not null
        """,
    )


# --------------------------------------------------------------------------- frames


def with_config_metrics(
    metrics: pl.DataFrame,
    tickets: pl.DataFrame,
    health_config: HealthScoreConfig,
    signal_config: ChurnSignalConfig,
) -> pl.DataFrame:
    """Finish the two metrics that need a configured list: feature_adoption (share of the plan's core
    features in features_used_30d; NULL where the list is NULL or the plan has no configured core
    features) and competitor_mentions_90d (tickets of the window naming a competitor; NULL where
    ticketing does not cover the account)."""
    core = pl.DataFrame(
        {
            "plan": [plan for plan, _ in health_config.core_features],
            "core_features": [list(features) for _, features in health_config.core_features],
        },
        schema={"plan": pl.String, "core_features": pl.List(pl.String)},
    )
    with_core = metrics.join(core, on="plan", how="left").with_columns(
        pl.when(pl.col("features_used_30d").is_not_null() & pl.col("core_features").is_not_null())
        .then(
            pl.col("features_used_30d").list.set_intersection("core_features").list.len()
            / pl.col("core_features").list.len()
        )
        .cast(pl.Float64)
        .alias("feature_adoption")
    )
    window = signal_config.competitor_mention_window_days
    mentioning = tickets.filter(mentions_competitor(pl.col("text"), signal_config.competitors))
    keys = with_core.select("account_id", "as_of_date")
    counts = (
        keys.join(mentioning.select("account_id", "created_on"), on="account_id", how="inner")
        .filter(
            (pl.col("created_on") <= pl.col("as_of_date"))
            & (pl.col("created_on") > pl.col("as_of_date") - dt.timedelta(days=window))
        )
        .group_by("account_id", "as_of_date")
        .agg(pl.len().cast(pl.Int64).alias("mentions"))
    )
    return (
        with_core.join(counts, on=["account_id", "as_of_date"], how="left")
        .with_columns(
            pl.when(pl.col("is_ticketing_covered"))
            .then(pl.col("mentions").fill_null(0))
            .alias("competitor_mentions_90d")
        )
        .drop("core_features", "mentions")
    )


def onboarding_completion(
    days: pl.DataFrame, steps: pl.DataFrame, config: OnboardingConfig
) -> pl.Series:
    """Share of the program's required steps completed by the end of each row's day.

    `days`: account_id, as_of_date, segment; `steps`: account_id, step_id, completed_on.
    NULL for a segment with no program."""
    programs = pl.DataFrame(
        [
            {"segment": s, "step_id": step, "required_steps": len(p.required_steps)}
            for p in config.programs
            for s in p.segments
            for step in p.required_steps
        ],
        schema={"segment": pl.String, "step_id": pl.String, "required_steps": pl.Int64},
    )
    required = programs.group_by("segment").agg(pl.col("required_steps").first())
    done = (
        days.select("account_id", "as_of_date", "segment")
        .join(
            steps.group_by("account_id", "step_id").agg(pl.col("completed_on").min()),
            on="account_id",
        )
        .join(programs.select("segment", "step_id"), on=["segment", "step_id"], how="semi")
        .filter(pl.col("completed_on") <= pl.col("as_of_date"))
        .group_by("account_id", "as_of_date")
        .agg(pl.len().alias("required_done"))
    )
    return (
        days.select("account_id", "as_of_date", "segment")
        .join(required, on="segment", how="left")
        .join(done, on=["account_id", "as_of_date"], how="left")
        .select(
            (pl.col("required_done").fill_null(0) / pl.col("required_steps")).alias(
                "onboarding_completion"
            )
        )
        .to_series()
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


def _calibration_row(group: pl.DataFrame, at_risk_grades: tuple[str, ...]) -> dict:
    """AUC, precision/recall of the at-risk grades and churn per grade over `group`'s rows."""
    flagged = group["grade"].is_in(list(at_risk_grades))
    churned = group["churned"]
    true_positives = int((flagged & churned).sum())
    row = {
        "horizon_days": CALIBRATION_HORIZON_DAYS,
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
    pooled_dates: int = CALIBRATION_POOLED_DATES,
) -> pl.DataFrame:
    """One row per calibration date (scope `calibration_date`) and one pooled row (scope
    `pooled_12m`): AUC of the score against churn in the horizon, precision and recall of the
    at-risk grades as a flag, and churn per grade, each with its counts.

    A month-end date holds a few hundred paying accounts of which a handful churn, so its per-grade
    rates are noise; the pooled row takes the (account, date) pairs of the latest `pooled_dates`
    calibration dates together (an account counts once per date it was paying on). Its
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
                "scope": "calibration_date",
                "calibration_date": day,
                "pool_first_date": day,
                "pool_last_date": day,
                "calibration_dates": 1,
                **_calibration_row(group, at_risk_grades),
            }
        )
    pool = sorted(joined["calibration_date"].unique().to_list())[-pooled_dates:]
    if pool:
        rows.append(
            {
                "scope": "pooled_12m",
                "calibration_date": None,
                "pool_first_date": pool[0],
                "pool_last_date": pool[-1],
                "calibration_dates": len(pool),
                **_calibration_row(
                    joined.filter(pl.col("calibration_date").is_in(pool)), at_risk_grades
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


def churn_outcomes(mrr: pl.DataFrame, calibration_dates: list[dt.date]) -> pl.DataFrame:
    """For each calibration date t, the accounts with MRR > 0 valued on t, and whether their MRR is 0
    on a valuation date in (t, t + horizon]. `mrr`: account_id, valuation_date, mrr_minor."""
    paying = mrr.filter(
        pl.col("valuation_date").is_in(calibration_dates) & (pl.col("mrr_minor") > 0)
    ).select("account_id", pl.col("valuation_date").alias("calibration_date"))
    later = paying.join(mrr, on="account_id").filter(
        (pl.col("valuation_date") > pl.col("calibration_date"))
        & (
            pl.col("valuation_date")
            <= pl.col("calibration_date") + dt.timedelta(days=CALIBRATION_HORIZON_DAYS)
        )
    )
    churned = later.group_by("account_id", "calibration_date").agg(
        (pl.col("mrr_minor") == 0).any().alias("churned")
    )
    return paying.join(churned, on=["account_id", "calibration_date"], how="left").with_columns(
        pl.col("churned").fill_null(False)
    )


def _score_days(
    con: duckdb.DuckDBPyConnection,
    days: list[dt.date],
    tickets: pl.DataFrame,
    health_config: HealthScoreConfig,
    signal_config: ChurnSignalConfig,
) -> int:
    """Score `days` (with trends from the scores already written) and replace them; rows written."""
    metrics = with_config_metrics(read_metrics(con, days), tickets, health_config, signal_config)
    scores = score_health(metrics, health_config)
    needed = ["account_id", "as_of_date", "score", "grade"] + [
        f"{c.name}_score" for c in health_config.components
    ]
    history = scores.select(needed)
    lookback = health_config.trend_lookback_days
    if days and table_exists(con, SCHEMA, "health_scores_daily"):
        earlier = read_frame(
            con,
            f"select {', '.join(needed)} from transforms.health_scores_daily "
            "where as_of_date >= ? and as_of_date < ? "
            "and as_of_date not in (select unnest(?::date[]))",
            [min(days) - dt.timedelta(days=lookback), max(days), days],
        )
        history = pl.concat([history, earlier], how="vertical_relaxed")
    scored = add_trends(scores, history, health_config).join(
        metrics.select("account_id", "as_of_date", "csm_id"),
        on=["account_id", "as_of_date"],
        how="left",
    )
    replace_days(con, "health_scores_daily", scored, days)
    return scored.height


def _alerts_of_days(
    con: duckdb.DuckDBPyConnection,
    days: list[dt.date],
    first_signal_day: dt.date | None,
    health_config: HealthScoreConfig,
) -> pl.DataFrame:
    """The CS alerts of `days`, from their scores and signals and those of the day before each."""
    window = [min(days) - dt.timedelta(days=1), max(days)]
    scores = read_frame(
        con, "select * from transforms.health_scores_daily where as_of_date between ? and ?", window
    )
    signals = read_frame(
        con, "select * from transforms.churn_signals_daily where as_of_date between ? and ?", window
    )
    in_days = pl.col("as_of_date").is_in(days)
    score_alerts = health_alerts(scores.filter(in_days), scores, health_config).select(
        "account_id",
        "as_of_date",
        "alert",
        "severity",
        "reason",
        pl.lit(None, dtype=pl.String).alias("signal"),
        pl.col("score").alias("value"),
        pl.col("previous_score").alias("previous_value"),
        pl.lit(None, dtype=pl.Float64).alias("threshold"),
        "grade",
        "previous_grade",
        "config_version",
    )
    new_signals = new_high_severity_signals(signals.filter(in_days), signals).select(
        "account_id",
        "as_of_date",
        pl.lit("new_high_severity_signal").alias("alert"),
        "severity",
        pl.format(
            "{}: observed {} {} {}",
            "signal",
            "observed_value",
            "operator",
            "threshold",
        ).alias("reason"),
        "signal",
        pl.col("observed_value").alias("value"),
        pl.lit(None, dtype=pl.Float64).alias("previous_value"),
        "threshold",
        pl.lit(None, dtype=pl.String).alias("grade"),
        pl.lit(None, dtype=pl.String).alias("previous_grade"),
        "config_version",
    )
    # A signal's first evaluated day has no previous day to compare with: only days whose
    # previous day was evaluated can raise a "new" signal alert.
    if first_signal_day is not None:
        new_signals = new_signals.filter(pl.col("as_of_date") > first_signal_day)
    csms = scores.filter(in_days).select("account_id", "as_of_date", "csm_id")
    return (
        pl.concat([score_alerts, new_signals], how="vertical_relaxed")
        .join(csms, on=["account_id", "as_of_date"], how="left")
        .sort("as_of_date", "account_id", "alert", "signal", nulls_last=True)
    )


def _lifecycle_inputs(
    con: duckdb.DuckDBPyConnection,
    days: list[dt.date],
    steps: pl.DataFrame,
    expansion_rules: list[str],
    onboarding_config: OnboardingConfig,
) -> pl.DataFrame:
    """The lifecycle machine's inputs for `days`: daily metrics, health score and opportunities,
    onboarding completion and whether an expansion opportunity is open."""
    metrics = read_metrics(con, days)
    scores = read_frame(
        con,
        "select account_id, as_of_date, score as health_score, opportunities "
        "from transforms.health_scores_daily where as_of_date in (select unnest(?::date[]))",
        [days],
    )
    return metrics.join(scores, on=["account_id", "as_of_date"], how="left").with_columns(
        onboarding_completion(metrics, steps, onboarding_config),
        pl.col("opportunities")
        .list.eval(pl.element().is_in(expansion_rules))
        .list.any()
        .alias("expansion_opportunity"),
    )


# --------------------------------------------------------------------------- assets

_ASSET_OPTIONS = {
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "pool": "duckdb_writer",
    "group_name": "transforms",
    "kinds": {"duckdb", "polars"},
}


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=HEALTH_SCORES,
        deps=[METRICS_MODEL],
        partitions_def=partitions_def,
        description="Health score per account and day (metrics.md §2) with grade, trend, components, "
        "coverage, risk factors and opportunities; history kept, the run's days replaced.",
        **_ASSET_OPTIONS,
    )
    def health_scores_daily(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_score_config()
        signal_config = load_churn_signal_config()
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            days = days_to_compute(con, "health_scores_daily", as_of)
            tickets = read_ticket_texts(con)
            written = 0
            # In date order: each chunk's trends read the scores the chunks before it wrote.
            for chunk in chunks(days, days_per_chunk(con, as_of)):
                written += _score_days(con, chunk, tickets, health_config, signal_config)
        return dg.MaterializeResult(
            metadata={
                "days_scored": len(days),
                "rows_written": written,
                "config_version": health_config.version,
            }
        )

    @dg.asset(
        key=CHURN_SIGNALS,
        deps=[METRICS_MODEL],
        partitions_def=partitions_def,
        description="Churn signals per account and day (metrics.md §4): the rule, observed value and "
        "threshold of every signal that fired.",
        **_ASSET_OPTIONS,
    )
    def churn_signals_daily(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_score_config()
        signal_config = load_churn_signal_config()
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            # A day without any signal leaves no row, so the evaluated days are kept apart.
            days = days_to_compute(con, "churn_signals_evaluated_days", as_of)
            tickets = read_ticket_texts(con)
            written = 0
            for chunk in chunks(days, days_per_chunk(con, as_of)):
                metrics = with_config_metrics(
                    read_metrics(con, chunk), tickets, health_config, signal_config
                ).with_columns(
                    pl.col("days_since_last_login").cast(pl.Int64),
                    pl.col("open_tickets").cast(pl.Int64),
                )
                signals = detect_churn_signals(metrics, signal_config).join(
                    metrics.select("account_id", "as_of_date", "csm_id"),
                    on=["account_id", "as_of_date"],
                    how="left",
                )
                replace_days(con, "churn_signals_daily", signals, chunk)
                replace_days(
                    con,
                    "churn_signals_evaluated_days",
                    pl.DataFrame({"as_of_date": chunk}, schema={"as_of_date": pl.Date}),
                    chunk,
                )
                written += signals.height
        return dg.MaterializeResult(
            metadata={"days_evaluated": len(days), "signals_written": written}
        )

    @dg.asset(
        key=CS_ALERTS,
        deps=[HEALTH_SCORES, CHURN_SIGNALS],
        partitions_def=partitions_def,
        description="Alerts for CS (health score drop, D/F today not yesterday, new high-severity "
        "churn signals): one row per alert with account, CSM, reason and values.",
        **_ASSET_OPTIONS,
    )
    def cs_alerts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_score_config()
        as_of = as_of_date(context)
        written = 0
        with warehouse.connect() as con:
            # Only the days this run scored: each day's alerts compare it with the day before.
            days = days_to_compute(con, "cs_alerts_evaluated_days", as_of)
            first_signal_day = None
            if table_exists(con, SCHEMA, "churn_signals_evaluated_days"):
                first_signal_day = con.execute(
                    "select min(as_of_date) from transforms.churn_signals_evaluated_days"
                ).fetchall()[0][0]
            for chunk in chunks(days, days_per_chunk(con, as_of)):
                alerts = _alerts_of_days(con, chunk, first_signal_day, health_config)
                replace_days(con, "cs_alerts", alerts, chunk)
                replace_days(
                    con,
                    "cs_alerts_evaluated_days",
                    pl.DataFrame({"as_of_date": chunk}, schema={"as_of_date": pl.Date}),
                    chunk,
                )
                written += alerts.height
        return dg.MaterializeResult(metadata={"days_evaluated": len(days), "alerts": written})

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                LIFECYCLE_DAILY,
                deps=[METRICS_MODEL, HEALTH_SCORES],
                description="Lifecycle stage per account and day (metrics.md §5).",
                group_name="transforms",
                kinds={"duckdb", "polars"},
            ),
            dg.AssetSpec(
                LIFECYCLE_TRANSITIONS,
                deps=[METRICS_MODEL, HEALTH_SCORES],
                description="Every lifecycle stage change with the rule that fired.",
                group_name="transforms",
                kinds={"duckdb", "polars"},
            ),
        ],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb_writer",
    )
    def lifecycle(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        config = load_lifecycle_config()
        health_config = load_health_score_config()
        onboarding_config = load_onboarding_config()
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            days = days_to_compute(con, "lifecycle_daily", as_of)
            start = min(days)
            state = empty_state()
            if table_exists(con, SCHEMA, "lifecycle_state"):
                saved = read_frame(
                    con,
                    "select * from transforms.lifecycle_state where state_date = ?",
                    [start - dt.timedelta(days=1)],
                )
                if saved.height:
                    state = saved.drop("state_date")
                else:
                    # No state for the day before: walk the whole history again.
                    days = days_to_compute(con, "__none__", as_of)
                    start = min(days)
            days = [d for d in days if d >= start]
            steps = read_frame(
                con,
                "select account_id, step_id, cast(completed_at as date) as completed_on "
                "from staging.stg_app_db__onboarding_steps where completed_at is not null",
            )
            expansion_rules = [
                r.name
                for r in health_config.opportunity_rules
                if r.name in ("expansion", "upgrade_approaching_limits")
            ]
            con.execute(f"create schema if not exists {SCHEMA}")
            for table in ("lifecycle_daily", "lifecycle_transitions"):
                if table_exists(con, SCHEMA, table):
                    con.execute(f"delete from {SCHEMA}.{table} where as_of_date >= ?", [start])
            rows = transitions = 0

            def walk(chunk: list[dt.date], state: pl.DataFrame) -> pl.DataFrame:
                """Run the machine over `chunk` from `state`, write its rows, return the new state."""
                nonlocal rows, transitions
                inputs = _lifecycle_inputs(con, chunk, steps, expansion_rules, onboarding_config)
                run = run_lifecycle(inputs, state, config)
                replace_days(con, "lifecycle_daily", run.daily_stages, chunk)
                replace_days(con, "lifecycle_transitions", run.transitions, chunk)
                rows += run.daily_stages.height
                transitions += run.transitions.height
                return run.final_state

            for chunk in chunks([d for d in days if d < as_of], days_per_chunk(con, as_of)):
                state = walk(chunk, state)
            # The states before and after the as-of date, so a re-run of that day starts from the first.
            states = [state.with_columns(pl.lit(as_of - dt.timedelta(days=1)).alias("state_date"))]
            if as_of in days:
                state = walk([as_of], state)
                states.append(state.with_columns(pl.lit(as_of).alias("state_date")))
            if days:
                replace_table(con, "lifecycle_state", pl.concat(states))
        yield dg.MaterializeResult(
            asset_key=LIFECYCLE_DAILY,
            metadata={"days_evaluated": len(days), "rows": rows},
        )
        yield dg.MaterializeResult(
            asset_key=LIFECYCLE_TRANSITIONS,
            metadata={"transitions": transitions},
        )

    @dg.asset(
        key=HEALTH_CALIBRATION,
        deps=[HEALTH_SCORES, CUSTOMER_MRR_MODEL],
        partitions_def=partitions_def,
        description="Backtest of the health score on the accounts paying at each month-end "
        "calibration date with a full 90-day horizon, and pooled over the latest 12 such dates: "
        "AUC, precision/recall of grade D/F and churn rate per grade, with counts.",
        **_ASSET_OPTIONS,
    )
    def health_calibration(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_score_config()
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            mrr = read_frame(
                con,
                """
                select accounts.account_id, mrr.valuation_date, mrr.mrr_minor
                from intermediate.int_customer_mrr_monthly as mrr
                inner join (
                    select distinct account_id, stripe_customer_id
                    from intermediate.int_account_daily_metrics
                    where stripe_customer_id is not null
                ) as accounts
                    on accounts.stripe_customer_id = mrr.customer_id
                """,
            )
            month_ends = sorted(
                d
                for d in mrr["valuation_date"].unique().to_list()
                if (d + dt.timedelta(days=1)).day == 1
                and d + dt.timedelta(days=CALIBRATION_HORIZON_DAYS) <= as_of
            )
            scores = read_frame(
                con,
                "select account_id, as_of_date, score, grade from transforms.health_scores_daily "
                "where as_of_date in (select unnest(?::date[])) and score is not null",
                [month_ends],
            )
            result = calibrate(
                scores, churn_outcomes(mrr, month_ends), health_config.alert_at_risk_grades
            ).with_columns(
                pl.lit(as_of).alias("as_of_date"),
                pl.lit(health_config.version).alias("config_version"),
            )
            replace_table(con, "health_calibration", result)
        per_date = result.filter(pl.col("scope") == "calibration_date")
        pooled = result.filter(pl.col("scope") == "pooled_12m")

        def first_auc(rows: pl.DataFrame) -> float | None:
            return float(rows["auc"][0]) if rows.height and rows["auc"][0] is not None else None

        return dg.MaterializeResult(
            metadata={
                "calibration_dates": per_date.height,
                "latest_auc": first_auc(per_date.tail(1)),
                "pooled_auc": first_auc(pooled),
            }
        )

    return [health_scores_daily, churn_signals_daily, cs_alerts, lifecycle, health_calibration]
