"""One tiny generated warehouse per session, broken in copies by the fault and crash tests.

The generator writes 80 accounts × 3 months as three drops: d1 (the full history), d2 and d3
(daily increments), without injected flaws so every quarantined row is one a test put there.
`baseline` is the warehouse after `csw run --from d1 --to d2` (published as of d2); `control` is a
copy of it after a plain `csw run` of the clean d3: the publication a run that never saw a fault
makes. Each test copies the pristine extracts and the baseline warehouse, breaks d3 (or the run),
and compares what it publishes with `control`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.compare import compare_publications
from synthetic.generator import generate_drops

CSW = [sys.executable, "-m", "orchestration.cli"]
CRASH_AT = [sys.executable, "-m", "tests.e2e.faults.crash_at"]
ROOT = Path(__file__).resolve().parents[3]
END = dt.date(2026, 11, 20)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Tiny:
    extracts: Path
    dates: list[dt.date]
    baseline: Path
    control_published: Path


@dataclass
class Warehouse:
    """A copy of the pristine extracts and of the baseline warehouse, for one test to break."""

    extracts: Path
    warehouse: Path
    dates: list[dt.date]

    @property
    def published(self) -> Path:
        return self.warehouse / "published" / "analytics.duckdb"

    @property
    def build(self) -> Path:
        return self.warehouse / "build" / "warehouse.duckdb"

    def drop(self, source: str, day: dt.date | None = None) -> Path:
        return self.extracts / source / (day or self.dates[-1]).isoformat()

    def where(self) -> list[str]:
        return ["--extracts", str(self.extracts), "--warehouse", str(self.warehouse)]

    def csw(self, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
        """`csw run` (or another command taking both paths) on this copy."""
        return subprocess.run(
            [*CSW, *args, *self.where()], capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )

    def crash(self, point: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start a plain `csw run` that tests/e2e/faults/crash_at.py kills at `point`."""
        return subprocess.Popen(
            [*CRASH_AT, point, "run", *self.where()],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def query(self, sql: str, params: list | None = None, published: bool = False) -> list[tuple]:
        con = duckdb.connect(str(self.published if published else self.build), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def run_log_text(result: subprocess.CompletedProcess[str]) -> str:
    """The run log a `csw run` named on its terminal: Dagster's log of the run, dbt's lines."""
    named = re.search(r"^csw: run log: (\S+)", result.stdout, re.MULTILINE)
    return Path(named.group(1)).read_text() if named else ""


def run_csw(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CSW, *args], capture_output=True, text=True, timeout=1800, cwd=ROOT)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Tiny:
    root = tmp_path_factory.mktemp("faults")
    summary = generate_drops(
        root / "extracts",
        accounts=80,
        months=3,
        seed=29,
        end_date=END,
        incremental_days=2,
        flaw_rate=0.0,
    )
    dates = list(summary.drop_dates)
    assert len(dates) == 3, dates
    baseline = root / "baseline"
    first = run_csw(
        ["run", "--extracts", str(summary.out_dir), "--warehouse", str(baseline),
         "--from", dates[0].isoformat(), "--to", dates[1].isoformat()]
    )  # fmt: skip
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    control = root / "control"
    shutil.copytree(baseline, control)
    second = run_csw(["run", "--extracts", str(summary.out_dir), "--warehouse", str(control)])
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"drops {dates[2]} … {dates[2]}" in second.stdout, second.stdout[-2000:]
    return Tiny(summary.out_dir, dates, baseline, control / "published" / "analytics.duckdb")


def copy_of(tiny: Tiny, where: Path) -> Warehouse:
    extracts, warehouse = where / "extracts", where / "warehouse"
    shutil.copytree(tiny.extracts, extracts)
    shutil.copytree(tiny.baseline, warehouse)
    return Warehouse(extracts, warehouse, tiny.dates)


def mart_differences(control: Path, published: Path) -> list[str]:
    """How the published marts differ from the control's (audit tables differ by design: the
    faults are logged)."""
    return [
        d.describe()
        for d in compare_publications(control, published)
        if d.table.startswith("marts.")
    ]


def unaccounted(copy: Warehouse, day: dt.date) -> list[tuple]:
    """Files of the latest ingest of each source's drop of `day` whose rows read differ from
    loaded + quarantined (raw and quarantine rows counted too), or that a manifest declares and
    no ingest read: nothing may be lost."""
    return copy.query(
        """
        with latest as (
            select * from audit.ingest_log
            where drop_date = ? and status <> 'missing_drop'
            qualify loaded_at = max(loaded_at) over (partition by source)
        )
        select source, file, status, rows_read, rows_loaded, rows_quarantined, manifest_rows
        from latest
        where (status in ('loaded', 'replaced', 'unchanged')
               and (rows_read <> rows_loaded + rows_quarantined
                    or coalesce(manifest_rows, rows_read) <> rows_read))
           or (status = 'missing_file' and manifest_rows is not null)
        """,
        [day],
    )


def quarantined_rows(copy: Warehouse, day: dt.date) -> dict[tuple[str, str], int]:
    """raw.quarantine rows of the drop of `day` per (file, rule)."""
    return {
        (file, rule): n
        for file, rule, n in copy.query(
            "select file, rule, count(*) from raw.quarantine where drop_date = ? group by all",
            [day],
        )
    }


def wait_for(path: Path, timeout: float = 600) -> str:
    """The text of `path` once it exists."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)
    return path.read_text()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return state.exists() and state.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)  # leave nothing running behind a failed test
            return False
        time.sleep(0.1)
    return True
