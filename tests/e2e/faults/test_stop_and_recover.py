"""Faults that stop a run, and crashes, on one warehouse in sequence; then one clean run publishes
what a run that never saw them publishes (issue #29: items 2, 5, 6, 7, 8, 9).

The chain runs once per module (each step starts from where the previous left the warehouse, as
an operator would meet them): a kill -9 of the process group during ingest; misnamed files; a
file and a drop folder linked outside the extracts root, beside a folder that is not a date; the
files fixed and a run killed (its process alone) during dbt while a second run tries the held
warehouse; a kill -9 of the process group during publish; then a plain `csw run`. Each test
checks one step's exit code, message, published file and accounting.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest

from tests.e2e.faults.conftest import (
    Tiny,
    Warehouse,
    copy_of,
    gone_within,
    mart_differences,
    run_log_text,
    sha,
    unaccounted,
    wait_for,
)

pytestmark = pytest.mark.slow

MISNAMED = {
    ("stripe", "subscriptions.jsonl"): "subscriptions (1).jsonl",
    ("ticketing", "tickets.jsonl"): "tickets é.jsonl",
    ("app_db", "nps_responses.csv"): "nps responses.csv",
}


@dataclass
class Chain:
    copy: Warehouse
    baseline_sha: str
    steps: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)
    # the published file's sha256 after each step
    shas: dict[str, str] = field(default_factory=dict)

    def record(self, name: str, step: subprocess.CompletedProcess[str]) -> None:
        self.steps[name] = step
        self.shas[name] = sha(self.copy.published)


def _killed(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, _ = process.communicate(timeout=900)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "")


def _fix_names(copy: Warehouse) -> None:
    for (source, right), wrong in MISNAMED.items():
        (copy.drop(source) / wrong).rename(copy.drop(source) / right)


@pytest.fixture(scope="module")
def chain(tiny: Tiny, tmp_path_factory: pytest.TempPathFactory) -> Chain:
    root = tmp_path_factory.mktemp("stop_and_recover")
    copy = copy_of(tiny, root)
    state = Chain(copy, sha(copy.published))
    d3 = copy.dates[-1]

    # 1. kill -9 of the process group while stripe's drop is written.
    state.record("ingest", _killed(copy.crash("ingest")))
    state.notes["lock_after_ingest"] = (copy.warehouse / ".csw-run.lock").read_text()
    state.notes["pending_after_ingest"] = copy.query(
        "select table_name from information_schema.tables where table_schema = 'ingest_pending'"
    )
    state.notes["stripe_rows_after_ingest"] = copy.query(
        "select count(*) from raw.stripe__subscriptions where _drop_date = ?", [d3]
    )[0][0]

    # 2. three declared files delivered under other names.
    for (source, right), wrong in MISNAMED.items():
        (copy.drop(source) / right).rename(copy.drop(source) / wrong)
    state.record("misnamed", copy.csw("run"))
    state.notes["log_misnamed"] = copy.query(
        "select source, file, status, manifest_rows, message from audit.ingest_log "
        "where drop_date = ? and status in ('missing_file', 'ignored_file') order by all",
        [d3],
    )

    # 3. names fixed; a file linked to /etc/passwd, a drop folder linked outside the root, and a
    # folder that is not a date.
    _fix_names(copy)
    charges = copy.drop("stripe") / "charges.jsonl"
    charges.unlink()
    charges.symlink_to("/etc/passwd")
    outside = root / "outside" / d3.isoformat()
    shutil.move(copy.drop("ticketing"), outside)
    copy.drop("ticketing").symlink_to(outside, target_is_directory=True)
    (copy.extracts / "stripe" / "2026-13-45").mkdir()
    state.record("outside", copy.csw("run"))
    state.notes["passwd_rows"] = copy.query(
        "select count(*) from raw.quarantine where raw_text like 'root:%'"
    )[0][0]

    # 4. everything fixed; the run's process killed alone while its dbt child runs, after a second
    # run tried the held warehouse.
    charges.unlink()
    shutil.copy(tiny.extracts / "stripe" / d3.isoformat() / "charges.jsonl", charges)
    copy.drop("ticketing").unlink()
    shutil.move(outside, copy.drop("ticketing"))
    pid_file, go_file = root / "dbt.pid", root / "go"
    running = copy.crash(
        "dbt", {"CSW_FAULT_CHILD_PID_FILE": str(pid_file), "CSW_FAULT_GO_FILE": str(go_file)}
    )
    dbt_pid = int(wait_for(pid_file))
    state.notes["holder_pid"] = running.pid
    state.record("second_run", copy.csw("run"))
    go_file.touch()
    state.record("dbt", _killed(running))
    state.notes["dbt_child_gone"] = gone_within(dbt_pid, 10)

    # 5. kill -9 of the process group when the new publication is about to be renamed in.
    state.record("publish", _killed(copy.crash("publish")))
    state.notes["partials"] = sorted(
        p.name for p in copy.published.parent.iterdir() if ".partial" in p.name
    )
    state.notes["publications_after_publish_kill"] = copy.query(
        "select count(*) from audit.publications where as_of_date = ?", [d3]
    )[0][0]

    # 6. the next plain run.
    state.record("final", copy.csw("run"))
    return state


def test_kill_at_ingest_leaves_no_half_drop_and_the_lock_names_the_dead_run(chain: Chain) -> None:
    step = chain.steps["ingest"]
    assert step.returncode == -9, step.stdout[-3000:]
    assert chain.shas["ingest"] == chain.baseline_sha
    # stripe's transaction never committed: none of its rows of d3 are in raw; the run's note is
    # still in the lock file (the kernel released the lock itself).
    assert chain.notes["stripe_rows_after_ingest"] == 0
    assert '"command": "csw run"' in chain.notes["lock_after_ingest"]


def test_misnamed_declared_files_stop_publication_by_name(chain: Chain) -> None:
    step = chain.steps["misnamed"]
    assert step.returncode == 2, step.stdout[-3000:] + step.stderr[-3000:]
    # The killed run is named and its leftovers (stripe's pending tables) cleaned.
    assert "did not finish" in step.stdout
    assert chain.notes["pending_after_ingest"], "the ingest kill should have left pending tables"
    # Which pending tables were dropped is in the run's Dagster log, in the run log file.
    assert "left by an interrupted run" in run_log_text(step)
    for (source, right), wrong in MISNAMED.items():
        assert f"[{source}/{chain.copy.dates[-1]}/{right}] declared by the manifest" in step.stderr
        assert wrong in step.stderr
    assert "r11_nothing_lost" in step.stderr
    assert chain.shas["misnamed"] == chain.baseline_sha
    # Every declared file counted: missing ones with the manifest's rows, the others named.
    logged = {(source, file, status) for source, file, status, _, _ in chain.notes["log_misnamed"]}
    for (source, right), wrong in MISNAMED.items():
        assert (source, right, "missing_file") in logged
        assert (source, wrong, "ignored_file") in logged


def test_links_out_of_the_root_are_refused_and_odd_folders_skipped(chain: Chain) -> None:
    step = chain.steps["outside"]
    assert step.returncode == 2, step.stdout[-3000:] + step.stderr[-3000:]
    assert "charges.jsonl" in step.stderr and "leads to /etc/passwd" in step.stderr
    assert f"ticketing/{chain.copy.dates[-1]}" in step.stderr
    assert "stripe/2026-13-45: skipped" in step.stdout
    assert chain.notes["passwd_rows"] == 0
    assert chain.shas["outside"] == chain.baseline_sha


def test_second_run_is_refused_and_dbt_dies_with_its_parent(chain: Chain) -> None:
    second = chain.steps["second_run"]
    assert second.returncode == 5, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"pid {chain.notes['holder_pid']}" in second.stderr
    assert chain.steps["dbt"].returncode == -9
    assert chain.notes["dbt_child_gone"], "dbt outlived the run that started it"
    assert chain.shas["dbt"] == chain.baseline_sha


def test_kill_at_publish_leaves_the_publication_and_no_record(chain: Chain) -> None:
    step = chain.steps["publish"]
    assert step.returncode == -9, step.stdout[-3000:]
    assert chain.shas["publish"] == chain.baseline_sha
    assert chain.notes["publications_after_publish_kill"] == 0
    assert chain.notes["partials"], "the kill came before the rename: a partial file is left"


def test_next_run_cleans_up_loads_what_is_missing_and_publishes_as_control(
    chain: Chain, tiny: Tiny
) -> None:
    step = chain.steps["final"]
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-3000:]
    copy, d3 = chain.copy, chain.copy.dates[-1]
    assert "did not finish" in step.stdout
    for partial in chain.notes["partials"]:
        assert partial in step.stdout
    assert not [p for p in copy.published.parent.iterdir() if ".partial" in p.name]
    assert copy.query("select max(as_of_date) from audit.publications", published=True) == [(d3,)]
    assert copy.query(
        "select count(*) from audit.publications where as_of_date = ?", [d3], published=True
    ) == [(1,)]
    assert unaccounted(copy, d3) == []
    assert mart_differences(tiny.control_published, copy.published) == []


def test_nothing_new_is_said_plainly_with_exit_0(chain: Chain) -> None:
    step = chain.copy.csw("run")
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-3000:]
    assert "nothing new" in step.stdout
    assert json.loads((chain.copy.warehouse / ".csw-run.lock").read_text() or "{}") == {}
