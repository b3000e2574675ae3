"""Rule 12's MRR part: every month's MRR per customer recomputed by the independent path
(`independent_revenue`) against the dbt intermediate and the published mart, and the account each
customer's revenue is shown under.

Pure judges: the staged Stripe objects and accounts, and the dbt outputs they check, in; results out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from transforms.gate.independent_revenue import independent_invoice_line_mrr, independent_mrr
from transforms.gate.results import Absent, RuleResult, listed, not_applicable
from transforms.gate.sampling import sample_accounts

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
