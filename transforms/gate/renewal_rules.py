"""The renewal rule of the publish gate (metrics.md §11): the published renewals are the ones the raw
Stripe invoices hold, and each published outcome is the one Stripe's billing gives
(transforms/gate/independent_renewals.py)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.independent_renewals import renewal_outcomes
from transforms.gate.results import Absent, RuleResult, listed, not_applicable

RULE = "r22_renewal_outcomes"
TARGET = "marts.renewals"


def _window(terms: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The renewals marts.renewals lists: due in the next 180 days or of the past 24 months."""
    earliest = pl.lit(as_of).dt.offset_by("-24mo")
    return terms.filter(
        (pl.col("term_end") > earliest) & (pl.col("term_end") <= as_of + dt.timedelta(days=180))
    )


def _billed_months(comparison: pl.DataFrame) -> pl.DataFrame:
    """Rule 6's customer-months as the billed MRR the outcomes are judged on."""
    return comparison.select(
        pl.col("stripe_customer_id").alias("customer_id"),
        "month",
        "billed_mrr",
        billed_known=~pl.col("status").str.starts_with("not compared"),
    )


def renewals_from_stripe(
    published: pl.DataFrame | None,
    terms: pl.DataFrame | Absent,
    comparison: pl.DataFrame | None,
    as_of: dt.date,
    grace_days: int,
) -> list[RuleResult]:
    """Fail on a renewal Stripe holds that is not published (or one published that it does not
    hold), and on a published outcome that differs from the one Stripe's billing gives.

    `published`: marts.renewals' subscription_id, term_end, outcome; `terms`:
    independent_renewals.renewal_terms; `comparison`: rule 6's customer-months."""
    if published is None or comparison is None:
        return [not_applicable(RULE, TARGET, "marts.renewals or marts.mrr_monthly not built")]
    if isinstance(terms, Absent):
        return [not_applicable(RULE, TARGET, terms.reason)]
    derived = renewal_outcomes(_window(terms, as_of), _billed_months(comparison), as_of, grace_days)
    keys = ["subscription_id", "term_end"]
    joined = derived.join(
        published.select(*keys, pl.col("outcome").alias("published_outcome"), is_published=True),
        on=keys,
        how="full",
        coalesce=True,
    )
    missing = joined.filter(pl.col("is_published").is_null())
    extra = joined.filter(pl.col("outcome_measurable").is_null())
    compared = joined.filter(pl.col("outcome_measurable") & pl.col("is_published").is_not_null())
    differing = compared.filter(
        pl.col("outcome").ne_missing(pl.col("published_outcome"))
    ).with_columns(
        shown=pl.format(
            "{}:{} published {} Stripe {}",
            "subscription_id",
            "term_end",
            pl.col("published_outcome").fill_null("none"),
            pl.col("outcome").fill_null("none"),
        )
    )
    observed = (
        f"{derived.height} renewals in Stripe's invoices, {published.height} published; "
        f"{compared.height} outcomes measurable, {differing.height} differ"
    )
    problems = []
    if missing.height:
        problems.append(
            f"{missing.height} renewals Stripe holds are not published: "
            + listed([f"{s}:{t}" for s, t in missing.select(keys).iter_rows()])
        )
    if extra.height:
        problems.append(
            f"{extra.height} published renewals Stripe does not hold: "
            + listed([f"{s}:{t}" for s, t in extra.select(keys).iter_rows()])
        )
    if differing.height:
        problems.append(
            f"{differing.height} outcomes differ from Stripe's billing: "
            + listed(differing["shown"].to_list())
        )
    if problems:
        return [RuleResult(RULE, TARGET, "fail", observed, "any difference", "; ".join(problems))]
    return [
        RuleResult(
            RULE,
            TARGET,
            "pass",
            observed,
            "any difference",
            "every renewal and measurable outcome agrees with the raw Stripe invoices",
        )
    ]
