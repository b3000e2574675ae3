"""The publish gate's rules as pure functions: frames in, one result per rule and target out.

Each rule of ../shared/spec/validation.md that is implemented here returns `RuleResult`s; the
orchestration layer reads the frames from the build database, records the results in
audit.check_results and blocks publication on any ERROR.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

Status = Literal["pass", "warn", "fail", "not_applicable"]


@dataclass(frozen=True)
class RuleResult:
    rule: str
    target: str
    status: Status
    observed: str
    threshold: str
    message: str

    @property
    def blocks(self) -> bool:
        return self.status == "fail"


def freshness(
    ingest_log: pl.DataFrame,
    as_of: dt.date,
    required_sources: list[str],
    warn_hours: float,
    error_hours: float,
) -> list[RuleResult]:
    """Rule 8: hours from the end of each source's latest delivered drop to the end of the as-of date.

    `ingest_log` has at least source, drop_date, status; `missing_drop` rows are not deliveries.
    """
    delivered = ingest_log.filter(
        (pl.col("status") != "missing_drop") & (pl.col("drop_date") <= as_of)
    )
    latest = dict(delivered.group_by("source").agg(pl.col("drop_date").max()).iter_rows())
    threshold = f"warn > {warn_hours:g} h, error > {error_hours:g} h"
    results: list[RuleResult] = []
    for source in sorted(set(required_sources) | set(latest)):
        if source not in latest:
            results.append(
                RuleResult(
                    "r08_freshness",
                    source,
                    "fail",
                    "no drop",
                    threshold,
                    f"{source}: no drop delivered up to {as_of}",
                )
            )
            continue
        hours = (as_of - latest[source]).days * 24.0
        status: Status = "fail" if hours > error_hours else "warn" if hours > warn_hours else "pass"
        results.append(
            RuleResult(
                "r08_freshness",
                source,
                status,
                f"{hours:g} h",
                threshold,
                f"{source}: latest drop {latest[source]}, {hours:g} h before the end of {as_of}",
            )
        )
    return results


def nothing_lost(
    ingest_log: pl.DataFrame, as_of: dt.date, warn_on_quarantine: bool = True
) -> list[RuleResult]:
    """Rule 11: per file, rows read = rows loaded + rows quarantined, and the manifest's count agrees.

    `ingest_log` has source, drop_date, file, status, rows_read, rows_loaded, rows_quarantined,
    manifest_rows and loaded_at; only the latest delivery of each file counts (a re-ingest logs again).
    """
    files = (
        ingest_log.filter(
            (pl.col("drop_date") <= as_of)
            & pl.col("status").is_in(["loaded", "replaced", "unchanged"])
        )
        .sort("loaded_at")
        .unique(subset=["source", "drop_date", "file"], keep="last", maintain_order=True)
    )
    threshold = (
        "error on any loss; warn on any quarantine" if warn_on_quarantine else "error on any loss"
    )
    if files.is_empty():
        return [
            RuleResult(
                "r11_nothing_lost",
                "all files",
                "not_applicable",
                "0 files",
                threshold,
                "no file ingested yet",
            )
        ]
    lost = files.filter(
        (pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_quarantined"))
        | (pl.col("manifest_rows").is_not_null() & (pl.col("manifest_rows") != pl.col("rows_read")))
    )
    results: list[RuleResult] = []
    for row in lost.sort("source", "drop_date", "file").iter_rows(named=True):
        results.append(
            RuleResult(
                "r11_nothing_lost",
                f"{row['source']}/{row['drop_date']}/{row['file']}",
                "fail",
                f"read {row['rows_read']}, loaded {row['rows_loaded']}, quarantined {row['rows_quarantined']}, "
                f"manifest {row['manifest_rows']}",
                threshold,
                "rows read differ from rows loaded + quarantined, or from the manifest's count",
            )
        )
    totals = files.select(
        pl.len().alias("files"),
        pl.col("rows_read").sum().alias("read"),
        pl.col("rows_quarantined").sum().alias("quarantined"),
    ).row(0, named=True)
    quarantined = totals["quarantined"] or 0
    status: Status = "warn" if warn_on_quarantine and quarantined > 0 else "pass"
    results.append(
        RuleResult(
            "r11_nothing_lost",
            "all files",
            "fail" if not lost.is_empty() else status,
            f"{totals['files']} files, {totals['read']} rows read, {quarantined} quarantined, {lost.height} unreconciled",
            threshold,
            f"{quarantined} rows quarantined (see audit.quarantine_summary)"
            if quarantined
            else "every row loaded",
        )
    )
    return results


EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"


def personal_data(hits: pl.DataFrame) -> list[RuleResult]:
    """Rule 17: `hits` has table, column, rows (rows whose text holds an e-mail address) for every text column scanned."""
    threshold = "error on any"
    offending = hits.filter(pl.col("rows") > 0).sort("table", "column")
    results = [
        RuleResult(
            "r17_personal_data",
            f"{row['table']}.{row['column']}",
            "fail",
            f"{row['rows']} rows with an e-mail address",
            threshold,
            "published text must carry no e-mail address (redact to [email])",
        )
        for row in offending.iter_rows(named=True)
    ]
    results.append(
        RuleResult(
            "r17_personal_data",
            "all text columns",
            "fail" if results else "pass",
            f"{hits.height} columns scanned, {offending.height} with addresses",
            threshold,
            "no e-mail address in published text"
            if not results
            else "e-mail addresses in published text",
        )
    )
    return results


def _result(
    rule: str, target: str, status: Status, observed: str, threshold: str, message: str
) -> RuleResult:
    return RuleResult(rule, target, status, observed, threshold, message)


def not_applicable(rule: str, target: str, reason: str) -> RuleResult:
    """A rule whose inputs are absent: recorded with the reason, blocking nothing."""
    return RuleResult(rule, target, "not_applicable", "", "", reason)


def _listed(values: list, limit: int = 5) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f" … (+{len(values) - limit})" if len(values) > limit else "")


def churn_method_documented(
    metric_columns: list[str],
    registry_names: set[str],
    retention: pl.DataFrame | None,
    movements: pl.DataFrame | None,
) -> list[RuleResult]:
    """Rule 2: every metric column has a registry entry; every retention row names its method and
    period; mrr_end = mrr_start + new + reactivation + expansion − contraction − churn every month,
    and each month starts where the previous one ended.

    `metric_columns` are "model.column" names marked `meta: {metric: true}`; `retention` has month,
    period_end, method; `movements` has month and the MRR movement columns.
    """
    rule = "r02_churn_method_documented"
    results: list[RuleResult] = []
    unregistered = sorted(set(metric_columns) - registry_names)
    results.append(
        _result(
            rule,
            "audit.metric_registry",
            "fail" if unregistered else "pass",
            f"{len(unregistered)} of {len(metric_columns)} metric columns without an entry"
            + (f": {_listed(unregistered)}" if unregistered else ""),
            "error on any metric column missing from the registry",
            "every column marked meta.metric needs a metric_registry row"
            if unregistered
            else "every metric column is registered",
        )
    )
    if retention is None:
        results.append(
            not_applicable(rule, "marts.revenue_retention_monthly", "no retention mart built")
        )
    else:
        undocumented = retention.filter(
            pl.col("method").is_null()
            | (pl.col("method").str.strip_chars() == "")
            | pl.col("month").is_null()
            | pl.col("period_end").is_null()
        )
        months = undocumented.get_column("month").to_list()
        results.append(
            _result(
                rule,
                "marts.revenue_retention_monthly",
                "fail" if undocumented.height else "pass",
                f"{undocumented.height} of {retention.height} rows without method or period"
                + (f": {_listed(months)}" if months else ""),
                "error on any row without method and period",
                "churn/retention rows must name their method and period"
                if undocumented.height
                else "every row names its method and period",
            )
        )
    if movements is None:
        results.append(
            not_applicable(rule, "marts.mrr_movements_monthly", "no MRR movements mart built")
        )
        return results
    money = [
        "mrr_start",
        "new_mrr",
        "reactivation_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "mrr_end",
    ]
    checked = (
        movements.sort("month")
        .with_columns([pl.col(c).cast(pl.Float64) for c in money])
        .with_columns(
            identity_gap=pl.col("mrr_end")
            - (
                pl.col("mrr_start")
                + pl.col("new_mrr")
                + pl.col("reactivation_mrr")
                + pl.col("expansion_mrr")
                - pl.col("contraction_mrr")
                - pl.col("churned_mrr")
            ),
            continuity_gap=pl.col("mrr_start") - pl.col("mrr_end").shift(1).fill_null(0.0),
        )
    )
    # Amounts are DECIMAL(18,2): half a cent separates a real gap from float noise.
    broken = checked.filter(
        (pl.col("identity_gap").abs() > 0.005) | (pl.col("continuity_gap").abs() > 0.005)
    )
    figures = [
        f"{r['month']}: gap {r['identity_gap']:.2f}, start−previous end {r['continuity_gap']:.2f}"
        for r in broken.iter_rows(named=True)
    ]
    results.append(
        _result(
            rule,
            "marts.mrr_movements_monthly",
            "fail" if figures else "pass",
            f"{len(figures)} of {checked.height} months break the identity"
            + (f": {_listed(figures, 3)}" if figures else ""),
            "error on any month off by more than half a cent",
            "mrr_end ≠ mrr_start + new + reactivation + expansion − contraction − churn"
            if figures
            else "the MRR movement identity holds every month",
        )
    )
    return results


def cohorts_consistent(
    mrr_monthly: pl.DataFrame | None, cohorts: pl.DataFrame | None
) -> list[RuleResult]:
    """Rule 3: every paying customer is in exactly one cohort and cohort sizes agree.

    `mrr_monthly` has stripe_customer_id, month, mrr, first_paid_month; `cohorts` has cohort_month,
    months_since_start, cohort_size.
    """
    rule = "r03_cohort_coverage"
    if mrr_monthly is None or cohorts is None:
        return [not_applicable(rule, "marts.revenue_cohorts", "no revenue marts built")]
    paying = mrr_monthly.filter(pl.col("mrr") > 0)
    if paying.is_empty():
        return [not_applicable(rule, "marts.revenue_cohorts", "no paying customer yet")]
    firsts = paying.group_by("stripe_customer_id").agg(
        first_month=pl.col("month").min(), labels=pl.col("first_paid_month").n_unique()
    )
    mislabelled = (
        firsts.join(
            mrr_monthly.select("stripe_customer_id", "first_paid_month").unique(),
            on="stripe_customer_id",
        )
        .filter(
            (pl.col("labels") > 1)
            | pl.col("first_paid_month").is_null()
            | (pl.col("first_paid_month") != pl.col("first_month"))
        )
        .get_column("stripe_customer_id")
        .unique()
        .sort()
        .to_list()
    )
    expected = firsts.group_by("first_month").agg(expected=pl.len().cast(pl.Int64))
    published = (
        cohorts.filter(pl.col("months_since_start") == 0)
        .group_by("cohort_month")
        .agg(published=pl.col("cohort_size").sum().cast(pl.Int64))
        .rename({"cohort_month": "first_month"})
    )
    sizes = expected.join(published, on="first_month", how="full", coalesce=True).sort(
        "first_month"
    )
    disagreeing = sizes.filter(pl.col("expected").fill_null(0) != pl.col("published").fill_null(0))
    in_cohort = firsts.height - len(mislabelled)
    counted = int(
        sizes.select(pl.min_horizontal(pl.col("expected"), pl.col("published")).sum()).item() or 0
    )
    coverage = min(in_cohort, counted) / firsts.height
    figures = [
        f"{r['first_month']}: {r['published']} published vs {r['expected']} paying customers"
        for r in disagreeing.iter_rows(named=True)
    ]
    failed = bool(mislabelled or figures)
    return [
        _result(
            rule,
            "marts.revenue_cohorts",
            "fail" if failed else "pass",
            f"coverage {coverage:.2%} of {firsts.height} paying customers; "
            f"{len(mislabelled)} customers not in exactly one cohort"
            + (f" ({_listed(mislabelled)})" if mislabelled else "")
            + (f"; sizes disagree: {_listed(figures, 3)}" if figures else ""),
            "error when coverage < 100% or any size disagrees",
            "cohorts do not account for every paying customer exactly once"
            if failed
            else "every paying customer is in exactly one cohort",
        )
    ]


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
) -> list[RuleResult]:
    """Rule 4: component weights and each component's metric weights sum to 1, every factor has a
    definition (label; ideal, weight and direction per metric), and every score row carries its
    config version. `scores` has config_version, or is the gate's tally of it (None: no health
    scores built yet)."""
    rule = "r04_health_weights"
    if health_config is None:
        return [not_applicable(rule, "config/health_score.yml", "no health-score configuration")]
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
        _result(
            rule,
            "config/health_score.yml",
            "fail" if problems else "pass",
            _listed(problems) if problems else f"{len(components)} components, weights sum to 1",
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
            _result(
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
        _result(
            rule,
            target,
            status,
            f"last calibration {last_run} ({age} months before {as_of}), {auc_text}"
            + (" pooled over 12 month-ends" if not pooled.is_empty() else ""),
            threshold,
            "health score calibration is overdue or weak"
            if status != "pass"
            else "calibrated recently with a good churn prediction",
        )
    ]


def revenue_from_stripe(
    published: pl.DataFrame | None,
    stripe: pl.DataFrame | None,
    unknown_customers: list[str],
) -> list[RuleResult]:
    """Rule 6: published MRR per month equals the Stripe-derived total exactly; no revenue comes from
    a customer Stripe does not know.

    `published` has month, mrr (Σ of the published mart); `stripe` has month, mrr (the Stripe item
    MRR rounded to the cent per customer, summed).
    """
    rule = "r06_revenue_source"
    target = "marts.mrr_movements_monthly"
    if published is None or stripe is None:
        return [not_applicable(rule, target, "no revenue marts built")]
    joined = (
        published.rename({"mrr": "published"})
        .join(stripe.rename({"mrr": "stripe"}), on="month", how="full", coalesce=True)
        .sort("month")
        .with_columns(pl.col("published").cast(pl.Float64), pl.col("stripe").cast(pl.Float64))
    )
    differing = joined.filter(
        pl.col("published").is_null()
        | pl.col("stripe").is_null()
        | ((pl.col("published") - pl.col("stripe")).abs() > 0.005)
    )
    figures = [
        f"{r['month']}: published {r['published']} vs Stripe {r['stripe']}"
        for r in differing.iter_rows(named=True)
    ]
    failed = bool(figures or unknown_customers)
    return [
        _result(
            rule,
            target,
            "fail" if failed else "pass",
            f"{len(figures)} of {joined.height} months differ"
            + (f": {_listed(figures, 3)}" if figures else "")
            + (
                f"; {len(unknown_customers)} revenue customers unknown to Stripe: {_listed(unknown_customers)}"
                if unknown_customers
                else ""
            ),
            "error on any difference",
            "published revenue does not reconcile to Stripe"
            if failed
            else "published revenue reconciles to Stripe every month",
        )
    ]


def cross_source(
    categories: dict[str, tuple[int, int]], warn_share: float, error_share: float
) -> list[RuleResult]:
    """Rule 7: per category, the share of comparable records in discrepancy (category → (discrepant, comparable))."""
    rule = "r07_cross_source"
    threshold = f"warn > {warn_share:.0%}, error > {error_share:.0%}"
    results: list[RuleResult] = []
    for category, (discrepant, comparable) in sorted(categories.items()):
        if comparable == 0:
            results.append(not_applicable(rule, category, "no comparable records"))
            continue
        share = discrepant / comparable
        status: Status = "fail" if share > error_share else "warn" if share > warn_share else "pass"
        results.append(
            _result(
                rule,
                category,
                status,
                f"{discrepant} of {comparable} ({share:.2%})",
                threshold,
                f"{category}: {discrepant} records in discrepancy",
            )
        )
    return results


def nps_sample_size(
    summary: pl.DataFrame | None, min_responses: int, warn_responses: int, warn_quarter: int
) -> list[RuleResult]:
    """Rule 9: NPS is a number only with ≥ min_responses; warn below warn_responses (warn_quarter
    for quarters). `summary` has period_type, period_start, segment, responses, nps."""
    rule = "r09_nps_sample_size"
    target = "marts.nps_summary"
    if summary is None:
        return [not_applicable(rule, target, "no NPS summary built")]
    numbers = summary.filter(pl.col("nps").is_not_null())
    if summary.is_empty() or summary.get_column("responses").sum() == 0:
        return [not_applicable(rule, target, "no survey responses")]
    threshold = (
        f"error: a number with n < {min_responses}; warn: n < {warn_responses}, "
        f"< {warn_quarter} per quarter"
    )
    label = pl.format(
        "{} {} {}: n={}", "period_type", "period_start", "segment", "responses"
    ).alias("label")
    too_small = numbers.filter(pl.col("responses") < min_responses).select(label)
    small = numbers.filter(
        (pl.col("responses") >= min_responses)
        & (
            (pl.col("responses") < warn_responses)
            | ((pl.col("period_type") == "quarter") & (pl.col("responses") < warn_quarter))
        )
    ).select(label)
    if too_small.height:
        status: Status = "fail"
        rows = too_small.get_column("label").to_list()
    elif small.height:
        status = "warn"
        rows = small.get_column("label").to_list()
    else:
        status, rows = "pass", []
    return [
        _result(
            rule,
            target,
            status,
            f"{numbers.height} NPS numbers; {too_small.height} with n < {min_responses}, "
            f"{small.height} small" + (f": {_listed(rows, 3)}" if rows else ""),
            threshold,
            "NPS published from too few responses"
            if status == "fail"
            else "NPS from small samples"
            if status == "warn"
            else "every NPS number has a large enough sample",
        )
    ]


def survey_response_rate(
    summary: pl.DataFrame | None, min_sends: int, error_below: float, warn_below: float
) -> list[RuleResult]:
    """Rule 10: responses to a period's sends / those sends, where the period has ≥ min_sends sends.

    `summary` has period_type, period_start, segment, sends, responded_sends.
    """
    rule = "r10_response_rate"
    target = "marts.nps_summary"
    if summary is None:
        return [not_applicable(rule, target, "no NPS summary built")]
    if summary.is_empty() or summary.get_column("sends").sum() == 0:
        return [not_applicable(rule, target, "no survey sends")]
    rated = summary.filter(pl.col("sends") >= min_sends).with_columns(
        rate=pl.col("responded_sends") / pl.col("sends")
    )
    if rated.is_empty():
        return [not_applicable(rule, target, f"no period with ≥ {min_sends} sends")]
    threshold = (
        f"error < {error_below:.0%}, warn < {warn_below:.0%} (periods with ≥ {min_sends} sends)"
    )
    label = pl.format(
        "{} {} {}: {}/{}", "period_type", "period_start", "segment", "responded_sends", "sends"
    ).alias("label")
    low = rated.filter(pl.col("rate") < error_below).select(label).get_column("label").to_list()
    weak = (
        rated.filter((pl.col("rate") >= error_below) & (pl.col("rate") < warn_below))
        .select(label)
        .get_column("label")
        .to_list()
    )
    status: Status = "fail" if low else "warn" if weak else "pass"
    rows = low or weak
    return [
        _result(
            rule,
            target,
            status,
            f"{rated.height} periods rated; {len(low)} below {error_below:.0%}, {len(weak)} below "
            f"{warn_below:.0%}" + (f": {_listed(rows, 3)}" if rows else ""),
            threshold,
            "survey response rate too low" if status != "pass" else "response rates adequate",
        )
    ]


def staged_counts(counts: pl.DataFrame) -> list[RuleResult]:
    """Rule 11 (staging half): rows per staging model = raw rows after deduplication to the newest
    version per key. `counts` has raw_table, staging_model, raw_deduplicated, staged."""
    rule = "r11_nothing_lost"
    threshold = "error on any loss"
    results: list[RuleResult] = []
    for row in counts.sort("staging_model").iter_rows(named=True):
        if row["raw_deduplicated"] != row["staged"]:
            results.append(
                _result(
                    rule,
                    f"staging.{row['staging_model']}",
                    "fail",
                    f"raw {row['raw_table']} deduplicated {row['raw_deduplicated']}, staged {row['staged']}",
                    threshold,
                    "staged rows differ from the raw rows after deduplication",
                )
            )
    results.append(
        _result(
            rule,
            "staging models",
            "fail" if results else "pass",
            f"{counts.height} models compared, {len(results)} differ",
            threshold,
            "staging lost or invented rows" if results else "staged counts equal raw after dedup",
        )
    )
    return results


# Monthly factor per recurring interval, divided by interval_count (metrics.md §1).
MONTHLY_FACTOR = {"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12}
LIVE_STATUSES = ["active", "past_due"]


def _monthly_factor(interval: pl.Expr, count: pl.Expr) -> pl.Expr:
    """1/interval_count of the interval's monthly factor (an interval_count of 0 or none counts as 1)."""
    return interval.replace_strict(MONTHLY_FACTOR, default=None, return_dtype=pl.Float64) / (
        pl.when(count.is_null() | (count == 0)).then(1).otherwise(count).cast(pl.Float64)
    )


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant a date is valued at: 23:59:59.999 UTC (metrics.md conventions)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) - dt.timedelta(milliseconds=1)


