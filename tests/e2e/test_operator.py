"""What the operator sees of a real `csw run` (issue #26): the run recorded on the warehouse's
Dagster instance, which `csw ui` (dagster dev) opens, and a short terminal with the rest in the
run log file. Both read the session's `revenue_run` (tests/e2e/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from orchestration.publish import PUBLISH_KEY
from tests.e2e.conftest import ROOT, CliRun

pytestmark = pytest.mark.slow

# The tiny run's terminal: a line per step (18), a few progress lines, the outcome: about 30
# lines. Before the run log took dbt's and Dagster's output, a run of 150 accounts printed 1,385.
MAX_TERMINAL_LINES = 100


def test_the_run_is_on_the_warehouse_dagster_instance(revenue_run: CliRun) -> None:
    home = revenue_run.warehouse / "dagster_home"
    assert (home / "dagster.yaml").is_file()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "csw_daily"
        assert run.status == dg.DagsterRunStatus.SUCCESS

        published = instance.get_latest_materialization_event(PUBLISH_KEY)
        assert published is not None and published.run_id == run.run_id

        evaluations = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        checks = {
            record.event_log_entry.dagster_event.event_specific_data.check_name: (
                record.event_log_entry.dagster_event.event_specific_data.passed
            )
            for record in evaluations
        }
    # The gate's checks, each evaluated and passed, as the UI's asset checks show them.
    assert checks["r01_nps_formula"] is True
    assert len(checks) > 20


def test_no_temporary_dagster_home_is_left_in_the_repository(revenue_run: CliRun) -> None:
    assert not list(ROOT.glob(".tmp_dagster_home_*"))


def test_the_terminal_is_short_and_names_the_run_log(revenue_run: CliRun) -> None:
    out = revenue_run.result.stdout
    lines = out.splitlines()
    assert len(lines) <= MAX_TERMINAL_LINES, out
    # The run log's path, first and last thing the run says.
    logs = re.findall(r"^csw: run log: (\S+)", out, re.MULTILINE)
    assert len(logs) == 2 and logs[0] == logs[1], out
    log = Path(logs[0])
    assert log.parent == revenue_run.warehouse / "logs"
    # A line per step with its elapsed time, the publish step among them.
    assert re.search(r"^csw: \[\s*\d+\] publish\S* done in \d+", out, re.MULTILINE), out
    # Neither dbt's node lines nor library warnings on the terminal, on stdout or stderr.
    terminal = out + revenue_run.result.stderr
    assert not re.search(r"\d+ of \d+ (START|OK|PASS)", terminal)
    assert "Warning" not in terminal and "AssetObservation" not in terminal

    text = log.read_text()
    assert re.search(r"^\d+ of \d+ OK created sql table model", text, re.MULTILINE)
    assert "BetaWarning" in text
    assert "csw_daily" in text  # Dagster's own log of the run
