"""`csw run` end to end on generated drops: it publishes, and an unreadable file stops it with exit 2."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

CSW = [sys.executable, "-m", "orchestration.cli"]


def _csw(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CSW, *args], capture_output=True, text=True, timeout=900)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def drops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "extracts"
    result = _csw(
        "generate",
        "--accounts",
        "120",
        "--months",
        "6",
        "--seed",
        "3",
        "--out",
        str(out),
        "--incremental-days",
        "3",
    )
    assert result.returncode == 0, result.stderr
    return out


def test_run_publishes_then_an_unreadable_file_stops_with_exit_2(
    drops: Path, tmp_path: Path
) -> None:
    extracts = tmp_path / "extracts"
    shutil.copytree(drops, extracts)
    dates = sorted(p.name for p in (extracts / "stripe").iterdir())
    last = dates[-1]
    shutil.rmtree(extracts / "stripe" / last)
    for source in ("app_db", "ticketing", "fx_rates"):
        shutil.rmtree(extracts / source / last, ignore_errors=True)
    warehouse = tmp_path / "warehouse"

    first = _csw("run", "--extracts", str(extracts), "--warehouse", str(warehouse))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    published = warehouse / "published" / "analytics.duckdb"
    assert published.exists()
    con = duckdb.connect(str(published), read_only=True)
    logged = con.execute("select count(*), bool_and(synthetic) from audit.ingest_log").fetchone()
    as_of = con.execute("select max(as_of_date) from audit.publications").fetchone()[0]
    con.close()
    assert logged[0] > 0 and logged[1] is True
    assert as_of.isoformat() == dates[-2]
    before = _sha(published)

    # The next day's drop arrives with a truncated Parquet events file.
    shutil.copytree(drops / "stripe" / last, extracts / "stripe" / last)
    for source in ("app_db", "ticketing", "fx_rates"):
        if (drops / source / last).exists():
            shutil.copytree(drops / source / last, extracts / source / last)
    events = extracts / "app_db" / last / "events.parquet"
    events.write_bytes(events.read_bytes()[: max(8, events.stat().st_size // 2)])

    second = _csw("run", "--extracts", str(extracts), "--warehouse", str(warehouse), "--date", last)
    assert second.returncode == 2, second.stdout[-3000:] + second.stderr[-3000:]
    assert "events.parquet" in second.stderr
    assert _sha(published) == before, "a stopped run must leave the publication untouched"


def test_usage_error_exits_64(tmp_path: Path) -> None:
    # the exit-code contract: 64 a usage error, nothing changed (1 is a crash)
    result = _csw("run", "--extracts", str(tmp_path), "--from", "2026-01-02")
    assert result.returncode == 64
    assert "--from and --to go together" in result.stderr
