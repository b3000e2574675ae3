"""int_account_daily_metrics built a range of days at a time and resumed day after day
(macros/chunked_daily_table.sql), against tables built independently in one statement.

One synthetic history (50 accounts, 14 months: more than the 400 days the model keeps, and three
daily drops after the first) is ingested once; each test copies that warehouse and runs the real dbt
project on the copy, as of the drops' dates:
- built in seven slices of the accounts and ranges of 40 days (windows of up to 180 days span five
  of ranges, running totals since creation span all of them), the table equals the one statement's;
- a daily run computes only its day: that day's rows equal a full build's for the day (and the
  incremental event tables they come from equal a full build's), the earlier
  days keep the rows the previous run computed (a day is what was known on it), the day that left
  the 400-day range is gone; re-running the day changes nothing; a run for an earlier day rebuilds
  every day.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from ingest.loader import ingest_source_drop
from ingest.sources import SOURCES
from synthetic.generator import generate_drops
from tests.raw_rows import run_dbt

pytestmark = pytest.mark.slow

ACCOUNTS = 50
END = dt.date(2026, 11, 20)
MODEL = "intermediate.int_account_daily_metrics"
SELECT = ["run", "--select", "+int_account_daily_metrics"]
#: The incremental models under it (macros/incremental_events.sql): equal to a full build's.
INCREMENTAL_INPUTS = [
    "staging.stg_app_db__events",
    "intermediate.int_account_events_daily",
    "intermediate.int_account_use_days",
    "intermediate.int_account_activity_windows",
]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dt.date]]:
    """A warehouse holding the raw rows of every drop, and the drops' dates."""
    root = tmp_path_factory.mktemp("daily_metrics_build")
    summary = generate_drops(
        root / "extracts", accounts=ACCOUNTS, months=14, seed=11, end_date=END, incremental_days=3
    )
    drops = sorted(
        dt.date.fromisoformat(p.name) for p in (summary.out_dir / "app_db").iterdir() if p.is_dir()
    )
    db = root / "ingested.duckdb"
    con = duckdb.connect(str(db))
    try:
        for drop in drops:
            for source in SOURCES:
                ingest_source_drop(
                    con, source, summary.out_dir, drop, dt.datetime.combine(drop, dt.time(6))
                )
    finally:
        con.close()
    return db, drops


def _copy(ingested: tuple[Path, list[dt.date]], tmp_path: Path, name: str) -> Path:
    target = tmp_path / f"wh_{name}.duckdb"
    shutil.copy(ingested[0], target)
    return target


def _build(
    db: Path, work: Path, as_of: dt.date, *extra: str, **variables: int
) -> subprocess.CompletedProcess[str]:
    result = run_dbt([*SELECT, *extra], db, work, as_of.isoformat(), variables)
    assert result.returncode == 0, result.stdout[-4000:]
    return result


def _rows(db: Path, where: str = "true") -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(
            con.execute(f"select * from {MODEL} where {where}").fetchall(),
            key=lambda row: (row[0], row[1]),
        )
    finally:
        con.close()


def _table(db: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select * from {table} order by all").fetchall()
    finally:
        con.close()


def _days(db: Path) -> tuple[dt.date, dt.date]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select min(as_of_date), max(as_of_date) from {MODEL}").fetchone()
    finally:
        con.close()


def test_slices_of_accounts_and_days_give_the_one_statements_rows(
    ingested: tuple[Path, list[dt.date]], tmp_path: Path
) -> None:
    as_of = ingested[1][-1]
    whole = _copy(ingested, tmp_path, "whole")
    one = _build(whole, tmp_path / "whole", as_of)
    assert "in 1 range(s) of up to 400 days x 1 slice(s)" in one.stdout
    chunked = _copy(ingested, tmp_path, "chunked")
    many = _build(
        chunked,
        tmp_path / "chunked",
        as_of,
        daily_metrics_rows_per_chunk=(40 + 180) * ACCOUNTS // 7 + 1,
        daily_metrics_chunk_days=40,
    )
    assert "in 10 range(s) of up to 40 days x 7 slice(s)" in many.stdout

    expected = _rows(whole)
    assert len(expected) > 100 * ACCOUNTS
    # open tickets and the last login run since creation, far before most chunks' windows
    assert any(row for row in expected if row[1] < as_of - dt.timedelta(days=300))
    assert _rows(chunked) == expected


def test_a_daily_run_computes_its_day_and_keeps_the_days_before(
    ingested: tuple[Path, list[dt.date]], tmp_path: Path
) -> None:
    first, second = ingested[1][-2], ingested[1][-1]
    daily = _copy(ingested, tmp_path, "daily")
    _build(daily, tmp_path / "daily", first)
    before = _rows(daily)
    resumed = _build(daily, tmp_path / "daily", second)
    assert f"computes {second} to {second}" in resumed.stdout
    full = _copy(ingested, tmp_path, "full")
    _build(full, tmp_path / "full", second)

    # the day added is the full build's, and so are the incremental tables it reads
    day = f"as_of_date = '{second}'"
    assert _rows(daily, day) == _rows(full, day)
    assert len(_rows(full, day)) > 0
    for table in INCREMENTAL_INPUTS:
        assert _table(daily, table) == _table(full, table), table
    # the days before are the previous run's, less the day that left the 400-day range
    start = second - dt.timedelta(days=399)
    assert _days(daily) == (start, second)
    assert _rows(daily, f"as_of_date < '{second}'") == [row for row in before if row[1] >= start]
    assert before[0][1] == start - dt.timedelta(days=1)

    # its tests judge the day it computed: a copy of an earlier day's row is not theirs to find
    scoped, scoped_work = tmp_path / "wh_scoped.duckdb", tmp_path / "scoped"
    shutil.copy(daily, scoped)
    tested = ["test", "--select", "int_account_daily_metrics"]
    assert run_dbt(tested, scoped, scoped_work, second.isoformat()).returncode == 0
    for day, found in ((first, False), (second, True)):
        con = duckdb.connect(str(scoped))
        con.execute(f"insert into {MODEL} select * from {MODEL} where as_of_date = '{day}' limit 1")
        con.close()
        result = run_dbt(tested, scoped, scoped_work, second.isoformat())
        assert (result.returncode != 0) == found, day

    # the same day again changes nothing
    after = _rows(daily)
    again = _build(daily, tmp_path / "daily", second)
    assert f"computes {second} to {second}" in again.stdout
    assert _rows(daily) == after

    # an earlier day rebuilds every day: the table of a full build as of that day
    earlier = _build(daily, tmp_path / "daily", first)
    assert "builds every day" in earlier.stdout
    only_first = _copy(ingested, tmp_path, "only_first")
    _build(only_first, tmp_path / "only_first", first)
    assert _rows(daily) == _rows(only_first)


def test_full_refresh_rebuilds_every_day(
    ingested: tuple[Path, list[dt.date]], tmp_path: Path
) -> None:
    first, second = ingested[1][-2], ingested[1][-1]
    db = _copy(ingested, tmp_path, "refresh")
    _build(db, tmp_path / "refresh", first)
    refreshed = _build(db, tmp_path / "refresh", second, "--full-refresh")
    assert f"builds every day, {second - dt.timedelta(days=399)} to {second}" in refreshed.stdout
    full = _copy(ingested, tmp_path, "full")
    _build(full, tmp_path / "full", second)
    assert _rows(db) == _rows(full)
