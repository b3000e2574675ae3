"""The publish gate's rules as pure functions: frames in, one result per rule and target out.

Each rule of ../shared/spec/validation.md that is implemented here returns `RuleResult`s; the
orchestration layer reads the frames from the build database, records the results in
audit.check_results and blocks publication on any ERROR.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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


def health_weights_documented(
    health_config: dict | None, scores: pl.DataFrame | None, tolerance: float = 1e-9
) -> list[RuleResult]:
    """Rule 4: component weights and each component's metric weights sum to 1, every factor has a
    definition (label; ideal, weight and direction per metric), and every score row carries its
    config version. `scores` has config_version (None: no health scores built yet)."""
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
    if scores is None:
        results.append(
            not_applicable(rule, "marts.health_scores_daily", "no health scores built yet")
        )
    else:
        unversioned = scores.filter(
            pl.col("config_version").is_null() | (pl.col("config_version") == "")
        ).height
        results.append(
            _result(
                rule,
                "marts.health_scores_daily",
                "fail" if unversioned else "pass",
                f"{unversioned} of {scores.height} scores without config_version",
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


def independent_mrr(
    subscriptions: pl.DataFrame,
    items: pl.DataFrame,
    discounts: pl.DataFrame,
    fx: pl.DataFrame,
    valuation_date: dt.date,
    reporting_currency: str,
) -> pl.DataFrame:
    """MRR per Stripe customer at the end of a valuation date, in minor units of the reporting
    currency, unrounded — recomputed from staged Stripe versions for rule 12, sharing no SQL with dbt.

    `subscriptions`: subscription_id, customer_id, status, valid_from_drop, valid_to_drop.
    `items`: subscription_id, subscription_item_id, quantity, unit_amount, recurring_interval,
    recurring_interval_count, recurring_usage_type, currency, valid_from_drop, valid_to_drop.
    `discounts`: parent_object ('subscription'/'customer'), parent_id, percent_off, amount_off,
    duration, duration_in_months, started_at, ends_at.
    `fx`: rate_date, currency, rate_to_reporting (the reporting currency itself converts at 1).
    Returns customer_id, mrr_minor, metered (customers with a metered or unpriced item are flagged:
    their MRR comes from invoices, which this path does not recompute).
    """

    def valid(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(
            (pl.col("valid_from_drop") <= valuation_date)
            & (pl.col("valid_to_drop").is_null() | (pl.col("valid_to_drop") > valuation_date))
        )

    end = dt.datetime.combine(valuation_date + dt.timedelta(days=1), dt.time())
    live = valid(subscriptions).filter(pl.col("status").is_in(["active", "past_due"]))
    priced = (
        valid(items)
        .join(live.select("subscription_id", "customer_id"), on="subscription_id")
        .with_columns(
            factor=pl.col("recurring_interval").replace_strict(
                MONTHLY_FACTOR, default=None, return_dtype=pl.Float64
            )
            / pl.col("recurring_interval_count").cast(pl.Float64),
            metered=(pl.col("recurring_usage_type") == "metered") | pl.col("unit_amount").is_null(),
        )
        .with_columns(
            gross=pl.col("unit_amount").cast(pl.Float64)
            * pl.col("quantity").cast(pl.Float64)
            * pl.col("factor")
        )
    )
    active_discounts = discounts.with_columns(
        ends=pl.coalesce(
            pl.col("ends_at"),
            pl.when(pl.col("duration") == "repeating").then(
                pl.col("started_at").dt.offset_by(
                    pl.format("{}mo", pl.col("duration_in_months").cast(pl.Int64))
                )
            ),
        )
    ).filter(
        pl.col("duration").is_in(["forever", "repeating"])
        & (pl.col("started_at") <= end)
        & (pl.col("ends").is_null() | (pl.col("ends") > end))
    )
    sub_discounts = active_discounts.filter(pl.col("parent_object") == "subscription")
    customer_discounts = active_discounts.filter(pl.col("parent_object") == "customer")
    per_sub = priced.group_by("subscription_id", "customer_id").agg(sub_gross=pl.col("gross").sum())
    # A subscription's own discounts replace its customer's, as in Stripe.
    own = sub_discounts.group_by(pl.col("parent_id").alias("subscription_id")).agg(
        percent=pl.col("percent_off").fill_null(0).sum(),
        amount=pl.col("amount_off").fill_null(0).sum(),
    )
    inherited = customer_discounts.group_by(pl.col("parent_id").alias("customer_id")).agg(
        c_percent=pl.col("percent_off").fill_null(0).sum(),
        c_amount=pl.col("amount_off").fill_null(0).sum(),
    )
    per_sub = (
        per_sub.join(own, on="subscription_id", how="left")
        .join(inherited, on="customer_id", how="left")
        .with_columns(
            has_own=pl.col("percent").is_not_null(),
        )
        .select(
            "subscription_id",
            "sub_gross",
            percent=pl.when("has_own").then("percent").otherwise("c_percent").fill_null(0.0),
            amount=pl.when("has_own").then("amount").otherwise("c_amount").fill_null(0.0),
        )
    )
    rates = (
        fx.filter(pl.col("rate_date") <= valuation_date)
        .sort("rate_date")
        .group_by(pl.col("currency").str.to_uppercase())
        .agg(pl.col("rate_to_reporting").last())
    )
    rates = pl.concat(
        [
            rates.filter(pl.col("currency") != reporting_currency.upper()),
            pl.DataFrame(
                {"currency": [reporting_currency.upper()], "rate_to_reporting": [1.0]},
                schema=rates.schema,
            ),
        ]
    )
    netted = (
        priced.join(per_sub, on="subscription_id")
        .with_columns(currency=pl.col("currency").str.to_uppercase())
        .join(rates, on="currency", how="left")
        .with_columns(
            net=(
                pl.col("gross") * (1 - pl.min_horizontal(pl.col("percent"), 100.0) / 100)
                - pl.when(pl.col("sub_gross") > 0)
                .then(pl.col("amount") * pl.col("factor") * pl.col("gross") / pl.col("sub_gross"))
                .otherwise(0.0)
            ).clip(lower_bound=0.0)
        )
        .with_columns(mrr_minor=pl.col("net") * pl.col("rate_to_reporting"))
    )
    return (
        netted.group_by("customer_id")
        .agg(
            mrr_minor=pl.col("mrr_minor").sum(),
            metered=pl.col("metered").any(),
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

    `independent`: customer_id, mrr_minor, metered; `intermediate`: customer_id, mrr_minor;
    `published`: customer_id, mrr (major units). Customers with metered items are left out on
    both sides (their MRR comes from invoices, which this path does not recompute).
    """
    rule = "r12_sample_verification"
    threshold = (
        "error on any mismatch (unrounded: 1e-6 minor units; published: the cent's rounding)"
    )
    excluded = set(independent.filter(pl.col("metered") | pl.col("missing_rate"))["customer_id"])
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
            f"({len(excluded)} metered left out)",
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
    health_scores: pl.DataFrame | None,
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
    if health_scores is None or health_metrics is None or health_config is None:
        results.append(
            not_applicable(rule, target, "no health scores or int_account_daily_metrics built yet")
        )
        return results
    components = health_config["components"]
    if "feature_adoption" not in health_metrics.columns and {"features_used_30d", "plan"} <= set(
        health_metrics.columns
    ):
        plans_with_core = list((health_config.get("core_features") or {}).keys())
        health_metrics = health_metrics.with_columns(
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
    expected = health_metrics.select(
        "account_id",
        "as_of_date",
        pl.sum_horizontal(contributions).alias("expected_coverage"),
        *present_by_component.values(),
    )
    # int_account_daily_metrics holds a rolling window of days while the scores keep their history:
    # a score dated before the window cannot be compared with today's inputs, so it is not judged.
    window_days = health_metrics.select(pl.col("as_of_date").unique())
    in_window = health_scores.join(window_days, on="as_of_date", how="semi")
    before_window = health_scores.height - in_window.height
    joined = in_window.join(expected, on=["account_id", "as_of_date"], how="left")
    no_inputs = joined.filter(pl.col("expected_coverage").is_null()).height
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
    failed = wrong.height + zero_without_input
    sample = [f"{r['account_id']} {r['as_of_date']}" for r in wrong.head(3).iter_rows(named=True)]
    results.append(
        _result(
            rule,
            target,
            "fail" if failed else "pass",
            f"{wrong.height} of {joined.height} scores with coverage ≠ inputs present "
            f"({no_inputs} with no input row; {before_window} dated outside the inputs' days, "
            "not judged)"
            + (f": {_listed(sample, 3)}" if sample else "")
            + f"; {zero_without_input} component scores with none of their inputs",
            "error on any filled default",
            "health scores computed from defaulted inputs"
            if failed
            else "coverage matches the inputs present",
        )
    )
    return results


def independent_health_inputs(
    accounts: pl.DataFrame,
    organizations: pl.DataFrame,
    tickets: pl.DataFrame,
    logins: pl.DataFrame,
    day: dt.date,
) -> pl.DataFrame:
    """Rule 12 (health inputs): open_tickets and days_since_last_login per account at the end of a
    day, recomputed from staging in Polars (metrics.md §2), sharing no SQL with dbt.

    `accounts`: account_id, created_at; `organizations`: organization_id, account_id; `tickets`:
    organization_id, created_at, solved_at; `logins`: account_id, occurred_at (login events).
    open_tickets is NULL for an account no ticket organisation maps to (the helpdesk does not cover it).
    """
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    open_ = (
        tickets.filter(
            (pl.col("created_at") < end)
            & (pl.col("solved_at").is_null() | (pl.col("solved_at") >= end))
        )
        .group_by("organization_id")
        .agg(open_tickets=pl.len().cast(pl.Float64))
    )
    covered = (
        organizations.filter(pl.col("account_id").is_not_null())
        .join(open_, on="organization_id", how="left")
        .group_by("account_id")
        .agg(open_tickets=pl.col("open_tickets").fill_null(0.0).sum())
    )
    last_login = (
        logins.filter(pl.col("occurred_at") < end)
        .group_by("account_id")
        .agg(last_login=pl.col("occurred_at").max().dt.date())
    )
    return (
        accounts.join(last_login, on="account_id", how="left")
        .join(covered, on="account_id", how="left")
        .select(
            "account_id",
            "open_tickets",
            days_since_last_login=(
                pl.lit(day) - pl.coalesce(pl.col("last_login"), pl.col("created_at").dt.date())
            )
            .dt.total_days()
            .cast(pl.Float64),
        )
    )


def health_inputs_verification(
    independent: pl.DataFrame, published: pl.DataFrame, sample: list[str], day: dt.date
) -> list[RuleResult]:
    """Rule 12 (health inputs): the sampled accounts' independently recomputed inputs equal the
    published int_account_daily_metrics values of the day (both: account_id and the input columns)."""
    rule = "r12_sample_verification"
    metrics = [c for c in independent.columns if c != "account_id"]
    joined = (
        pl.DataFrame({"account_id": sample}, schema={"account_id": pl.String})
        .join(independent, on="account_id", how="left")
        .join(
            published.select("account_id", *metrics),
            on="account_id",
            how="left",
            suffix="_published",
        )
    )
    figures: list[str] = []
    for metric in metrics:
        mine, theirs = pl.col(metric), pl.col(f"{metric}_published")
        differing = joined.filter(
            (mine.is_null() != theirs.is_null()) | ((mine - theirs).abs() > 1e-9).fill_null(False)
        )
        figures += [
            f"{r['account_id']} {metric}: independent {r[metric]}, published {r[f'{metric}_published']}"
            for r in differing.iter_rows(named=True)
        ]
    return [
        _result(
            rule,
            f"intermediate.int_account_daily_metrics sample, {day}",
            "fail" if figures else "pass",
            f"{len(figures)} differences over {len(sample)} accounts × {len(metrics)} inputs"
            + (f": {_listed(figures, 3)}" if figures else ""),
            "error on any mismatch",
            "sampled health inputs differ from the independent recomputation"
            if figures
            else "sampled health inputs reproduced",
        )
    ]
