"""Rules 2, 3, 7 and rule 16's revenue part: the revenue marts documented, consistent, from
inputs that are there.

Pure judges: the published revenue marts and the revenue models' evidence in, results out. Rule 6
is billing_rules.py, rule 12's MRR part mrr_sample_rules.py.
"""

from __future__ import annotations

import polars as pl

from transforms.gate.results import Absent, RuleResult, Status, listed, not_applicable

R02 = "r02_churn_method_documented"


def _metrics_registered(metric_columns: list[str], registry_names: set[str]) -> RuleResult:
    """Rule 2, registry: every column marked a metric has its metric_registry entry."""
    unregistered = sorted(set(metric_columns) - registry_names)
    return RuleResult(
        R02,
        "audit.metric_registry",
        "fail" if unregistered else "pass",
        f"{len(unregistered)} of {len(metric_columns)} metric columns without an entry"
        + (f": {listed(unregistered)}" if unregistered else ""),
        "error on any metric column missing from the registry",
        "every column marked meta.metric needs a metric_registry row"
        if unregistered
        else "every metric column is registered",
    )


def _retention_documented(retention: pl.DataFrame | None) -> RuleResult:
    """Rule 2, retention: every row names its method and period."""
    if retention is None:
        return not_applicable(R02, "marts.revenue_retention_monthly", "no retention mart built")
    undocumented = retention.filter(
        pl.col("method").is_null()
        | (pl.col("method").str.strip_chars() == "")
        | pl.col("month").is_null()
        | pl.col("period_end").is_null()
    )
    months = undocumented.get_column("month").to_list()
    return RuleResult(
        R02,
        "marts.revenue_retention_monthly",
        "fail" if undocumented.height else "pass",
        f"{undocumented.height} of {retention.height} rows without method or period"
        + (f": {listed(months)}" if months else ""),
        "error on any row without method and period",
        "churn/retention rows must name their method and period"
        if undocumented.height
        else "every row names its method and period",
    )


def _movement_identity(movements: pl.DataFrame | None) -> RuleResult:
    """Rule 2, movements: the MRR movement identity holds every month and each month starts where
    the previous one ended."""
    if movements is None:
        return not_applicable(R02, "marts.mrr_movements_monthly", "no MRR movements mart built")
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
            # the first month starts from nothing; after a month not known, there is nothing to
            # compare with (NULL: not judged)
            continuity_gap=pl.col("mrr_start")
            - pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit(0.0))
            .otherwise(pl.col("mrr_end").shift(1)),
        )
    )
    unknown = checked.filter(pl.col("mrr_end").is_null() | pl.col("mrr_start").is_null()).height
    # Amounts are DECIMAL(18,2): half a cent separates a real gap from float noise.
    broken = checked.filter(
        (pl.col("identity_gap").abs() > 0.005) | (pl.col("continuity_gap").abs() > 0.005)
    )
    figures = [
        f"{r['month']}: gap {r['identity_gap']:.2f}, start−previous end {r['continuity_gap']:.2f}"
        for r in broken.iter_rows(named=True)
    ]
    return RuleResult(
        R02,
        "marts.mrr_movements_monthly",
        "fail" if figures else "pass",
        f"{len(figures)} of {checked.height} months break the identity"
        + (f": {listed(figures, 3)}" if figures else "")
        + (f"; {unknown} months not judged: a customer's MRR is not known" if unknown else ""),
        "error on any month off by more than half a cent",
        "mrr_end ≠ mrr_start + new + reactivation + expansion − contraction − churn"
        if figures
        else "the MRR movement identity holds every month",
    )


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
    return [
        _metrics_registered(metric_columns, registry_names),
        _retention_documented(retention),
        _movement_identity(movements),
    ]


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
        RuleResult(
            rule,
            "marts.revenue_cohorts",
            "fail" if failed else "pass",
            f"coverage {coverage:.2%} of {firsts.height} paying customers; "
            f"{len(mislabelled)} customers not in exactly one cohort"
            + (f" ({listed(mislabelled)})" if mislabelled else "")
            + (f"; sizes disagree: {listed(figures, 3)}" if figures else ""),
            "error when coverage < 100% or any size disagrees",
            "cohorts do not account for every paying customer exactly once"
            if failed
            else "every paying customer is in exactly one cohort",
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
            RuleResult(
                rule,
                category,
                status,
                f"{discrepant} of {comparable} ({share:.2%})",
                threshold,
                f"{category}: {discrepant} records in discrepancy",
            )
        )
    return results


def no_defaulted_revenue_inputs(defaults: pl.DataFrame | Absent) -> list[RuleResult]:
    """Rule 16 on revenue: no item amount computed although an input it needs is missing (a
    metered item with no invoice, a price with no interval count or quantity), and no customer
    total summed over an item that has no amount: each is NULL with a reason, never a default.

    `defaults`: kind, customer_id, valuation_date, subscription_item_id of every offending row."""
    rule = "r16_no_defaulted_inputs"
    target = "intermediate.int_subscription_items_normalised_to_mrr, int_customer_mrr_monthly"
    if isinstance(defaults, Absent):
        return [not_applicable(rule, target, defaults.reason)]
    by_kind = defaults.group_by("kind").len().sort("kind")
    examples = [
        f"{r['kind']}: {r['customer_id']} {r['valuation_date']} {r['subscription_item_id']}"
        for r in defaults.sort("kind", "valuation_date", "customer_id")
        .unique("kind", keep="first", maintain_order=True)
        .iter_rows(named=True)
    ]
    return [
        RuleResult(
            rule,
            target,
            "fail" if defaults.height else "pass",
            f"{defaults.height} item amounts computed from a missing input"
            + (
                " ("
                + ", ".join(f"{kind} {n}" for kind, n in by_kind.iter_rows())
                + f"): {listed(examples, 4)}"
                if defaults.height
                else ""
            ),
            "error on any filled default",
            "revenue computed from defaulted inputs"
            if defaults.height
            else "every revenue amount has its inputs, or is NULL with a reason",
        )
    ]
