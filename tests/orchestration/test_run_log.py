"""The terminal's stage lines and progress lines (orchestration/run_log.py), fed by the events of a
small real Dagster job, with a clock the test moves by hand."""

import os
import time
from pathlib import Path

import dagster as dg

from orchestration.run_log import Heartbeat, RunLog, StageReporter, elapsed


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


DBT_LINES = (
    "1 of 3 START sql table model marts.a ........ [RUN]\n"
    "1 of 3 OK created sql table model marts.a ... [OK in 0.1s]\n"
    "2 of 3 START sql table model marts.b ........ [RUN]\n"
    "2 of 3 PASS not_null_b_id ................... [PASS in 0.1s]\n"
)


def _job(clock: FakeClock, reporter: StageReporter, log: list[str]) -> dg.JobDefinition:
    """Two assets: `slow` lets 40 s pass with the reporter asked every second, `checked` has a
    passing check, a failing one and a failing one of warning severity (a dbt test with severity
    warn, a gate rule that does not block)."""

    @dg.asset
    def slow(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        context.log.info("loading drop 2026-11-18")
        for second in range(40):
            clock.now += 1
            if second == 20:
                log.append(DBT_LINES)  # dbt writes its node lines to the run log mid-step
            reporter.tick()
        return dg.MaterializeResult(metadata={"rows": 1234})

    @dg.asset(
        deps=[slow],
        check_specs=[
            dg.AssetCheckSpec("ok", asset="checked"),
            dg.AssetCheckSpec("bad", asset="checked"),
            dg.AssetCheckSpec("soft", asset="checked"),
        ],
    )
    def checked() -> dg.MaterializeResult:
        clock.now += 3
        return dg.MaterializeResult(
            check_results=[
                dg.AssetCheckResult(check_name="ok", passed=True),
                dg.AssetCheckResult(check_name="bad", passed=False),
                dg.AssetCheckResult(
                    check_name="soft", passed=False, severity=dg.AssetCheckSeverity.WARN
                ),
            ]
        )

    return dg.Definitions(assets=[slow, checked]).resolve_implicit_global_asset_job_def()


def test_a_line_per_step_with_counts_and_a_progress_line_every_15_seconds() -> None:
    clock, lines, log = FakeClock(), [], []
    reporter = StageReporter(
        lines.append,
        clock=clock,
        log_size=lambda: len("".join(log)),
        tail=lambda start: "".join(log)[start:],
    )
    instance = dg.DagsterInstance.ephemeral()
    job = _job(clock, reporter, log)
    run_id = "6f4c6f0e-0000-4000-8000-000000000001"
    instance.add_event_listener(run_id, reporter.handle)
    result = job.execute_in_process(instance=instance, run_id=run_id)
    assert result.success

    assert lines == [
        # 15 s without a line: where the step is, with its last message (no counts yet).
        "     … slow running 15s: loading drop 2026-11-18",
        # 15 s later: dbt's node lines written to the log during the step are counted.
        "     … slow running 30s: dbt 2/3 nodes",
        "[ 1] slow done in 40s: 1 asset materialised (1,234 rows); dbt 2/3 nodes",
        "[ 2] checked done in 3s: 1 asset materialised; 1 check passed, 1 warning, 1 failed",
    ]


def test_no_progress_line_within_15_seconds_of_the_last_line() -> None:
    clock, lines = FakeClock(), []
    reporter = StageReporter(lines.append, clock=clock)
    clock.now += 14.9
    reporter.tick()
    assert lines == []
    clock.now += 0.1
    reporter.tick()
    assert lines == ["     … loading the job, 15s since the run began"]
    clock.now += 10
    reporter.tick()
    assert len(lines) == 1


def test_elapsed_reads_as_a_person_would() -> None:
    assert [elapsed(s) for s in (7, 125, 3780)] == ["7s", "2m05s", "1h03m"]


def test_the_run_log_takes_the_process_output_and_the_terminal_keeps_the_stage_lines(
    tmp_path: Path, capfd
) -> None:
    with RunLog(tmp_path / "logs") as run_log:
        # As dbt's child process and library warnings write: to file descriptors 1 and 2.
        os.write(1, b"1 of 483 START sql table model audit.x ... [RUN]\n")
        os.write(2, b"BetaWarning: a library's warning\n")
        run_log.say("[ 1] ingest done in 2s")
    terminal = capfd.readouterr()
    file_text = run_log.path.read_text()
    assert terminal.out.splitlines() == [
        f"csw: run log: {run_log.path}",
        "csw: [ 1] ingest done in 2s",
        f"csw: run log: {run_log.path} (the run took 0s)",
    ]
    assert terminal.err == ""
    assert "1 of 483 START sql table model audit.x" in file_text
    assert "BetaWarning: a library's warning" in file_text
    assert "csw: [ 1] ingest done in 2s" in file_text


def test_verbose_leaves_the_output_on_the_terminal(tmp_path: Path, capfd) -> None:
    with RunLog(tmp_path / "logs", verbose=True):
        os.write(1, b"1 of 483 START sql table model audit.x ... [RUN]\n")
    assert "1 of 483 START" in capfd.readouterr().out


def test_a_failed_step_and_the_steps_it_stops_each_get_a_line() -> None:
    @dg.asset
    def broken() -> None:
        raise ValueError("the drop is unreadable")

    @dg.asset(deps=[broken])
    def after() -> None:
        return None

    clock, lines = FakeClock(), []
    reporter = StageReporter(lines.append, clock=clock)
    instance = dg.DagsterInstance.ephemeral()
    run_id = "6f4c6f0e-0000-4000-8000-000000000002"
    instance.add_event_listener(run_id, reporter.handle)
    job = dg.Definitions(assets=[broken, after]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert not result.success
    assert lines == [
        "[ 1] broken FAILED in 0s",
        "[ 2] after not run: a step before it failed",
    ]


def test_a_range_run_counts_each_asset_and_its_rows_once() -> None:
    # A run over three partitions materialises the asset three times, each event with its rows.
    @dg.asset(
        partitions_def=dg.DailyPartitionsDefinition("2026-11-01"),
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def daily() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"rows": 1234})

    clock, lines = FakeClock(), []
    reporter = StageReporter(lines.append, clock=clock)
    instance = dg.DagsterInstance.ephemeral()
    run_id = "6f4c6f0e-0000-4000-8000-000000000003"
    instance.add_event_listener(run_id, reporter.handle)
    job = dg.Definitions(assets=[daily]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        run_id=run_id,
        tags={
            "dagster/asset_partition_range_start": "2026-11-01",
            "dagster/asset_partition_range_end": "2026-11-03",
        },
    )
    assert len(result.get_asset_materialization_events()) == 3
    assert lines == ["[ 1] daily done in 0s: 1 asset materialised (1,234 rows)"]


def test_a_step_outside_the_job_says_it_is_alive_every_15_seconds_without_a_line() -> None:
    clock, lines = FakeClock(), []
    beat = Heartbeat(lines.append, "writing dbt docs", clock=clock)
    clock.now += 14.9
    beat.tick()
    assert lines == []
    clock.now += 0.1
    beat.tick()
    assert lines == ["     … writing dbt docs: 15s so far"]
    # A line of the step's own resets the wait: the next heartbeat is 15 s after it.
    clock.now += 10
    beat.say("drawing 40 accounts")
    clock.now += 14
    beat.tick()
    clock.now += 1
    beat.tick()
    assert lines[1:] == ["drawing 40 accounts", "     … writing dbt docs: 40s so far"]


def test_the_heartbeat_thread_beats_until_the_step_ends() -> None:
    lines: list[str] = []
    with Heartbeat(lines.append, "a step", interval=0.05):
        time.sleep(0.4)
    after = len(lines)
    time.sleep(0.2)
    assert after >= 2 and len(lines) == after
