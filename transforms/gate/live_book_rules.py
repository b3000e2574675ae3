"""Rules 18 and 19 of the publish gate (the live book, a delivered day is a covered day), and the
part of rule 16 that judges the daily health inputs' rates against their denominators.

Pure judges of counts the evidence reader (orchestration/gate/live_book_evidence.py) takes from
the build database: the customer status per day (int_account_status_daily) against the live-book
tables, the share of live accounts scored per delivered day, and the rates of
int_account_daily_metrics that have a value where their denominator is 0 or missing.
"""

from __future__ import annotations

import polars as pl

from transforms.gate.independent_status import judged_rows, rows_of_customers_not_live
from transforms.gate.results import RuleResult, Status, listed, not_applicable

LIVE_BOOK_RULE = "r18_live_book"
COVERED_DAY_RULE = "r19_delivered_day_covered"
NO_DEFAULTS_RULE = "r16_no_defaulted_inputs"
#: Words a portfolio figure's population must name (metrics.md, population).
POPULATION_WORD = "live"


def live_book_only(
    outside: pl.DataFrame | None, portfolio_units: pl.DataFrame | None
) -> list[RuleResult]:
    """Rule 18: no health score, churn signal, alert or lifecycle-risk row for an account that is not
    live that day (churned after its terminal day, never paid, paused, or of unknown status); the
    portfolio figures state their population.

    `outside` (None: no status built yet): table, rows (checked), outside (rows of an account not
    in the live book that day), example (one such account and day, or NULL).
    `portfolio_units`: kpi, period_type, sample_unit of the portfolio KPI rows (None: no
    scorecard)."""
    if outside is None:
        return [not_applicable(LIVE_BOOK_RULE, "live-book tables", "no customer status built yet")]
    results = []
    for table, rows, count, example in outside.sort("table").iter_rows():
        results.append(
            RuleResult(
                LIVE_BOOK_RULE,
                table,
                "fail" if count else "pass",
                f"{count} of {rows} rows for an account not live that day",
                "error on any",
                f"{table} has rows outside the live book (e.g. {example})"
                if count
                else "every row is of a live account or a churned account's terminal day",
            )
        )
    if portfolio_units is not None and portfolio_units.height:
        unstated = portfolio_units.filter(
            ~pl.col("sample_unit").fill_null("").str.contains(POPULATION_WORD)
        )
        results.append(
            RuleResult(
                LIVE_BOOK_RULE,
                "marts.kpi_scorecard portfolio figures",
                "fail" if unstated.height else "pass",
                f"{unstated.height} of {portfolio_units.height} rows without their population",
                f"every sample_unit names the {POPULATION_WORD} book",
                "portfolio rows do not say they count the live book"
                if unstated.height
                else "population stated",
            )
        )
    return results


def delivered_days_covered(
    days: pl.DataFrame | None, warn_points: float, error_points: float
) -> list[RuleResult]:
    """Rule 19: on a day whose drops were all delivered, the share of live accounts with a health
    score does not fall below the day before's by more than the tolerance (an empty drop means
    nothing changed, not that nothing is known).

    `days` (None: nothing to judge): as_of_date, delivered (every required source delivered a
    drop dated that day), live_accounts, scored_accounts, sorted or not; a day is judged when it
    was delivered and the day before is in the frame with live accounts."""
    if days is None or days.height < 2:
        return [not_applicable(COVERED_DAY_RULE, "health_scores_daily", "fewer than two days")]
    ordered = days.sort("as_of_date").with_columns(
        share=pl.when(pl.col("live_accounts") > 0).then(
            100.0 * pl.col("scored_accounts") / pl.col("live_accounts")
        )
    )
    results: list[RuleResult] = []
    threshold = f"warn > {warn_points:g} points, error > {error_points:g} points"
    previous = None
    for row in ordered.iter_rows(named=True):
        before, previous = previous, row
        consecutive = before is not None and (row["as_of_date"] - before["as_of_date"]).days == 1
        if not (row["delivered"] and consecutive and before["share"] is not None):
            continue
        share = row["share"] if row["share"] is not None else 0.0
        fall = before["share"] - share
        status: Status = "fail" if fall > error_points else "warn" if fall > warn_points else "pass"
        results.append(
            RuleResult(
                COVERED_DAY_RULE,
                f"marts.health_scores_daily {row['as_of_date']}",
                status,
                f"{share:.1f}% of {row['live_accounts']} live accounts scored, "
                f"{before['share']:.1f}% the day before",
                threshold,
                f"{row['as_of_date']}: drops delivered, yet the scored share of live accounts "
                f"fell {fall:.1f} points"
                if status != "pass"
                else f"{row['as_of_date']}: the scored share held",
            )
        )
    if not results:
        return [
            not_applicable(COVERED_DAY_RULE, "health_scores_daily", "no delivered day to compare")
        ]
    return results


