"""One small warehouse built once per session; each gate test breaks a copy and re-runs gate + publish."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.settings import Settings

CSW = [sys.executable, "-m", "orchestration.cli"]
# Local iteration only: reuse a warehouse already built from extracts by `csw run` (both paths).
REUSE = os.environ.get("CSW_GATE_TEST_REUSE")


@dataclass(frozen=True)
class Built:
    extracts: Path
    warehouse: Path
    as_of: dt.date


@dataclass(frozen=True)
class GateRun:
    published: bool
    reason: str
    result: dg.ExecuteInProcessResult
    settings: Settings


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if REUSE:
        extracts, warehouse = (Path(p) for p in REUSE.split(":"))
    else:
        root = tmp_path_factory.mktemp("gate")
        extracts, warehouse = root / "extracts", root / "warehouse"
        generated = subprocess.run(
            [*CSW, "generate", "--accounts", "150", "--months", "8", "--seed", "11", "--out", str(extracts)],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert generated.returncode == 0, generated.stderr[-3000:]
        run = subprocess.run(
            [*CSW, "run", "--extracts", str(extracts), "--warehouse", str(warehouse)],
            capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    con = duckdb.connect(str(warehouse / "published" / "analytics.duckdb"), read_only=True)
    as_of = con.execute("select max(as_of_date) from audit.publications").fetchall()[0][0]
    con.close()
    return Built(extracts, warehouse, as_of)


@pytest.fixture
def warehouse_copy(built: Built, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse"
    shutil.copytree(built.warehouse, copy)
    return copy


def break_build(warehouse: Path, *statements: str) -> None:
    con = duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def run_gate_and_publish(extracts: Path, warehouse: Path, as_of: dt.date) -> GateRun:
    """The daily job's gate and publish steps only, checks included, over the copied build database."""
    from orchestration.definitions import DAILY_JOB_NAME, build_definitions
    from orchestration.gate.asset import GATE_KEY
    from orchestration.publish import PUBLISH_KEY
    from orchestration.runner import _outcome

    settings = Settings(extracts_dir=extracts, warehouse_dir=warehouse)
    defs = build_definitions(settings)
    job = defs.resolve_job_def(DAILY_JOB_NAME)
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[GATE_KEY, PUBLISH_KEY],
        tags={
            "dagster/asset_partition_range_start": as_of.isoformat(),
            "dagster/asset_partition_range_end": as_of.isoformat(),
        },
        raise_on_error=False,
    )
    outcome = _outcome(result, as_of, settings.build_db)
    return GateRun(outcome.published, outcome.reason, result, settings)


def check_rows(warehouse: Path, run_id: str, published: bool) -> list[tuple]:
    """This run's rows of audit.check_results (from the published file, or the build database)."""
    path = (
        warehouse / "published" / "analytics.duckdb"
        if published
        else warehouse / "build" / "warehouse.duckdb"
    )
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select rule, target, status, observed_value from audit.check_results where run_id = ?",
            [run_id],
        ).fetchall()
    finally:
        con.close()
