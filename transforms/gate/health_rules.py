"""Rules 4, 5, 16 and rule 12's health-input part: the health score documented, calibrated, honest.

Pure judges: the health configuration, a tally of the health tables (`HealthTally`, summed a slice
of accounts at a time by the gate), the calibration runs and the sampled accounts' inputs in,
results out. Rule 12 recomputes the inputs by the independent path (`independent_health`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from transforms.gate.independent_health import independent_health_inputs
from transforms.gate.results import Absent, RuleResult, Status, listed, not_applicable


@dataclass
class HealthTally:
    """What rules 4 and 16 count over the health tables, added up chunk by chunk: the tables hold
    one row per account and day (tens of millions at 100k accounts), so the gate reads them a slice
    of accounts at a time (`tally_health` per slice, `add` to sum) instead of whole."""

    scores: int = 0  # score rows read
    unversioned: int = 0  # rule 4: scores without their config version
    judged: int = 0  # rule 16: scores dated on a day the inputs hold, compared with them
    wrong: int = 0  # ... whose coverage is not the weight of the inputs present
    no_inputs: int = 0  # ... with no input row for their account and day
    before_window: int = 0  # scores dated outside the inputs' days (not judged)
    zero_without_input: int = 0  # component scores with none of their inputs present
    sample: list[str] = field(default_factory=list)  # a few "account day" of wrong coverage
    compared: bool = False  # rule 16 had inputs to compare with

    def add(self, other: HealthTally) -> None:
        """Add another slice's counts to these (keeping the first three samples)."""
        for name in (
            "scores",
            "unversioned",
            "judged",
            "wrong",
            "no_inputs",
            "before_window",
            "zero_without_input",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.sample = (self.sample + other.sample)[:3]
        self.compared = self.compared or other.compared


def tally_health(
    scores: pl.DataFrame,
    metrics: pl.DataFrame | None = None,
    health_config: dict | None = None,
    window_days: pl.Series | None = None,
) -> HealthTally:
    """Rules 4 and 16 over one slice of the health scores (account_id, as_of_date, coverage,
    config_version, <component>_score) and the inputs of the same accounts (account_id,
    as_of_date, one column per metric; see `no_defaulted_inputs`). `window_days`: the days the
    whole inputs table holds (default: the days of this slice's inputs)."""
    tally = HealthTally(
        scores=scores.height,
        unversioned=scores.filter(
            pl.col("config_version").is_null() | (pl.col("config_version") == "")
        ).height
        if "config_version" in scores.columns
        else scores.height,
    )
    if metrics is None or health_config is None:
        return tally
    components = health_config["components"]
    if "feature_adoption" not in metrics.columns and {"features_used_30d", "plan"} <= set(
        metrics.columns
    ):
        plans_with_core = list((health_config.get("core_features") or {}).keys())
        metrics = metrics.with_columns(
            pl.when(
                pl.col("features_used_30d").is_not_null() & pl.col("plan").is_in(plans_with_core)
            )
            .then(pl.lit(1.0))
            .alias("feature_adoption")
        )
    contributions = [
        pl.when(pl.col(metric).is_not_null())
        .then(float(spec["weight"]) * float(m["weight"]))
        .otherwise(0.0)
        for spec in components.values()
        for metric, m in spec["metrics"].items()
    ]
    present_by_component = {
        name: pl.any_horizontal([pl.col(m).is_not_null() for m in spec["metrics"]]).alias(
            f"{name}__present"
        )
        for name, spec in components.items()
    }
    expected = metrics.select(
        "account_id",
        "as_of_date",
        pl.sum_horizontal(contributions).alias("expected_coverage"),
        *present_by_component.values(),
    )
    # int_account_daily_metrics holds a rolling window of days while the scores keep their history:
    # a score dated before the window cannot be compared with today's inputs, so it is not judged.
    days = (window_days if window_days is not None else metrics["as_of_date"]).unique()
    in_window = scores.filter(pl.col("as_of_date").is_in(days.implode()))
    joined = in_window.join(expected, on=["account_id", "as_of_date"], how="left")
    wrong = joined.filter(
        (pl.col("coverage") - pl.col("expected_coverage").fill_null(0.0)).abs() > 1e-9
    )
    zero_without_input = 0
    for name in components:
        column = f"{name}_score"
        if column in joined.columns:
            zero_without_input += joined.filter(
                pl.col(column).is_not_null() & ~pl.col(f"{name}__present").fill_null(False)
            ).height
    tally.judged = joined.height
    tally.wrong = wrong.height
    tally.no_inputs = joined.filter(pl.col("expected_coverage").is_null()).height
    tally.before_window = scores.height - in_window.height
    tally.zero_without_input = zero_without_input
    tally.sample = [
        f"{r['account_id']} {r['as_of_date']}" for r in wrong.head(3).iter_rows(named=True)
    ]
    tally.compared = True
    return tally


def health_weights_documented(
    health_config: dict | None,
    scores: pl.DataFrame | HealthTally | None,
    tolerance: float = 1e-9,
    *,
    config_file: str,
) -> list[RuleResult]:
    """Rule 4: component weights and each component's metric weights sum to 1, every factor has a
    definition (label; ideal, weight and direction per metric), and every score row carries its
    config version. `health_config` is `config/<config_file>` as written (None: no such file);
    `scores` has config_version, or is the gate's tally of it (None: no health scores built yet)."""
    rule = "r04_health_weights"
    config_target = f"config/{config_file}"
    if health_config is None:
        return [not_applicable(rule, config_target, "no health-score configuration")]
    problems: list[str] = []
    components = health_config.get("components") or {}
    if not components:
        problems.append("no components")
    total = sum(float(c.get("weight") or 0) for c in components.values())
    if abs(total - 1) > tolerance:
        problems.append(f"component weights sum to {total:g}")
    for name, component in components.items():
        if not component.get("label"):
            problems.append(f"{name}: no label")
        metrics = component.get("metrics") or {}
        if not metrics:
            problems.append(f"{name}: no metrics")
        inner = sum(float(m.get("weight") or 0) for m in metrics.values())
        if metrics and abs(inner - 1) > tolerance:
            problems.append(f"{name}: metric weights sum to {inner:g}")
        for metric, spec in metrics.items():
            absent = [k for k in ("ideal", "weight", "direction") if spec.get(k) is None]
            if absent:
                problems.append(f"{name}.{metric}: no {'/'.join(absent)}")
    if not health_config.get("version"):
        problems.append("no version")
    results = [
        RuleResult(
            rule,
            config_target,
            "fail" if problems else "pass",
            listed(problems) if problems else f"{len(components)} components, weights sum to 1",
            "error unless weights sum to 1 and every factor is defined",
            "health-score factors or weights are not documented consistently"
            if problems
            else "factors and weights documented",
        )
    ]
    tally = scores if isinstance(scores, HealthTally) or scores is None else tally_health(scores)
    if tally is None:
        results.append(
            not_applicable(rule, "marts.health_scores_daily", "no health scores built yet")
        )
    else:
        unversioned = tally.unversioned
        results.append(
            RuleResult(
                rule,
                "marts.health_scores_daily",
                "fail" if unversioned else "pass",
                f"{unversioned} of {tally.scores} scores without config_version",
                "error on any score without its config version",
                "every score must carry the config version it was computed with"
                if unversioned
                else "every score carries its config version",
            )
        )
    return results


def _months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole calendar months from `earlier` to `later` (a month counts once its day is reached)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def _pool_text(pooled: dict) -> str:
    """What the pooled AUC rests on, in the words of its own figures."""
    dates = pooled.get("calibration_dates")
    if dates is None:
        return " pooled"
    text = f" pooled over {dates} month-end{'s' if dates != 1 else ''}"
    if pooled.get("pool_first_date") is not None:
        text += f" ({pooled['pool_first_date']} … {pooled['pool_last_date']})"
    if pooled.get("churned_accounts") is not None and pooled.get("accounts") is not None:
        text += f", {pooled['churned_accounts']} churned of {pooled['accounts']} account-dates"
    if pooled.get("horizon_days") is not None:
        text += f" within {pooled['horizon_days']} days"
    return text


def health_calibration(
    calibrations: pl.DataFrame | None,
    as_of: dt.date,
    warn_months: int,
    error_months: int,
    min_auc: float,
) -> list[RuleResult]:
    """Rule 5: age of the last calibration run and its churn-prediction AUC.

    `calibrations` has calibration_date and auc, and where the calibration asset wrote it, as_of_date
    (the day the calibration ran) and scope (`calibration_date` rows, one `pooled_12m` row per run).
    The age is that of the run, not of the dates it backtests (those are at least 90 days old by
    construction: their churn window must have passed). The AUC judged is the pooled one where the
    run has it, since a single month-end holds a handful of churners.
    """
    rule = "r05_health_calibration"
    target = "audit.health_calibration"
    run_column = (
        "as_of_date"
        if calibrations is not None and "as_of_date" in calibrations.columns
        else "calibration_date"
    )
    known = None if calibrations is None else calibrations.filter(pl.col(run_column) <= as_of)
    if known is None or known.is_empty():
        return [
            not_applicable(
                rule, target, "no calibration run recorded: no health history to calibrate yet"
            )
        ]
    last_run = known.get_column(run_column).max()
    run_rows = known.filter(pl.col(run_column) == last_run)
    pooled = (
        run_rows.filter(pl.col("scope") == "pooled_12m")
        if "scope" in run_rows.columns
        else run_rows.clear()
    )
    dated = run_rows.filter(pl.col("calibration_date").is_not_null()).sort("calibration_date")
    last = pooled.row(0, named=True) if not pooled.is_empty() else dated.row(-1, named=True)
    age = _months_between(last_run, as_of)
    auc = last["auc"]
    threshold = f"error > {error_months} months; warn > {warn_months} months or AUC < {min_auc:g}"
    status: Status = (
        "fail"
        if age > error_months
        else "warn"
        if age > warn_months or auc is None or auc < min_auc
        else "pass"
    )
    auc_text = "no AUC" if auc is None else f"AUC {auc:.3f}"
    return [
        RuleResult(
            rule,
            target,
            status,
            f"last calibration {last_run} ({age} months before {as_of}), {auc_text}"
            + (_pool_text(last) if not pooled.is_empty() else ""),
            threshold,
            "health score calibration is overdue or weak"
            if status != "pass"
            else "calibrated recently with a good churn prediction",
        )
    ]


def no_defaulted_inputs(
    tables: dict[str, pl.DataFrame],
    rate_inputs: dict[str, str],
    health_scores: pl.DataFrame | HealthTally | None,
    health_metrics: pl.DataFrame | None = None,
    health_config: dict | None = None,
) -> list[RuleResult]:
    """Rule 16: no metric computed from a defaulted input.

    - `rate_inputs` maps "table.metric" to the input it is computed from: the metric must be NULL
      where that input is NULL or zero (a rate over nothing is not a number);
    - health scores' coverage (on the days `health_metrics` holds) equals Σ component weight ×
      metric weight over the inputs present in
      `health_metrics` (account_id, as_of_date, one column per metric) for the same account and
      day, and a component score is NULL, not 0, when none of its inputs is present. Where
      `health_metrics` is int_account_daily_metrics, feature_adoption is not a column (the share
      needs the plan's configured core features): it is present where features_used_30d is and
      the plan has core features in the config.

    `health_scores` may instead be the gate's `HealthTally` of both tables (`health_metrics` is
    then not read).
    """
    rule = "r16_no_defaulted_inputs"
    results: list[RuleResult] = []
    for name, source in sorted(rate_inputs.items()):
        table, metric = name.rsplit(".", 1)
        if table not in tables:
            results.append(not_applicable(rule, name, f"{table} not built"))
            continue
        frame = tables[table]
        if metric not in frame.columns or source not in frame.columns:
            results.append(
                RuleResult(
                    rule, name, "fail", f"missing column {metric} or {source}", "", "cannot verify"
                )
            )
            continue
        filled = frame.filter(
            pl.col(metric).is_not_null()
            & (pl.col(source).is_null() | (pl.col(source).cast(pl.Float64) == 0))
        ).height
        results.append(
            RuleResult(
                rule,
                name,
                "fail" if filled else "pass",
                f"{filled} of {frame.height} rows with a value where {source} is NULL or 0",
                "error on any filled default",
                f"{metric} computed without its input {source}" if filled else "no filled default",
            )
        )
    target = "marts.health_scores_daily"
    if isinstance(health_scores, HealthTally):
        tally = health_scores
    elif health_scores is None or health_metrics is None or health_config is None:
        tally = None
    else:
        tally = tally_health(health_scores, health_metrics, health_config)
    if tally is None or not tally.compared:
        results.append(
            not_applicable(rule, target, "no health scores or int_account_daily_metrics built yet")
        )
        return results
    failed = tally.wrong + tally.zero_without_input
    results.append(
        RuleResult(
            rule,
            target,
            "fail" if failed else "pass",
            f"{tally.wrong} of {tally.judged} scores with coverage ≠ inputs present "
            f"({tally.no_inputs} with no input row; {tally.before_window} dated outside the "
            "inputs' days, not judged)"
            + (f": {listed(tally.sample, 3)}" if tally.sample else "")
            + f"; {tally.zero_without_input} component scores with none of their inputs",
            "error on any filled default",
            "health scores computed from defaulted inputs"
            if failed
            else "coverage matches the inputs present",
        )
    )
    return results


def health_inputs_verification(
    independent: pl.DataFrame, published: pl.DataFrame, sample: list[str], day: dt.date
) -> list[RuleResult]:
    """Rule 12 (health inputs): the sampled accounts' independently recomputed inputs equal the
    published int_account_daily_metrics values of the day (both: account_id and the input columns;
    numbers within 1e-9, NULL only where NULL; texts equal; lists as sets)."""
    rule = "r12_sample_verification"
    metrics = [c for c in independent.columns if c != "account_id"]

    def comparable(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.col(c).list.sort().list.join(",")
            for c in metrics
            if isinstance(frame.schema[c], pl.List)
        )

    joined = (
        pl.DataFrame({"account_id": sample}, schema={"account_id": pl.String})
        .join(comparable(independent), on="account_id", how="left")
        .join(
            comparable(published.select("account_id", *metrics)),
            on="account_id",
            how="left",
            suffix="_published",
        )
    )
    figures: list[str] = []
    by_input: list[str] = []
    for metric in metrics:
        mine, theirs = pl.col(metric), pl.col(f"{metric}_published")
        if joined.schema[metric].is_numeric():
            differing = (mine.is_null() != theirs.is_null()) | (
                (mine - theirs).abs() > 1e-9
            ).fill_null(False)
        else:
            differing = mine.cast(pl.String).ne_missing(theirs.cast(pl.String))
        found = [
            f"{r['account_id']} {metric}: independent {r[metric]}, published {r[f'{metric}_published']}"
            for r in joined.filter(differing).iter_rows(named=True)
        ]
        if found:
            by_input.append(f"{metric} {len(found)}")
        figures += found
    return [
        RuleResult(
            rule,
            f"intermediate.int_account_daily_metrics sample, {day}",
            "fail" if figures else "pass",
            f"{len(figures)} differences over {len(sample)} accounts × {len(metrics)} inputs"
            + (
                f" (accounts per input: {', '.join(by_input)}): {listed(figures, 3)}"
                if figures
                else ""
            ),
            "error on any mismatch",
            "sampled health inputs differ from the independent recomputation"
            if figures
            else "sampled health inputs reproduced",
        )
    ]


@dataclass(frozen=True)
class HealthInputsNotBuilt:
    """int_account_daily_metrics exists without some of the inputs rule 12 recomputes."""

    columns: tuple[str, ...]


@dataclass(frozen=True)
class HealthInputsSample:
    """What rule 12 reads for the health inputs of the sampled accounts on the as-of day: their
    published inputs (`published`: account_id and HEALTH_INPUTS) and the staged rows of those
    accounts the independent path recomputes them from (see `independent_health_inputs`)."""

    sample: list[str]
    published: pl.DataFrame
    accounts: pl.DataFrame
    organizations: pl.DataFrame
    tickets: pl.DataFrame
    ratings: pl.DataFrame
    events: pl.DataFrame
    nps_responses: pl.DataFrame
    cs_activities: pl.DataFrame
    stripe_customers: pl.DataFrame
    charges: pl.DataFrame
    subscriptions: pl.DataFrame
    items: pl.DataFrame
    covered_through: dict[str, dt.date | None]


def health_inputs_reproduced(
    inputs: HealthInputsSample | HealthInputsNotBuilt | Absent, as_of: dt.date
) -> list[RuleResult]:
    """Rule 12 (health inputs): the sampled accounts' inputs of the as-of day recomputed by the
    independent path equal the published ones; `not_applicable` when there is nothing to sample."""
    rule = "r12_sample_verification"
    target = "intermediate.int_account_daily_metrics sample"
    if isinstance(inputs, Absent):
        return [not_applicable(rule, target, inputs.reason)]
    if isinstance(inputs, HealthInputsNotBuilt):
        return [
            RuleResult(
                rule,
                f"{target}, {as_of}",
                "fail",
                f"columns absent: {', '.join(inputs.columns)}",
                "error on any mismatch",
                "int_account_daily_metrics lacks inputs rule 12 verifies",
            )
        ]
    independent = independent_health_inputs(
        as_of,
        inputs.accounts,
        inputs.organizations,
        inputs.tickets,
        inputs.ratings,
        inputs.events,
        inputs.nps_responses,
        inputs.cs_activities,
        inputs.stripe_customers,
        inputs.charges,
        inputs.subscriptions,
        inputs.items,
        inputs.covered_through,
    )
    return health_inputs_verification(independent, inputs.published, inputs.sample, as_of)