def _month_boundaries(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Calendar months between two instants counted as month boundaries crossed."""
    return (end.dt.year() * 12 + end.dt.month()) - (start.dt.year() * 12 + start.dt.month())


def independent_invoice_line_mrr(
    invoices: pl.DataFrame, invoice_lines: pl.DataFrame, current_items: pl.DataFrame
) -> pl.DataFrame:
    """The recurring subscription lines of paid or open invoices as monthly amounts in minor units
    of the line's currency, unrounded (metrics.md §1 History; metered items' last invoiced amount):
    (amount − its discounts) × the monthly factor of the line's period. Proration lines, one-time
    invoice items and lines with an empty period are not MRR. The period is the price's recurring
    interval the line carries, else the current item's, else the service period's length in whole
    months (month boundaries crossed), else in days (365/12 ÷ days).

    `invoices`: invoice_id, subscription_id, status, created_at. `invoice_lines`: invoice_line_id,
    invoice_id, subscription_id, subscription_item_id, price_id, line_type, is_proration,
    recurring_interval, recurring_interval_count, currency, amount, discount_amount,
    period_start_at, period_end_at. `current_items`: subscription_item_id, recurring_interval,
    recurring_interval_count (the newest version of each item).
    Returns invoice_line_id, subscription_id, subscription_item_id, price_id, invoice_created_at,
    period_start_at, period_end_at, currency, line_mrr_minor.
    """
    lines = (
        invoice_lines.join(
            invoices.select(
                "invoice_id",
                invoice_subscription_id="subscription_id",
                invoice_status="status",
                invoice_created_at="created_at",
            ),
            on="invoice_id",
            how="inner",
        )
        .filter(
            pl.col("invoice_status").is_in(["paid", "open"])
            & (pl.col("line_type") == "subscription")
            & ~pl.col("is_proration").fill_null(False)
            & (pl.col("period_end_at") > pl.col("period_start_at"))
        )
        .join(
            current_items.select(
                "subscription_item_id",
                item_interval="recurring_interval",
                item_interval_count="recurring_interval_count",
            ),
            on="subscription_item_id",
            how="left",
        )
    )
    from_line = pl.col("recurring_interval").is_not_null()
    interval = pl.when(from_line).then("recurring_interval").otherwise("item_interval")
    count = pl.when(from_line).then("recurring_interval_count").otherwise("item_interval_count")
    months = _month_boundaries(pl.col("period_start_at"), pl.col("period_end_at"))
    days = (pl.col("period_end_at").dt.date() - pl.col("period_start_at").dt.date()).dt.total_days()
    factor = (
        pl.when(interval.is_not_null())
        .then(_monthly_factor(interval, count))
        .when(months >= 1)
        .then(1.0 / months.cast(pl.Float64))
        .when(days >= 1)
        .then(365.0 / 12 / days.cast(pl.Float64))
    )
    return lines.select(
        "invoice_line_id",
        subscription_id=pl.coalesce("subscription_id", "invoice_subscription_id"),
        subscription_item_id="subscription_item_id",
        price_id="price_id",
        invoice_created_at="invoice_created_at",
        period_start_at="period_start_at",
        period_end_at="period_end_at",
        currency=pl.col("currency").str.to_uppercase(),
        line_mrr_minor=(
            pl.col("amount").cast(pl.Float64)
            - pl.col("discount_amount").fill_null(0).cast(pl.Float64)
        )
        * factor,
    )


def _valid_on(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    return frame.filter(
        (pl.col("valid_from_drop") <= day)
        & (pl.col("valid_to_drop").is_null() | (pl.col("valid_to_drop") > day))
    )


def independent_mrr(
    subscriptions: pl.DataFrame,
    items: pl.DataFrame,
    discounts: pl.DataFrame,
    invoice_lines: pl.DataFrame,
    fx: pl.DataFrame,
    valuation_date: dt.date,
    first_drop: dt.date,
    reporting_currency: str,
) -> pl.DataFrame:
    """MRR per Stripe customer at the end of a valuation date, in minor units of the reporting
    currency, unrounded — recomputed from staged Stripe data for rule 12, sharing no SQL with dbt
    (metrics.md §1).

    Which subscriptions count: on a date covered by drops (on or after `first_drop`), the version
    valid then with status active or past_due and its item versions valid then; before the first
    drop, the subscription's dates (started ≤ d < ended, trial over) on its first version (never
    started: incomplete, incomplete_expired, left out; first seen unpaid or paused: only where a
    paid or open invoice line covers d), valued from the lines covering d (one per item, the newest
    invoice's) or, where no line covers d, from the first version's items at their price.
    A priced item: unit_amount × quantity × monthly factor less the recurring discounts applying
    then (item-level percent and amount; the subscription's own replace its customer's); a
    metered item or one with no unit amount: the last invoiced amount of the item (0 if none).
    Conversion: the rate of the valuation date or the latest in the 7 days before it.

    `subscriptions`: subscription_id, customer_id, status, started_at, ended_at, trial_end_at,
    valid_from_drop, valid_to_drop. `items`: subscription_id, subscription_item_id, quantity,
    unit_amount (the decimal amount where the integer one is absent), recurring_interval,
    recurring_interval_count, recurring_usage_type, currency, valid_from_drop, valid_to_drop.
    `discounts`: parent_object ('subscription_item', 'subscription', 'customer'), parent_id,
    percent_off, amount_off, duration, duration_in_months, started_at, ends_at, valid_from_drop,
    valid_to_drop (NULL: not bounded by drops). `invoice_lines`: independent_invoice_line_mrr's
    output. `fx`: rate_date, currency, rate_to_reporting.
    Returns customer_id, mrr_minor, metered (an item valued at its last invoiced amount),
    from_invoices (valued from invoice lines covering the date), missing_rate (an amount in a
    currency with no rate in the 7 days: not convertible, never converted at 1).
    """
    valued_at = end_of_day(valuation_date)
    covering = invoice_lines.filter(
        (pl.col("period_start_at") <= valued_at) & (pl.col("period_end_at") > valued_at)
    )
    line_schema = {"customer_id": pl.String, "currency": pl.String, "mrr_minor": pl.Float64}
    if valuation_date >= first_drop:
        live = _valid_on(subscriptions, valuation_date).filter(
            pl.col("status").is_in(LIVE_STATUSES)
        )
        counted = _valid_on(items, valuation_date).join(
            live.select("subscription_id", "customer_id"), on="subscription_id"
        )
        from_lines = pl.DataFrame(schema=line_schema)
    else:
        first = subscriptions.sort("valid_from_drop").group_by("subscription_id").first()
        by_dates = first.filter(
            (pl.col("started_at") <= valued_at)
            & (pl.col("ended_at").is_null() | (pl.col("ended_at") > valued_at))
            & (pl.col("trial_end_at").is_null() | (pl.col("trial_end_at") <= valued_at))
            & ~pl.col("status").is_in(["incomplete", "incomplete_expired"])
            & (
                ~pl.col("status").is_in(["unpaid", "paused"])
                | pl.col("subscription_id").is_in(covering["subscription_id"].unique().implode())
            )
        )
        invoiced = (
            covering.join(by_dates.select("subscription_id", "customer_id"), on="subscription_id")
            .with_columns(
                line_key=pl.coalesce("subscription_item_id", "price_id", "invoice_line_id")
            )
            .sort("invoice_created_at", "invoice_line_id", descending=True)
            .unique(["subscription_id", "line_key"], keep="first")
        )
        counted = items.join(
            by_dates.filter(
                ~pl.col("subscription_id").is_in(invoiced["subscription_id"].unique().implode())
            ).select("subscription_id", "customer_id", "valid_from_drop"),
            on=["subscription_id", "valid_from_drop"],
        )
        from_lines = invoiced.select(
            "customer_id", "currency", mrr_minor=pl.col("line_mrr_minor")
        ).cast(line_schema)
    priced = counted.with_columns(
        factor=_monthly_factor(pl.col("recurring_interval"), pl.col("recurring_interval_count")),
        metered=(pl.col("recurring_usage_type").fill_null("licensed") == "metered")
        | pl.col("unit_amount").is_null(),
    ).with_columns(
        gross=pl.when(~pl.col("metered")).then(
            pl.col("unit_amount").cast(pl.Float64)
            * pl.col("quantity").fill_null(1).cast(pl.Float64)
            * pl.col("factor")
        )
    )
    ends = pl.coalesce(
        pl.col("ends_at"),
        pl.when(pl.col("duration") == "repeating").then(
            pl.col("started_at").dt.offset_by(
                pl.format("{}mo", pl.col("duration_in_months").cast(pl.Int64))
            )
        ),
    )
    active = discounts.filter(
        pl.col("duration").is_in(["forever", "repeating"])
        & (pl.col("started_at") <= valued_at)
        & (ends.is_null() | (ends > valued_at))
        & (pl.col("valid_from_drop").is_null() | (pl.col("valid_from_drop") <= valuation_date))
        & (pl.col("valid_to_drop").is_null() | (pl.col("valid_to_drop") > valuation_date))
    )

    def per_parent(kind: str, key: str, prefix: str) -> pl.DataFrame:
        return (
            active.filter(pl.col("parent_object") == kind)
            .group_by(pl.col("parent_id").alias(key))
            .agg(
                pl.col("percent_off").sum().alias(f"{prefix}_percent"),
                pl.col("amount_off").cast(pl.Float64).sum().alias(f"{prefix}_amount"),
                pl.len().alias(f"{prefix}_discounts"),
            )
        )

    has_own = pl.col("sub_discounts").fill_null(0) > 0
    discounted = (
        priced.with_columns(sub_gross=pl.col("gross").sum().over("subscription_id"))
        .join(
            per_parent("subscription_item", "subscription_item_id", "item"),
            on="subscription_item_id",
            how="left",
        )
        .join(
            per_parent("subscription", "subscription_id", "sub"), on="subscription_id", how="left"
        )
        .join(per_parent("customer", "customer_id", "cust"), on="customer_id", how="left")
        .with_columns(
            item_percent=pl.min_horizontal(pl.col("item_percent").fill_null(0.0), 100.0),
            item_amount=pl.col("item_amount").fill_null(0.0),
            order_percent=pl.min_horizontal(
                pl.when(has_own).then("sub_percent").otherwise("cust_percent").fill_null(0.0),
                100.0,
            ),
            order_amount=pl.when(has_own)
            .then("sub_amount")
            .otherwise("cust_amount")
            .fill_null(0.0),
        )
        .with_columns(
            net=(
                pl.col("gross")
                * (1 - pl.col("item_percent") / 100)
                * (1 - pl.col("order_percent") / 100)
                - pl.col("item_amount") * pl.col("factor")
                - pl.when(pl.col("sub_gross") > 0)
                .then(
                    pl.col("order_amount")
                    * pl.col("factor")
                    * pl.col("gross")
                    / pl.col("sub_gross")
                )
                .otherwise(0.0)
            ).clip(lower_bound=0.0)
        )
    )
    last_invoiced = (
        invoice_lines.filter(pl.col("period_start_at") <= valued_at)
        .join(
            discounted.filter("metered").select("subscription_item_id").unique(),
            on="subscription_item_id",
        )
        .sort("period_end_at", "invoice_created_at", "invoice_line_id", descending=True)
        .unique("subscription_item_id", keep="first")
        .select("subscription_item_id", "line_mrr_minor")
    )
    from_items = discounted.join(last_invoiced, on="subscription_item_id", how="left").select(
        "customer_id",
        "metered",
        currency=pl.col("currency").str.to_uppercase(),
        mrr_minor=pl.when("metered").then(pl.col("line_mrr_minor").fill_null(0.0)).otherwise("net"),
    )
    valued = pl.concat(
        [
            from_items.with_columns(from_invoices=pl.lit(False)),
            from_lines.with_columns(metered=pl.lit(False), from_invoices=pl.lit(True)),
        ],
        how="diagonal",
    )
    reporting = reporting_currency.upper()
    rates = (
        fx.with_columns(currency=pl.col("currency").str.to_uppercase())
        .filter(
            (pl.col("rate_date") <= valuation_date)
            & (pl.col("rate_date") >= valuation_date - dt.timedelta(days=7))
            & (pl.col("currency") != reporting)
        )
        .sort("rate_date")
        .group_by("currency")
        .agg(pl.col("rate_to_reporting").last().cast(pl.Float64))
    )
    rates = pl.concat(
        [
            rates,
            pl.DataFrame(
                {"currency": [reporting], "rate_to_reporting": [1.0]}, schema=rates.schema
            ),
        ]
    )
    return (
        valued.join(rates, on="currency", how="left")
        .group_by("customer_id")
        .agg(
            mrr_minor=(pl.col("mrr_minor") * pl.col("rate_to_reporting")).sum(),
            metered=pl.col("metered").any(),
            from_invoices=pl.col("from_invoices").any(),
            missing_rate=pl.col("rate_to_reporting").is_null().any(),
        )
        .sort("customer_id")
    )


def sample_accounts(customers: list[str], as_of: dt.date, size: int) -> list[str]:
    """A sample of customers seeded from the as-of date, so a re-run checks the same ones."""
    import random

    pool = sorted(set(customers))
    rng = random.Random(as_of.toordinal())
    return sorted(rng.sample(pool, min(size, len(pool))))


def sample_verification(
    independent: pl.DataFrame,
    intermediate: pl.DataFrame,
    published: pl.DataFrame,
    churned_published: int | None,
    churned_independent: int | None,
    sample: list[str],
    month: dt.date,
    min_sample: int,
) -> list[RuleResult]:
    """Rule 12: the independent MRR per customer (minor units, unrounded) against the unrounded
    dbt intermediate and the published cent-rounded mart, for the month total, the seeded sample
    and the month's churn count.

    `independent`: customer_id, mrr_minor, metered, from_invoices, missing_rate;
    `intermediate`: customer_id, mrr_minor; `published`: customer_id, mrr (major units). Every
    customer is compared, metered ones and months valued from invoices included, except one with an
    amount in a currency that has no FX rate within the 7 days before the valuation date: it cannot
    be converted (dbt's build fails on it), so it is left out on both sides and counted in the text.
    """
    rule = "r12_sample_verification"
    threshold = (
        "error on any mismatch (unrounded: 1e-6 minor units; published: the cent's rounding)"
    )
    excluded = set(independent.filter(pl.col("missing_rate"))["customer_id"])
    metered = independent.filter(pl.col("metered") & ~pl.col("missing_rate")).height
    from_invoices = independent.filter(pl.col("from_invoices") & ~pl.col("missing_rate")).height
    ind = independent.filter(~pl.col("customer_id").is_in(list(excluded))).select(
        "customer_id", ind=pl.col("mrr_minor")
    )
    inter = intermediate.filter(~pl.col("customer_id").is_in(list(excluded))).select(
        "customer_id", inter=pl.col("mrr_minor").cast(pl.Float64)
    )
    pub = published.filter(~pl.col("customer_id").is_in(list(excluded))).select(
        "customer_id", pub=pl.col("mrr").cast(pl.Float64)
    )
    joined = (
        ind.join(inter, on="customer_id", how="full", coalesce=True)
        .join(pub, on="customer_id", how="full", coalesce=True)
        .with_columns(pl.col("ind", "inter", "pub").fill_null(0.0))
        .filter((pl.col("ind") > 0) | (pl.col("inter") > 0) | (pl.col("pub") > 0))
    )
    results: list[RuleResult] = []
    month_label = f"month {month}"
    totals = joined.select(pl.col("ind", "inter", "pub").sum()).row(0, named=True)
    total_ok = (
        abs(totals["ind"] - totals["inter"]) <= 1e-6 * max(joined.height, 1)
        and abs(totals["ind"] / 100 - totals["pub"]) <= 0.005 * max(joined.height, 1) + 1e-9
    )
    results.append(
        _result(
            rule,
            f"marts.mrr_monthly total, {month_label}",
            "pass" if total_ok else "fail",
            f"independent {totals['ind'] / 100:.6f}, dbt unrounded {totals['inter'] / 100:.6f}, "
            f"published {totals['pub']:.2f} over {joined.height} customers "
            f"({metered} with metered items, {from_invoices} valued from invoice lines; "
            f"{len(excluded)} left out: no FX rate within 7 days)",
            threshold,
            "monthly MRR total reproduced independently"
            if total_ok
            else "monthly MRR total differs from the independent recomputation",
        )
    )
    checked = joined.filter(pl.col("customer_id").is_in(sample))
    if len([c for c in sample if c not in excluded]) < min_sample:
        results.append(
            not_applicable(
                rule,
                f"marts.mrr_monthly sample, {month_label}",
                f"fewer than {min_sample} customers to sample",
            )
        )
    else:
        sampled = pl.DataFrame({"customer_id": [c for c in sample if c not in excluded]})
        checked = sampled.join(joined, on="customer_id", how="left").with_columns(
            pl.col("ind", "inter", "pub").fill_null(0.0)
        )
        mismatched = checked.filter(
            ((pl.col("ind") - pl.col("inter")).abs() > 1e-6)
            | ((pl.col("ind") / 100 - pl.col("pub")).abs() > 0.005 + 1e-9)
        )
        figures = [
            f"{r['customer_id']}: independent {r['ind'] / 100:.6f}, dbt {r['inter'] / 100:.6f}, "
            f"published {r['pub']:.2f}"
            for r in mismatched.iter_rows(named=True)
        ]
        results.append(
            _result(
                rule,
                f"marts.mrr_monthly sample, {month_label}",
                "fail" if figures else "pass",
                f"{len(figures)} of {checked.height} sampled customers differ"
                + (f": {_listed(figures, 3)}" if figures else ""),
                threshold,
                "sampled customers' MRR differs from the independent recomputation"
                if figures
                else "every sampled customer's MRR reproduced",
            )
        )
    if churned_published is None or churned_independent is None:
        results.append(
            not_applicable(
                rule, f"marts.mrr_movements_monthly churn, {month_label}", "no movements"
            )
        )
    else:
        results.append(
            _result(
                rule,
                f"marts.mrr_movements_monthly churn, {month_label}",
                "pass" if churned_published == churned_independent else "fail",
                f"published {churned_published} churned logos, independent {churned_independent}",
                threshold,
                "churn count reproduced"
                if churned_published == churned_independent
                else "churn count differs from the independent recomputation",
            )
        )
    return results


ANOMALY_SCHEMA = {
    "anomaly_id": pl.String,
    "kind": pl.String,
    "table_name": pl.String,
    "entity_id": pl.String,
    "period": pl.String,
    "observed": pl.String,
    "threshold": pl.String,
}


def _robust_z(values: pl.Expr) -> pl.Expr:
    """0.6745 (x − median) / MAD; NULL where the MAD is zero (no spread to measure against)."""
    median = values.median()
    mad = (values - median).abs().median()
    return pl.when(mad > 0).then(0.6745 * (values - median) / mad)


def detect_anomalies(
    mrr_monthly: pl.DataFrame | None,
    negative_amounts: pl.DataFrame,
    daily_usage: pl.DataFrame | None,
    duplicate_ids: pl.DataFrame,
    mrr_z_threshold: float,
    usage_spike_ratio: float,
    usage_min_events: int,
) -> pl.DataFrame:
    """Rule 13: the anomalies to investigate, each with a stable id an annotation can close.

    - `mrr_change`: an account-month whose MRR change has a robust z-score beyond the threshold,
      measured over every expansion and contraction (stripe_customer_id, month, previous_mrr, mrr,
      mrr_change);
    - `negative_amount`: table_name, entity_id, amount;
    - `usage_spike`: a day whose events exceed usage_spike_ratio × the account's median day and
      usage_min_events (account_id, date, events);
    - `duplicate_id`: table_name, entity_id, drop_date, copies (an id delivered more than once in one drop).
    """
    parts: list[pl.DataFrame] = []
    if mrr_monthly is not None:
        # Changes of revenue that continues (expansion, contraction): a new or churned customer's
        # whole MRR is a movement, not an outlier of change.
        changes = mrr_monthly.filter(
            (pl.col("mrr_change") != 0) & (pl.col("previous_mrr") > 0) & (pl.col("mrr") > 0)
        ).with_columns(change=pl.col("mrr_change").cast(pl.Float64))
        flagged = changes.with_columns(z=_robust_z(pl.col("change"))).filter(
            pl.col("z").abs() > mrr_z_threshold
        )
        parts.append(
            flagged.select(
                kind=pl.lit("mrr_change"),
                table_name=pl.lit("marts.mrr_monthly"),
                entity_id=pl.col("stripe_customer_id"),
                period=pl.col("month").cast(pl.String),
                observed=pl.format("change {} (robust z {})", "change", pl.col("z").round(2)),
                threshold=pl.lit(f"|robust z| > {mrr_z_threshold:g}"),
            )
        )
    parts.append(
        negative_amounts.select(
            kind=pl.lit("negative_amount"),
            table_name=pl.col("table_name"),
            entity_id=pl.col("entity_id"),
            period=pl.lit(None, pl.String),
            observed=pl.format("amount {}", "amount"),
            threshold=pl.lit("amount < 0"),
        )
    )
    if daily_usage is not None and not daily_usage.is_empty():
        spikes = daily_usage.with_columns(
            typical=pl.col("events").median().over("account_id")
        ).filter(
            (pl.col("events") > usage_spike_ratio * pl.col("typical"))
            & (pl.col("events") >= usage_min_events)
        )
        parts.append(
            spikes.select(
                kind=pl.lit("usage_spike"),
                table_name=pl.lit("staging.stg_app_db__events"),
                entity_id=pl.col("account_id"),
                period=pl.col("date").cast(pl.String),
                observed=pl.format("{} events (median day {})", "events", "typical"),
                threshold=pl.lit(f"> {usage_spike_ratio:g} × median and ≥ {usage_min_events}"),
            )
        )
    parts.append(
        duplicate_ids.select(
            kind=pl.lit("duplicate_id"),
            table_name=pl.col("table_name"),
            entity_id=pl.col("entity_id"),
            period=pl.col("drop_date").cast(pl.String),
            observed=pl.format("{} copies", "copies"),
            threshold=pl.lit("one row per id and drop"),
        )
    )
    anomalies = pl.concat(
        [p.cast({k: v for k, v in ANOMALY_SCHEMA.items() if k != "anomaly_id"}) for p in parts],
        how="vertical",
    )
    return (
        anomalies.with_columns(
            anomaly_id=pl.concat_str(
                "kind", "table_name", "entity_id", pl.col("period").fill_null(""), separator=":"
            )
        )
        .select(list(ANOMALY_SCHEMA))
        .unique("anomaly_id", keep="first")
        .sort("anomaly_id")
    )


def close_annotated(anomalies: pl.DataFrame, annotations: list[dict]) -> pl.DataFrame:
    """Mark anomalies closed by a reviewed annotation (anomaly_id, reviewer, note, date all given)."""
    reviewed = [
        {
            "anomaly_id": str(a["anomaly_id"]),
            "reviewer": str(a["reviewer"]),
            "note": str(a["note"]),
            "reviewed_on": str(a["date"]),
        }
        for a in annotations
        if all(a.get(k) not in (None, "") for k in ("anomaly_id", "reviewer", "note", "date"))
    ]
    notes = pl.DataFrame(
        reviewed,
        schema={
            "anomaly_id": pl.String,
            "reviewer": pl.String,
            "note": pl.String,
            "reviewed_on": pl.String,
        },
    ).unique("anomaly_id", keep="last")
    return anomalies.join(notes, on="anomaly_id", how="left").with_columns(
        status=pl.when(pl.col("reviewer").is_not_null())
        .then(pl.lit("closed"))
        .otherwise(pl.lit("open"))
    )


def outliers_investigated(anomalies: pl.DataFrame) -> list[RuleResult]:
    """Rule 13: WARN while any anomaly is open (not annotated in the reviewed annotations file)."""
    rule = "r13_outliers_investigated"
    open_ = anomalies.filter(pl.col("status") == "open")
    by_kind = open_.group_by("kind").len().sort("kind")
    kinds = ", ".join(f"{k} {n}" for k, n in by_kind.iter_rows())
    return [
        _result(
            rule,
            "audit.anomalies",
            "warn" if open_.height else "pass",
            f"{open_.height} open of {anomalies.height} anomalies"
            + (f" ({kinds})" if kinds else ""),
            "warn on any open anomaly",
            "anomalies await review in config/anomaly_annotations.yml"
            if open_.height
            else "every anomaly reviewed",
        )
    ]


def confidence_intervals(
    tables: dict[str, pl.DataFrame], rates: dict[str, list[str]]
) -> list[RuleResult]:
    """Rule 14: every published sample-based rate has interval columns, filled wherever the rate is.

    `rates` maps "table.rate" to its [low, high] columns; `tables` holds the published tables present.
    """
    rule = "r14_confidence_intervals"
    results: list[RuleResult] = []
    for name, (low, high) in sorted(rates.items()):
        table, rate = name.rsplit(".", 1)
        if table not in tables:
            results.append(not_applicable(rule, name, f"{table} not built"))
            continue
        frame = tables[table]
        absent = [c for c in (rate, low, high) if c not in frame.columns]
        if absent:
            results.append(
                _result(
                    rule,
                    name,
                    "fail",
                    f"missing columns {', '.join(absent)}",
                    "error on a rate without interval columns",
                    "a sample-based rate must publish its confidence interval",
                )
            )
            continue
        unfilled = frame.filter(
            pl.col(rate).is_not_null() & (pl.col(low).is_null() | pl.col(high).is_null())
        ).height
        results.append(
            _result(
                rule,
                name,
                "fail" if unfilled else "pass",
                f"{unfilled} of {frame.height} rows with a rate and no interval",
                "error on a rate without its interval",
                "rate published without its confidence interval"
                if unfilled
                else "every rate has its interval",
            )
        )
    return results


def period_comparison(
    tables: dict[str, pl.DataFrame], periods: dict[str, dict]
) -> list[RuleResult]:
    """Rule 15: every KPI row has its period bounds and the previous period's value (or NULL with a
    reason), and a change is called significant only with its test.

    `periods` maps a table to {start, end, previous, previous_reason (optional), change (optional),
    significant (optional), p_value (optional)}.
    """
    rule = "r15_period_comparison"
    results: list[RuleResult] = []
    for table, spec in sorted(periods.items()):
        if table not in tables:
            results.append(not_applicable(rule, table, f"{table} not built"))
            continue
        frame = tables[table]
        wanted = [spec["start"], spec["end"], spec["previous"]] + [
            spec[k] for k in ("previous_reason", "change", "significant", "p_value") if spec.get(k)
        ]
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            results.append(
                _result(
                    rule,
                    table,
                    "fail",
                    f"missing columns {', '.join(absent)}",
                    "error on a KPI row without period bounds or previous value",
                    "KPI rows must carry their period and the previous period's value",
                )
            )
            continue
        no_period = frame.filter(pl.col(spec["start"]).is_null() | pl.col(spec["end"]).is_null())
        unexplained = pl.col(spec["previous"]).is_null()
        if spec.get("previous_reason"):
            unexplained = unexplained & pl.col(spec["previous_reason"]).is_null()
        no_previous = frame.filter(unexplained)
        untested = 0
        if spec.get("significant"):
            untested = frame.filter(
                pl.col(spec["significant"]).fill_null(False) & pl.col(spec["p_value"]).is_null()
            ).height
        failed = no_period.height + no_previous.height + untested
        results.append(
            _result(
                rule,
                table,
                "fail" if failed else "pass",
                f"{no_period.height} rows without period bounds, {no_previous.height} without previous "
                f"value or reason, {untested} called significant without a test, of {frame.height}",
                "error on any such row",
                "KPI rows lack period bounds or the previous period's value"
                if failed
                else "every row has its period and the previous period's value",
            )
        )
    return results


def no_defaulted_inputs(
    tables: dict[str, pl.DataFrame],
    rate_inputs: dict[str, str],
    health_scores: pl.DataFrame | HealthTally | None,
    health_metrics: pl.DataFrame | None,
    health_config: dict | None,
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
                _result(
                    rule, name, "fail", f"missing column {metric} or {source}", "", "cannot verify"
                )
            )
            continue
        filled = frame.filter(
            pl.col(metric).is_not_null()
            & (pl.col(source).is_null() | (pl.col(source).cast(pl.Float64) == 0))
        ).height
        results.append(
            _result(
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
        _result(
            rule,
            target,
            "fail" if failed else "pass",
            f"{tally.wrong} of {tally.judged} scores with coverage ≠ inputs present "
            f"({tally.no_inputs} with no input row; {tally.before_window} dated outside the "
            "inputs' days, not judged)"
            + (f": {_listed(tally.sample, 3)}" if tally.sample else "")
            + f"; {tally.zero_without_input} component scores with none of their inputs",
            "error on any filled default",
            "health scores computed from defaulted inputs"
            if failed
            else "coverage matches the inputs present",
        )
    )
    return results


#: The inputs of int_account_daily_metrics that rule 12 recomputes (metrics.md §2, §4, §5): the
#: fifteen health-score metrics (features_used_30d stands for feature_adoption, which the health
#: transform derives from it and the plan), usage_vs_limit, the churn-signal counts and the
#: lifecycle inputs that are counts or states.
HEALTH_INPUTS = [
    "plan",
    "dau_mau_ratio",
    "features_used_30d",
    "conversations_per_week",
    "days_since_last_login",
    "logins_per_week",
    "features_used_this_month",
    "open_tickets",
    "avg_csat",
    "escalations",
    "nps_score",
    "meetings_attended",
    "responses_to_outreach",
    "payment_health",
    "growth_potential",
    "contract_length",
    "usage_vs_limit",
    "usage_30d",
    "usage_prev_30d",
    "failed_payments_30d",
    "blocked_feature_attempts_30d",
    "days_without_login",
    "high_urgent_open_tickets",
    "tenure_days",
    "term_months",
    "subscription_state",
]
#: Committed months of a billing interval (contract_length, metrics.md §2).
TERM_MONTHS = {"year": 12.0, "month": 1.0, "week": 12 / 52, "day": 12 / 365}
#: The earliest day a window reaches back (previous_30_days: days 31–60 back).
HEALTH_LOOKBACK_DAYS = {"events": 60, "tickets": 90, "nps": 180, "activities": 90, "charges": 90}


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, NULL where the denominator is 0 (an undefined rate)."""
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))


