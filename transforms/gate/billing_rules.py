"""Rule 6: published MRR per customer and month reconciles with what Stripe billed.

Pure judges: the published mart and rule 6's account of the raw invoices
(transforms/gate/independent_billing.py) in, the comparison and results out.
"""

from __future__ import annotations

import polars as pl

from transforms.gate.results import RuleResult, listed, not_applicable

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
    known) or a billed amount in a currency with no FX rate is not compared, and says why; so is a
    date before the first drop on which a subscription counts with no invoice covering it
    (metrics.md §1 values it at its current price: no invoice can confirm that).

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
                "unbilled",
                "drafted",
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
        .when(pl.col("unbilled").fill_null(0) > 0)
        .then(
            pl.lit(
                "not compared: a subscription counted with no invoice covering the date "
                "(before the first drop, or its renewal's invoice not delivered yet)"
            )
        )
        .when(pl.col("drafted").fill_null(0) > 0)
        .then(
            pl.lit(
                "not compared: a change's invoice is still a draft on the date (Stripe finalizes "
                "it within the hour; the next day's drop has it)"
            )
        )
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
