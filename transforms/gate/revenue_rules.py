"""Rules 2, 3, 6, 7 and rule 12's MRR part: the revenue marts documented, consistent, from Stripe.

Pure judges: the published revenue marts and the staged Stripe objects in, results out. Rule 12
values every month again by the independent path (`independent_revenue`) and compares.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from transforms.gate.independent_revenue import independent_invoice_line_mrr, independent_mrr
from transforms.gate.results import Absent, RuleResult, Status, listed, not_applicable
from transforms.gate.sampling import sample_accounts

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


#: Columns of audit.revenue_stripe_disagreements (one row per customer-month rule 6 could not
#: reconcile: a difference beyond the tolerance, or a published MRR it could not compare).
DISAGREEMENT_SCHEMA = {
    "month": pl.Date,
    "valuation_date": pl.Date,
    "stripe_customer_id": pl.String,
    "published_mrr": pl.Float64,
    "billed_mrr": pl.Float64,
    "difference": pl.Float64,
    "tolerance": pl.Float64,
    "billed_lines": pl.UInt32,
    "status": pl.String,
}


def reconcile_with_billing(
    published: pl.DataFrame, billed: pl.DataFrame, tolerance_cents: float
) -> pl.DataFrame:
    """Every customer-month with MRR published or billed, compared (DISAGREEMENT_SCHEMA for all
    rows, `status` 'agrees', 'disagrees', or 'not compared: …'). The tolerance is
    `tolerance_cents` plus the bound the billed figure carries (Stripe's rounding of proration
    lines to the minor unit, spread over their share of a month). A published NULL (an amount not
    known) or a billed amount in a currency with no FX rate is not compared, and says why.

    `published`: customer_id, month, valuation_date, mrr (major units); `billed`:
    independent_billing.billed_mrr's output."""
    joined = (
        published.select(
            "customer_id",
            "month",
            "valuation_date",
            pl.col("mrr").cast(pl.Float64).alias("published_mrr"),
            pl.lit(True).alias("is_published"),
        )
        .join(
            billed.select(
                "customer_id",
                "month",
                pl.col("valuation_date").alias("billed_date"),
                (pl.col("billed_minor") / 100).alias("billed_mrr"),
                (pl.col("bound_minor") / 100).alias("bound"),
                pl.col("lines").alias("billed_lines"),
                "missing_rate",
                "unreconcilable",
            ),
            on=["customer_id", "month"],
            how="full",
            coalesce=True,
        )
        .with_columns(
            valuation_date=pl.coalesce("valuation_date", "billed_date"),
            published_mrr=pl.when(pl.col("is_published"))
            .then("published_mrr")
            .otherwise(pl.lit(0.0)),
            billed_mrr=pl.col("billed_mrr").fill_null(0.0),
            billed_lines=pl.col("billed_lines").fill_null(0),
            tolerance=tolerance_cents / 100 + pl.col("bound").fill_null(0.0),
        )
        .with_columns(difference=pl.col("published_mrr") - pl.col("billed_mrr"))
    )
    status = (
        pl.when(pl.col("published_mrr").is_null())
        .then(pl.lit("not compared: published MRR not known"))
        .when(pl.col("missing_rate").fill_null(False))
        .then(pl.lit("not compared: no FX rate within 7 days"))
        .when(pl.col("unreconcilable").fill_null(0) > 0)
        .then(pl.lit("not compared: a proration line outside any full period"))
        .when(pl.col("difference").abs() > pl.col("tolerance") + 1e-9)
        .then(pl.lit("disagrees"))
        .otherwise(pl.lit("agrees"))
    )
    return (
        joined.with_columns(status=status, stripe_customer_id=pl.col("customer_id"))
        .filter(
            (pl.col("published_mrr") != 0)
            | (pl.col("billed_mrr") != 0)
            | (pl.col("status") != "agrees")
        )
        .select(list(DISAGREEMENT_SCHEMA))
        .cast(DISAGREEMENT_SCHEMA)
        .sort("month", "stripe_customer_id")
    )


