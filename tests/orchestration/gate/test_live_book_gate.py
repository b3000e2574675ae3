"""Rules 18 and 19 and rule 16's daily-rate part blocking a copy of the session warehouse broken
the way each exists to catch (validation.md rules 16, 18, 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.orchestration.gate.conftest import Built
from tests.orchestration.gate.test_gate_rules import _blocked

pytestmark = pytest.mark.slow

METRICS = "intermediate.int_account_daily_metrics"


def test_r18_a_health_row_for_an_account_not_live_that_day_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    # The account scored first on the as-of date is, on the status, churned since the day before:
    # its score that day is a row outside the live book.
    account = (
        f"(select min(account_id) from marts.health_scores_daily "
        f"where as_of_date = date '{built.as_of}')"
    )
    reason = _blocked(
        built,
        warehouse_copy,
        "r18_live_book",
        f"update {METRICS} set customer_status = 'churned', in_live_book = false "
        f"where account_id = {account} and as_of_date = date '{built.as_of}'",
    )
    assert "marts.health_scores_daily has rows outside the live book" in reason
    assert f"on {built.as_of}" in reason


def test_r18_a_portfolio_figure_without_its_population_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r18_live_book",
        "update marts.kpi_scorecard set sample_unit = 'accounts with a health score' "
        "where kpi = 'portfolio_mean_health_score'",
    )
    assert "portfolio rows do not say they count the live book" in reason


def test_r19_scores_emptied_on_a_delivered_day_block(built: Built, warehouse_copy: Path) -> None:
    # The quiet-day defect: the as-of day's drops were delivered, yet its scores went NULL.
    reason = _blocked(
        built,
        warehouse_copy,
        "r19_delivered_day_covered",
        "update marts.health_scores_daily set score = null, score_display = null, grade = null, "
        f"reason = 'insufficient_data' where as_of_date = date '{built.as_of}'",
    )
    assert "the scored share of live accounts fell" in reason


def test_r16_a_daily_rate_from_a_zero_denominator_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    # dau_mau_ratio 0.0 with no monthly active user: the filled default of issue #21.
    reason = _blocked(
        built,
        warehouse_copy,
        "r16_no_defaulted_inputs",
        f"update {METRICS} set monthly_active_users = 0, dau_mau_ratio = 0.0 "
        f"where as_of_date = date '{built.as_of}' and dau_mau_ratio is not null",
    )
    assert "dau_mau_ratio computed without its denominator monthly_active_users" in reason


def test_r18_a_status_that_calls_a_never_paid_account_live_blocks_by_raw_stripe(
    built: Built, warehouse_copy: Path
) -> None:
    # The defect rule 18's status-based part shares: the status itself calls live an account that
    # Stripe never billed (never paid the day before, and no subscription live in the raw rows).
    # Its health row then sits inside that status, and only the side derived from the raw Stripe
    # subscriptions can see it.
    account = (
        "(select min(account_id) from intermediate.int_account_status_daily "
        f"where as_of_date = date '{built.as_of}' - 1 and customer_status = 'never_paid')"
    )
    reason = _blocked(
        built,
        warehouse_copy,
        "r18_live_book",
        f"update {METRICS} set customer_status = 'paying', in_live_book = true "
        f"where account_id = {account} and as_of_date = date '{built.as_of}'",
        "insert into marts.health_scores_daily select * replace "
        f"({account} as account_id) from marts.health_scores_daily "
        f"where as_of_date = date '{built.as_of}' limit 1",
    )
    assert "rows published for accounts Stripe shows not live" in reason
    # The status-based part saw nothing wrong: the status said live.
    assert "marts.health_scores_daily has rows outside the live book" not in reason