def independent_health_inputs(
    day: dt.date,
    accounts: pl.DataFrame,
    organizations: pl.DataFrame,
    tickets: pl.DataFrame,
    ratings: pl.DataFrame,
    events: pl.DataFrame,
    nps_responses: pl.DataFrame,
    cs_activities: pl.DataFrame,
    stripe_customers: pl.DataFrame,
    charges: pl.DataFrame,
    subscriptions: pl.DataFrame,
    items: pl.DataFrame,
    covered_through: dict[str, dt.date | None],
) -> pl.DataFrame:
    """Rule 12 (health inputs): the HEALTH_INPUTS of `accounts` at the end of `day`, recomputed from
    staging in Polars (metrics.md §2, §4, §5), sharing no SQL with dbt.

    A window of N days is the calendar days day−N+1 … day from the account's creation on (activity
    dated before the account existed is not the account's); "distinct users / features in the last
    30 days" count any event of those days. Coverage: a source covers the days up to its newest
    drop (`covered_through`: app_db, stripe, ticketing; None: never delivered). An input whose
    source does not cover the account is NULL — the application database's inputs when `day` is
    after its newest drop; the helpdesk's when no organisation maps to the account or `day` is
    after its newest drop; payments when the account's Stripe customer is unknown to Stripe or
    `day` is after Stripe's newest drop — and a covered account with no activity gets 0 (days since
    the last login then count from the account's creation). Rates with no denominator are NULL, and
    so is usage_prev_30d (days 31–60 back) for an account created after all of those days.
    contract_length is the longest billing interval (in committed months) of the items valid on the
    day of the customer's subscriptions (created by then) whose version valid then is live
    (active, past_due, trialing), NULL like the payments when Stripe does not cover the day;
    subscription_state the best of those statuses, `none` without a Stripe customer known and
    covered. Before the first Stripe drop (`stripe_first_drop`) a
    subscription's state comes from its first version's dates (started, trial over, ended; never
    started: incomplete) and the interval from the items of the first drop.

    Frames (only the rows of the accounts checked are needed, and of the windows above):
    `accounts`: account_id, created_at, stripe_customer_id, plan, plan_conversation_limit;
    `organizations`: organization_id, account_id; `tickets`: ticket_id, organization_id,
    created_at, solved_at, priority, is_escalated; `ratings`: ticket_id, organization_id, rating,
    created_at; `events`: account_id, user_id, feature_key, event_type, occurred_at;
    `nps_responses`: account_id, score, submitted_at; `cs_activities`: account_id, activity_type,
    occurred_at; `stripe_customers`: customer_id; `charges`: customer_id, status, created_at;
    `subscriptions`: subscription_id, customer_id, status, created_at, started_at, ended_at,
    trial_end_at, valid_from_drop, valid_to_drop; `items`: subscription_id, recurring_interval, recurring_interval_count,
    valid_from_drop, valid_to_drop (versions).
    """
    first_stripe_drop = covered_through.get("stripe_first_drop")
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())

    def covers(source: str) -> bool:
        through = covered_through.get(source)
        return through is not None and day <= through

    app_db, stripe, ticketing = covers("app_db"), covers("stripe"), covers("ticketing")
    base = accounts.select(
        "account_id",
        "stripe_customer_id",
        "plan",
        "plan_conversation_limit",
        created_on=pl.col("created_at").dt.date(),
    )
    created = base.select("account_id", "created_on")

    def since(frame: pl.DataFrame, at: str, days: int, bounded: bool = True) -> pl.DataFrame:
        """Rows of `frame` dated in the last `days` days (from the account's creation)."""
        on = pl.col(at).dt.date()
        kept = frame.filter((pl.col(at) < end) & (on >= day - dt.timedelta(days=days - 1))).join(
            created, on="account_id"
        )
        return kept.filter(on >= pl.col("created_on")) if bounded else kept

    def counts(frame: pl.DataFrame, **named: pl.Expr) -> pl.DataFrame:
        return frame.group_by("account_id").agg(
            **{name: expr.sum().cast(pl.Int64) for name, expr in named.items()}
        )

    # ---------------------------------------------------------------- product usage, engagement
    kind = pl.col("event_type")
    on = pl.col("occurred_at").dt.date()
    usage = counts(
        since(events, "occurred_at", 60),
        logins_28d=(kind == "login") & (on >= day - dt.timedelta(days=27)),
        conversations_28d=(kind == "conversation_handled") & (on >= day - dt.timedelta(days=27)),
        conversations_30d=(kind == "conversation_handled") & (on >= day - dt.timedelta(days=29)),
        conversations_prev_30d=(kind == "conversation_handled")
        & (on <= day - dt.timedelta(days=30)),
        blocked_30d=(kind == "blocked_feature_attempt") & (on >= day - dt.timedelta(days=29)),
    )
    active_user_days = (
        since(events, "occurred_at", 30)
        .filter(pl.col("user_id").is_not_null())
        .group_by("account_id", on.alias("on"))
        .agg(users=pl.col("user_id").n_unique())
        .group_by("account_id")
        .agg(active_user_days=pl.col("users").sum())
    )
    last_30 = since(events, "occurred_at", 30, bounded=False)
    monthly_users = (
        last_30.filter(pl.col("user_id").is_not_null())
        .group_by("account_id")
        .agg(monthly_active_users=pl.col("user_id").n_unique())
    )
    features = (
        last_30.filter((kind == "feature_used") & pl.col("feature_key").is_not_null())
        .group_by("account_id")
        .agg(features=pl.col("feature_key").unique().sort())
    )
    last_login = (
        events.filter((kind == "login") & (pl.col("occurred_at") < end))
        .join(created, on="account_id")
        .filter(on >= pl.col("created_on"))
        .group_by("account_id")
        .agg(last_login_on=on.max())
    )

    # ---------------------------------------------------------------- support
    mapped = organizations.filter(pl.col("account_id").is_not_null()).select(
        "organization_id", "account_id"
    )
    account_tickets = tickets.join(mapped, on="organization_id")
    is_open = (pl.col("created_at") < end) & (
        pl.col("solved_at").is_null() | (pl.col("solved_at") >= end)
    )
    high = pl.col("priority").is_in(["high", "urgent"])
    open_tickets = counts(
        account_tickets, open_tickets=is_open, high_urgent_open_tickets=is_open & high
    )
    escalations = counts(
        since(account_tickets, "created_at", 90),
        escalations=pl.col("is_escalated").fill_null(False),
    )
    rated = (
        ratings.filter(pl.col("rating").is_between(1, 5))
        .join(
            tickets.select("ticket_id", ticket_organization_id="organization_id"),
            on="ticket_id",
        )
        .with_columns(organization_id=pl.coalesce("organization_id", "ticket_organization_id"))
        .join(mapped, on="organization_id")
    )
    csat = (
        since(rated, "created_at", 90)
        .group_by("account_id")
        .agg(avg_csat=pl.col("rating").cast(pl.Float64).mean())
    )
    has_organization = mapped.group_by("account_id").agg(has_organization=pl.lit(True))

    # ---------------------------------------------------------------- relationship
    nps = (
        since(
            nps_responses.filter(
                pl.col("account_id").is_not_null() & pl.col("score").is_not_null()
            ),
            "submitted_at",
            180,
        )
        .sort("submitted_at", "score", descending=True)
        .group_by("account_id")
        .agg(nps_score=pl.col("score").first().cast(pl.Float64))
    )
    activity = pl.col("activity_type")
    activities = counts(
        since(cs_activities.filter(pl.col("account_id").is_not_null()), "occurred_at", 90),
        attended=activity == "meeting_attended",
        no_show=activity == "meeting_no_show",
        sent=activity == "outreach_sent",
        answered=activity == "outreach_answered",
    )

    # ---------------------------------------------------------------- financial
    known = base.select("account_id", customer_id="stripe_customer_id").join(
        stripe_customers.select("customer_id").unique(), on="customer_id"
    )
    account_charges = charges.join(known, on="customer_id")
    payments = counts(
        since(account_charges, "created_at", 90),
        succeeded=pl.col("status") == "succeeded",
        failed=pl.col("status") == "failed",
        failed_30d=(pl.col("status") == "failed")
        & (pl.col("created_at").dt.date() >= day - dt.timedelta(days=29)),
    )
    first_versions = subscriptions.sort("valid_from_drop").group_by("subscription_id").first()
    valued_at = end_of_day(day)
    if first_stripe_drop is not None and day < first_stripe_drop:
        # Before the first drop the subscription's own dates give its state, and the items the
        # first drop brought give the billing interval (no earlier state of them is known).
        states = first_versions.select(
            "subscription_id",
            status=pl.when(pl.col("status").is_in(["incomplete", "incomplete_expired"]))
            .then(None)
            .when(pl.col("started_at") > valued_at)
            .then(None)
            .when(pl.col("ended_at") <= valued_at)
            .then(pl.lit("canceled"))
            .when(pl.col("trial_end_at") > valued_at)
            .then(pl.lit("trialing"))
            .otherwise(pl.lit("active")),
        )
        item_terms = items.filter(pl.col("valid_from_drop") == first_stripe_drop)
    else:
        states = _valid_on(subscriptions, day).select("subscription_id", "status")
        item_terms = _valid_on(items, day)
    live = (
        first_versions.filter(pl.col("created_at").dt.date() <= day)
        .select("subscription_id", customer_id="customer_id")
        .join(states, on="subscription_id")
        .filter(pl.col("status").is_in(["active", "past_due", "trialing"]))
        .join(
            base.select("account_id", customer_id="stripe_customer_id"),
            on="customer_id",
        )
    )
    terms = (
        live.join(
            item_terms.select(
                "subscription_id",
                term=pl.col("recurring_interval").replace_strict(
                    TERM_MONTHS, default=None, return_dtype=pl.Float64
                )
                * pl.col("recurring_interval_count").fill_null(1).cast(pl.Float64),
            ),
            on="subscription_id",
            how="left",
        )
        .group_by("account_id")
        .agg(
            contract_length=pl.col("term").max(),
            subscription_state=pl.when((pl.col("status") == "active").any())
            .then(pl.lit("active"))
            .when((pl.col("status") == "past_due").any())
            .then(pl.lit("past_due"))
            .otherwise(pl.lit("trialing")),
        )
    )

    # ---------------------------------------------------------------- assembly
    frame = base
    for part in (
        usage,
        active_user_days,
        monthly_users,
        features,
        last_login,
        open_tickets,
        escalations,
        csat,
        has_organization,
        nps,
        activities,
        payments,
        known.select("account_id", is_known=pl.lit(True)),
        terms,
    ):
        frame = frame.join(part, on="account_id", how="left")
    zero = [
        "logins_28d",
        "conversations_28d",
        "conversations_30d",
        "conversations_prev_30d",
        "blocked_30d",
        "active_user_days",
        "monthly_active_users",
        "open_tickets",
        "high_urgent_open_tickets",
        "escalations",
        "attended",
        "no_show",
        "sent",
        "answered",
        "succeeded",
        "failed",
        "failed_30d",
    ]
    frame = frame.with_columns(pl.col(zero).fill_null(0)).with_columns(
        days_since_login=(pl.lit(day) - pl.coalesce("last_login_on", "created_on")).dt.total_days(),
        days_in_window=pl.min_horizontal(
            pl.lit(30), (pl.lit(day) - pl.col("created_on")).dt.total_days() + 1
        ),
        limit=pl.col("plan_conversation_limit").cast(pl.Float64),
    )
    app = pl.lit(app_db)
    support = pl.lit(ticketing) & pl.col("has_organization").fill_null(False)
    paid = pl.lit(stripe) & pl.col("is_known").fill_null(False)
    f64 = pl.Float64
    return frame.select(
        "account_id",
        "plan",
        dau_mau_ratio=pl.when(app).then(
            pl.when(pl.col("monthly_active_users") == 0)
            .then(0.0)
            .otherwise(
                pl.min_horizontal(
                    1.0,
                    pl.col("active_user_days").cast(f64)
                    / pl.col("days_in_window").cast(f64)
                    / pl.col("monthly_active_users").cast(f64),
                )
            )
        ),
        features_used_30d=pl.when(app).then(
            pl.col("features").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        ),
        conversations_per_week=pl.when(app).then(pl.col("conversations_28d") / 4.0),
        days_since_last_login=pl.when(app).then(pl.col("days_since_login").cast(f64)),
        logins_per_week=pl.when(app).then(pl.col("logins_28d") / 4.0),
        features_used_this_month=pl.when(app).then(
            pl.col("features").list.len().fill_null(0).cast(f64)
        ),
        open_tickets=pl.when(support).then(pl.col("open_tickets").cast(f64)),
        avg_csat=pl.when(support).then("avg_csat"),
        escalations=pl.when(support).then(pl.col("escalations").cast(f64)),
        nps_score=pl.when(app).then("nps_score"),
        meetings_attended=pl.when(app).then(
            _ratio(pl.col("attended"), pl.col("attended") + pl.col("no_show"))
        ),
        responses_to_outreach=pl.when(app & (pl.col("sent") > 0)).then(
            pl.min_horizontal(1.0, _ratio(pl.col("answered"), pl.col("sent")))
        ),
        payment_health=pl.when(paid).then(
            _ratio(pl.col("succeeded"), pl.col("succeeded") + pl.col("failed"))
        ),
        growth_potential=pl.when(app & (pl.col("limit") > 0)).then(
            pl.min_horizontal(1.0, pl.col("conversations_30d").cast(f64) / pl.col("limit"))
        ),
        contract_length=pl.when(paid).then("contract_length"),
        usage_vs_limit=pl.when(app).then(_ratio(pl.col("conversations_30d"), pl.col("limit"))),
        usage_30d=pl.when(app).then(pl.col("conversations_30d").cast(f64)),
        # The 30 days before those: NULL for an account that did not exist on any of them.
        usage_prev_30d=pl.when(app & (pl.col("created_on") <= day - dt.timedelta(days=30))).then(
            pl.col("conversations_prev_30d").cast(f64)
        ),
        failed_payments_30d=pl.when(paid).then(pl.col("failed_30d").cast(f64)),
        blocked_feature_attempts_30d=pl.when(app).then(pl.col("blocked_30d").cast(f64)),
        days_without_login=pl.when(app).then(pl.col("days_since_login").cast(f64)),
        high_urgent_open_tickets=pl.when(support).then(
            pl.col("high_urgent_open_tickets").cast(f64)
        ),
        tenure_days=(pl.lit(day) - pl.col("created_on")).dt.total_days().cast(f64),
        term_months=pl.when(paid).then(pl.col("contract_length").ceil()),
        subscription_state=pl.when(paid)
        .then(pl.col("subscription_state").fill_null("none"))
        .otherwise(pl.lit("none")),
    )


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
        _result(
            rule,
            f"intermediate.int_account_daily_metrics sample, {day}",
            "fail" if figures else "pass",
            f"{len(figures)} differences over {len(sample)} accounts × {len(metrics)} inputs"
            + (
                f" (accounts per input: {', '.join(by_input)}): {_listed(figures, 3)}"
                if figures
                else ""
            ),
            "error on any mismatch",
            "sampled health inputs differ from the independent recomputation"
            if figures
            else "sampled health inputs reproduced",
        )
    ]