def revenue_from_stripe(
    comparison: pl.DataFrame | None,
    unknown_customers: list[str],
    tolerance_cents: float,
    error_disagreements_over: int,
) -> list[RuleResult]:
    """Rule 6: published MRR per customer and month reconciles with what Stripe billed, derived
    from the raw invoices (transforms/gate/independent_billing.py), within the tolerance; no
    revenue comes from a customer Stripe does not know. Fails when more customer-months than
    `error_disagreements_over` disagree (validation.md: any), or on such a customer.

    `comparison`: reconcile_with_billing's output (None before the revenue marts are built)."""
    rule = "r06_revenue_source"
    target = "marts.mrr_monthly"
    if comparison is None:
        return [not_applicable(rule, target, "no revenue marts built")]
    disagreeing = comparison.filter(pl.col("status") == "disagrees").sort(
        pl.col("difference").abs(), descending=True
    )
    not_compared = comparison.filter(pl.col("status").str.starts_with("not compared"))
    reasons = not_compared.group_by("status").len().sort("status")
    figures = [
        f"{r['stripe_customer_id']} {r['month']}: published {r['published_mrr']:.2f}, "
        f"billed {r['billed_mrr']:.2f}"
        for r in disagreeing.iter_rows(named=True)
    ]
    failed = disagreeing.height > error_disagreements_over or bool(unknown_customers)
    months = comparison.filter(pl.col("status") == "disagrees")["month"].n_unique()
    return [
        RuleResult(
            rule,
            target,
            "fail" if failed else "pass",
            f"{disagreeing.height} of {comparison.height} customer-months differ from what "
            f"Stripe billed by more than the tolerance, in {months} months"
            + (f": {listed(figures, 3)}" if figures else "")
            + (
                "; not compared: "
                + ", ".join(
                    f"{n} ({s.removeprefix('not compared: ')})" for s, n in reasons.iter_rows()
                )
                if not reasons.is_empty()
                else ""
            )
            + (
                f"; {len(unknown_customers)} revenue customers unknown to Stripe: {listed(unknown_customers)}"
                if unknown_customers
                else ""
            )
            + " (listed in audit.revenue_stripe_disagreements)",
            f"error when more than {error_disagreements_over} customer-months differ by more than "
            f"{tolerance_cents:g} cent (plus the rounding of proration lines)",
            "published revenue does not reconcile with Stripe's invoices"
            if failed
            else "published revenue reconciles with Stripe's invoices",
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


R12 = "r12_sample_verification"
R12_THRESHOLD = (
    "error on any mismatch (unrounded: 1e-6 minor units; published: the cent's rounding)"
)


def _mrr_sides(
    independent: pl.DataFrame, intermediate: pl.DataFrame, published: pl.DataFrame, excluded: set
) -> pl.DataFrame:
    """Per customer with MRR (or an unknown one) on any side: independent (`ind`), dbt unrounded
    (`inter`), both in minor units, and published (`pub`, major units), the `excluded` customers
    left out. A customer absent from a side has 0 there; one present with NULL is unknown there
    (`<side>_unknown`), which only an unknown on every side matches."""
    sides = []
    for name, frame, value in (
        ("ind", independent, pl.col("mrr_minor")),
        ("inter", intermediate, pl.col("mrr_minor").cast(pl.Float64)),
        ("pub", published, pl.col("mrr").cast(pl.Float64)),
    ):
        sides.append(
            frame.filter(~pl.col("customer_id").is_in(list(excluded))).select(
                "customer_id",
                value.cast(pl.Float64).alias(name),
                value.is_null().alias(f"{name}_unknown"),
            )
        )
    joined = sides[0]
    for side in sides[1:]:
        joined = joined.join(side, on="customer_id", how="full", coalesce=True)
    return (
        joined.with_columns(
            [pl.col(f"{n}_unknown").fill_null(False) for n in ("ind", "inter", "pub")]
        )
        .with_columns(
            [
                pl.when(pl.col(f"{n}_unknown"))
                .then(None)
                .otherwise(pl.col(n).fill_null(0.0))
                .alias(n)
                for n in ("ind", "inter", "pub")
            ]
        )
        .with_columns(
            unknown_anywhere=pl.any_horizontal("ind_unknown", "inter_unknown", "pub_unknown"),
            unknown_everywhere=pl.all_horizontal("ind_unknown", "inter_unknown", "pub_unknown"),
        )
        .filter(
            pl.col("unknown_anywhere")
            | (pl.col("ind") > 0)
            | (pl.col("inter") > 0)
            | (pl.col("pub") > 0)
        )
    )


def _differs(joined: pl.DataFrame) -> pl.Expr:
    """A customer whose sides disagree: unknown on some side only, or known amounts that differ
    (unrounded by 1e-6 minor units, published by more than the cent's rounding)."""
    numbers = ((pl.col("ind") - pl.col("inter")).abs() > 1e-6) | (
        (pl.col("ind") / 100 - pl.col("pub")).abs() > 0.005 + 1e-9
    )
    return (pl.col("unknown_anywhere") & ~pl.col("unknown_everywhere")) | (
        ~pl.col("unknown_anywhere") & numbers
    )


def _month_total(
    joined: pl.DataFrame, independent: pl.DataFrame, excluded: set, month_label: str
) -> RuleResult:
    """Rule 12: the month's MRR total, independent against dbt unrounded and published, over the
    customers known on every side; a customer unknown on one side only fails it too."""
    metered = independent.filter(pl.col("metered") & ~pl.col("missing_rate")).height
    from_invoices = independent.filter(pl.col("from_invoices") & ~pl.col("missing_rate")).height
    known = joined.filter(~pl.col("unknown_anywhere"))
    unknown = joined.filter(pl.col("unknown_everywhere")).height
    half_known = joined.filter(pl.col("unknown_anywhere") & ~pl.col("unknown_everywhere"))
    # Exactly rounded sums: a float sum follows the rows' order, which DuckDB does not keep from one
    # build to the next, and the message's sixth decimal flipped between runs of the same drops.
    totals = {column: math.fsum(known[column].to_list()) for column in ("ind", "inter", "pub")}
    total_ok = (
        half_known.is_empty()
        and abs(totals["ind"] - totals["inter"]) <= 1e-6 * max(known.height, 1)
        and abs(totals["ind"] / 100 - totals["pub"]) <= 0.005 * max(known.height, 1) + 1e-9
    )
    unknown_text = (
        f"; {unknown} with MRR unknown on every side"
        + (
            f", {half_known.height} unknown on one side only: {listed(half_known['customer_id'].to_list(), 3)}"
            if not half_known.is_empty()
            else ""
        )
        if unknown or not half_known.is_empty()
        else ""
    )
    return RuleResult(
        R12,
        f"marts.mrr_monthly total, {month_label}",
        "pass" if total_ok else "fail",
        f"independent {totals['ind'] / 100:.6f}, dbt unrounded {totals['inter'] / 100:.6f}, "
        f"published {totals['pub']:.2f} over {known.height} customers "
        f"({metered} with metered items, {from_invoices} valued from invoice lines; "
        f"{len(excluded)} left out: no FX rate within 7 days{unknown_text})",
        R12_THRESHOLD,
        "monthly MRR total reproduced independently"
        if total_ok
        else "monthly MRR total differs from the independent recomputation",
    )


def _amount_text(value: float | None, scale: float, digits: int) -> str:
    return "unknown" if value is None else f"{value / scale:.{digits}f}"


def _month_sample(
    joined: pl.DataFrame, sample: list[str], excluded: set, month_label: str, min_sample: int
) -> RuleResult:
    """Rule 12: each sampled customer's MRR, independent against dbt unrounded and published."""
    kept = [c for c in sample if c not in excluded]
    if len(kept) < min_sample:
        return not_applicable(
            R12,
            f"marts.mrr_monthly sample, {month_label}",
            f"fewer than {min_sample} customers to sample",
        )
    checked = (
        pl.DataFrame({"customer_id": kept})
        .join(joined, on="customer_id", how="left")
        .with_columns(
            [pl.col(c).fill_null(False) for c in ("unknown_anywhere", "unknown_everywhere")]
            + [
                pl.when(pl.col(f"{c}_unknown").fill_null(False))
                .then(None)
                .otherwise(pl.col(c).fill_null(0.0))
                .alias(c)
                for c in ("ind", "inter", "pub")
            ]
        )
    )
    mismatched = checked.filter(_differs(checked))
    figures = [
        f"{r['customer_id']}: independent {_amount_text(r['ind'], 100, 6)}, "
        f"dbt {_amount_text(r['inter'], 100, 6)}, published {_amount_text(r['pub'], 1, 2)}"
        for r in mismatched.iter_rows(named=True)
    ]
    return RuleResult(
        R12,
        f"marts.mrr_monthly sample, {month_label}",
        "fail" if figures else "pass",
        f"{len(figures)} of {checked.height} sampled customers differ"
        + (f": {listed(figures, 3)}" if figures else ""),
        R12_THRESHOLD,
        "sampled customers' MRR differs from the independent recomputation"
        if figures
        else "every sampled customer's MRR reproduced",
    )


def _month_churn(
    churned_published: int | None, churned_independent: int | None, month_label: str
) -> RuleResult:
    """Rule 12: the month's churned logos, published against the independent count."""
    target = f"marts.mrr_movements_monthly churn, {month_label}"
    if churned_published is None or churned_independent is None:
        return not_applicable(R12, target, "no movements")
    return RuleResult(
        R12,
        target,
        "pass" if churned_published == churned_independent else "fail",
        f"published {churned_published} churned logos, independent {churned_independent}",
        R12_THRESHOLD,
        "churn count reproduced"
        if churned_published == churned_independent
        else "churn count differs from the independent recomputation",
    )


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

    `independent`: customer_id, mrr_minor (NULL: unknown), metered, from_invoices, missing_rate;
    `intermediate`: customer_id, mrr_minor; `published`: customer_id, mrr (major units). Every
    customer is compared, metered ones and months valued from invoices included, except one with an
    amount in a currency that has no FX rate within the 7 days before the valuation date: it cannot
    be converted (dbt's build fails on it), so it is left out on both sides and counted in the text.
    A customer whose MRR is unknown (NULL) must be unknown on every side.
    """
    excluded = set(independent.filter(pl.col("missing_rate"))["customer_id"])
    joined = _mrr_sides(independent, intermediate, published, excluded)
    month_label = f"month {month}"
    return [
        _month_total(joined, independent, excluded, month_label),
        _month_sample(joined, sample, excluded, month_label, min_sample),
        _month_churn(churned_published, churned_independent, month_label),
    ]


@dataclass(frozen=True)
class MrrRecomputationInputs:
    """What rule 12 reads for MRR: the staged Stripe objects the independent path values (see
    `independent_mrr` and `independent_invoice_line_mrr` for their columns), the reporting
    currency, and the dbt outputs it checks: `intermediate` (month, customer_id, mrr_minor,
    unrounded), `published` (month, customer_id, account_id, mrr of marts.mrr_monthly), the
    published churned logos per month, and the staged accounts (account_id, stripe_customer_id,
    deleted_at: every account seen, deleted ones too) whose customers the mart maps."""

    subscriptions: pl.DataFrame
    items: pl.DataFrame
    discounts: pl.DataFrame
    invoices: pl.DataFrame
    invoice_lines: pl.DataFrame
    fx: pl.DataFrame
    reporting_currency: str
    intermediate: pl.DataFrame
    published: pl.DataFrame
    churned_by_month: dict[dt.date, int]
    accounts: pl.DataFrame | None = None


def accounts_mapped(published: pl.DataFrame, accounts: pl.DataFrame) -> RuleResult:
    """Rule 12 (accounts): every published customer-month carries the account that claims its
    Stripe customer — an account that exists today before a deleted one, then the lowest id —
    deleted accounts included: their history stays theirs. `published`: month, customer_id,
    account_id; `accounts`: account_id, stripe_customer_id, deleted_at."""
    claims = (
        accounts.filter(pl.col("stripe_customer_id").is_not_null())
        .sort(pl.col("deleted_at").is_not_null(), "account_id")
        .unique("stripe_customer_id", keep="first")
        .select(
            customer_id="stripe_customer_id",
            expected="account_id",
            deleted=pl.col("deleted_at").is_not_null(),
        )
    )
    wrong = (
        published.join(claims, on="customer_id", how="left")
        .filter(pl.col("account_id").ne_missing(pl.col("expected")))
        .group_by("customer_id", "account_id", "expected", "deleted")
        .agg(months=pl.len())
        .sort("customer_id")
    )
    figures = [
        f"{r['customer_id']}: published {r['account_id']}, claimed by {r['expected']}"
        + (" (deleted)" if r["deleted"] else "")
        + f" in {r['months']} months"
        for r in wrong.iter_rows(named=True)
    ]
    return RuleResult(
        R12,
        "marts.mrr_monthly accounts",
        "fail" if figures else "pass",
        f"{len(figures)} of {published['customer_id'].n_unique()} customers mapped to another "
        "account than the one claiming them (deleted accounts included)"
        + (f": {listed(figures, 3)}" if figures else ""),
        R12_THRESHOLD,
        "revenue history shown under the wrong account (or none)"
        if figures
        else "every customer's revenue under the account claiming it",
    )


def _valuations(first_start: dt.date, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Every month from the first subscription's start to the as-of month, with the day it is
    valued at: its last day (the as-of month at the as-of date)."""
    valuations: list[tuple[dt.date, dt.date]] = []
    month_start = first_start.replace(day=1)
    while month_start <= as_of:
        next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
        valuations.append((month_start, min(next_month - dt.timedelta(days=1), as_of)))
        month_start = next_month
    return valuations


def mrr_reproduced(
    inputs: MrrRecomputationInputs | Absent, as_of: dt.date, sample_size: int
) -> list[RuleResult]:
    """Rule 12 on revenue: every month's MRR per customer recomputed from staging by the
    independent path (months on or after the first drop from the versions, earlier ones from
    invoice history, metered items from their last invoiced amount), against the dbt intermediate
    and the mart: totals and churn counts of every month, the seeded sample in every month."""
    if isinstance(inputs, Absent):
        return [not_applicable(R12, "marts.mrr_monthly", inputs.reason)]
    first_drop = inputs.subscriptions["valid_from_drop"].min()
    first_start = inputs.subscriptions["started_at"].min()
    if first_drop is None or first_start is None:
        return [not_applicable(R12, "marts.mrr_monthly", "no staged Stripe versions")]
    invoice_lines = independent_invoice_line_mrr(
        inputs.invoices, inputs.invoice_lines, inputs.items
    )
    valuations = _valuations(first_start.date(), as_of)
    recomputed = {
        month: independent_mrr(
            inputs.subscriptions,
            inputs.items,
            inputs.discounts,
            invoice_lines,
            inputs.fx,
            valuation,
            first_drop,
            inputs.reporting_currency,
        )
        for month, valuation in valuations
    }
    as_of_paying = recomputed[as_of.replace(day=1)].filter(
        ~pl.col("missing_rate") & (pl.col("mrr_minor") > 0)
    )
    sample = sample_accounts(as_of_paying["customer_id"].to_list(), as_of, sample_size)
    results: list[RuleResult] = []
    previous: set[str] = set()
    for this_month, _ in valuations:
        independent = recomputed[this_month]
        paying_now = set(
            independent.filter((pl.col("mrr_minor") > 0.5) | pl.col("unknown"))["customer_id"]
        )
        churned_published = inputs.churned_by_month.get(this_month)
        results += sample_verification(
            independent,
            inputs.intermediate.filter(pl.col("month") == this_month).drop("month"),
            inputs.published.filter(pl.col("month") == this_month).select("customer_id", "mrr"),
            None if churned_published is None else int(churned_published),
            None if churned_published is None else len(previous - paying_now),
            sample,
            this_month,
            min_sample=10,
        )
        previous = paying_now
    if inputs.accounts is not None:
        results.append(accounts_mapped(inputs.published, inputs.accounts))
    return results
