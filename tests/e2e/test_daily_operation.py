"""Daily operation through Dagster: the schedule's job for two consecutive days, a re-run that changes
no published mart, and `csw rollback` restoring the publication before."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import PUBLISH_KEY
from tests.warehouses import DailyOperation

pytestmark = pytest.mark.slow


def _publications(published_db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        return [
            (run_id, as_of.isoformat())
            for run_id, as_of in con.execute(
                "select run_id, as_of_date from audit.publications order by published_at"
            ).fetchall()
        ]
    finally:
        con.close()


def test_the_schedule_runs_two_consecutive_days_and_publishes_the_second(
    daily_operation: DailyOperation,
) -> None:
    d3, d4 = daily_operation.drop_dates[2:]
    # Ticks at 06:00 UTC on d3+1 and d4+1 each ask for the day before: d3, then d4.
    assert daily_operation.scheduled_partitions == [d3.isoformat(), d4.isoformat()]
    for result in daily_operation.scheduled_results:
        failures = [e.message for e in result.all_events if e.is_step_failure]
        assert result.success, failures
        published = [
            e for e in result.get_asset_materialization_events() if e.asset_key == PUBLISH_KEY
        ]
        assert len(published) == 1
    second = daily_operation.scheduled_results[1]
    (event,) = [e for e in second.get_asset_materialization_events() if e.asset_key == PUBLISH_KEY]
    assert event.partition == d4.isoformat()
    # The file published by the second scheduled run (before the idempotence re-run) is the d4 one.
    as_of_by_run = dict(_publications(daily_operation.settings.published_db))
    assert as_of_by_run[daily_operation.scheduled_results[0].run_id] == d3.isoformat()
    assert as_of_by_run[second.run_id] == d4.isoformat()


def test_running_a_day_twice_changes_no_published_mart(daily_operation: DailyOperation) -> None:
    assert daily_operation.rerun_success
    first, rerun = daily_operation.hashes_first, daily_operation.hashes_rerun
    # The main marts have rows: an empty table would hash the same both times and prove nothing.
    for mart in (
        "mrr_monthly",
        "revenue_retention_monthly",
        "health_scores_daily",
        "kpi_scorecard",
    ):
        assert not first[mart].startswith("0:"), (mart, first[mart])
    assert rerun == first


def test_rollback_through_the_cli_restores_the_previous_publication(
    daily_operation: DailyOperation, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse"
    shutil.copytree(daily_operation.settings.published_dir, warehouse / "published")
    published = warehouse / "published" / "analytics.duckdb"
    runs_before = [run_id for run_id, _ in _publications(published)]
    history = sorted((warehouse / "published" / "history").glob("analytics-*.duckdb"))
    assert history, "four publications leave earlier ones in history"

    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "rollback", "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The restored file is the publication before the last: it knows every run but the newest.
    runs_after = [run_id for run_id, _ in _publications(published)]
    assert runs_after == runs_before[:-1]
    assert not history[-1].exists()


def test_dbt_docs_are_generated_as_one_static_page(
    daily_operation: DailyOperation, tmp_path: Path
) -> None:
    from orchestration.cli import cmd_docs
    from orchestration.settings import Settings

    # Docs of the session's build database, written under a copy's warehouse directory.
    settings = Settings(
        extracts_dir=daily_operation.settings.extracts_dir,
        warehouse_dir=tmp_path / "warehouse",
    )
    (tmp_path / "warehouse" / "build").mkdir(parents=True)
    shutil.copy2(daily_operation.settings.build_db, settings.build_db)
    page = cmd_docs(settings)
    assert page == settings.warehouse_dir / "docs" / "static_index.html"
    text = page.read_text(encoding="utf-8")
    assert "model.cs_warehouse.kpi_scorecard" in text
    # Our overview replaces dbt's "Welcome" page, and the spec it links to sits beside the page.
    assert "How to read a published number" in text
    assert (page.parent / "spec" / "metrics.md").is_file()