def live_by_raw_stripe(
    checked: pl.DataFrame | None,
    accounts: pl.DataFrame | None,
    subscriptions: pl.DataFrame | None,
) -> list[RuleResult]:
    """Rule 18, judged independently of the customer status it checks: no live-book row (health,
    signal, at-risk transition, alert) of the last days for an account whose Stripe customer had
    no active, past_due or trialing subscription that day nor the day before, by the raw
    subscription rows (`independent_status`). Catches a status that calls a churned or never-paid
    account live, which the status-based part cannot see.

    `checked`: table, account_id, day; `accounts`: account_id, stripe_customer_id;
    `subscriptions`: id, customer, status, _drop_date, _line (None: not built or not loaded)."""
    target = "live-book rows of the last days against raw Stripe subscriptions"
    if checked is None or accounts is None or subscriptions is None:
        return [not_applicable(LIVE_BOOK_RULE, target, "no live-book rows or raw Stripe rows yet")]
    judged = judged_rows(checked, subscriptions).height
    outside = rows_of_customers_not_live(checked, accounts, subscriptions)
    examples = [
        f"{r['account_id']} on {r['day']} in {r['table']}"
        + (f" (customer {r['customer']})" if r["customer"] else " (no Stripe customer)")
        for r in outside.unique(["account_id"], keep="first", maintain_order=True).iter_rows(
            named=True
        )
    ]
    return [
        RuleResult(
            LIVE_BOOK_RULE,
            target,
            "fail" if outside.height else "pass",
            f"{outside.height} of {judged} rows ({outside['account_id'].n_unique()} accounts) with "
            "no live subscription in Stripe that day or the day before (days after the first drop)",
            "error on any",
            "rows published for accounts Stripe shows not live: " + listed(examples, 4)
            if outside.height
            else "every account with a live-book row had a live Stripe subscription",
        )
    ]


def daily_rates_without_denominator(counts: pl.DataFrame | None) -> list[RuleResult]:
    """Rule 16 (daily health inputs): a rate of int_account_daily_metrics has no value where its
    denominator is 0 or missing — a value there was computed from a filled default (dau_mau_ratio
    was 0.0 with no monthly active user, and scored).

    `counts` (None: the daily metrics or a denominator column not built): rate, denominator,
    rows, filled (rows with a value where the denominator is NULL or 0)."""
    if counts is None:
        return [
            not_applicable(
                NO_DEFAULTS_RULE, "intermediate.int_account_daily_metrics", "not built yet"
            )
        ]
    return [
        RuleResult(
            NO_DEFAULTS_RULE,
            f"intermediate.int_account_daily_metrics.{rate}",
            "fail" if filled else "pass",
            f"{filled} of {rows} rows with a value where {denominator} is NULL or 0",
            "error on any filled default",
            f"{rate} computed without its denominator {denominator}"
            if filled
            else "no filled default",
        )
        for rate, denominator, rows, filled in counts.sort("rate").iter_rows()
    ]
