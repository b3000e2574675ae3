"""Which drops a run still has to process, judged by what was loaded (orchestration/drops.py)."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import duckdb

from ingest.loader import ingest_source_drop
from orchestration.drops import (
    pending_dates,
    scan_drops,
    unloaded_dates,
    warehouse_state,
)
from tests.ingest.drops import customer, jsonl, stripe_drop, write

D1, D2, D3 = dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)
FIRST = dt.date(2015, 1, 1)


def test_folders_that_are_not_dates_are_skipped_and_named(tmp_path: Path) -> None:
    for name in ("2026-11-18", "2026-13-45", "latest", ".2026-11-19.partial-ab12"):
        (tmp_path / "stripe" / name).mkdir(parents=True)
    (tmp_path / "app_db" / "2026-11-19").mkdir(parents=True)
    (tmp_path / "stripe" / "_extract_state.json").write_text("{}")
    scan = scan_drops(tmp_path)
    assert scan.dates == [D1, D2]
    assert scan.by_source == {"app_db": [D2], "stripe": [D1]}
    assert [s.split(":")[0] for s in scan.skipped] == ["stripe/2026-13-45", "stripe/latest"]
    assert "month must be in 1..12" in scan.skipped[0]


def _ingest(con: duckdb.DuckDBPyConnection, root: Path, day: dt.date, at: dt.datetime) -> None:
    ingest_source_drop(con, "stripe", root, day, at)


def test_pending_by_what_was_loaded_not_by_dates_passed(tmp_path: Path) -> None:
    root, build, published = tmp_path / "extracts", tmp_path / "build.duckdb", tmp_path / "p.db"
    for day in (D1, D2, D3):
        stripe_drop(root, day, jsonl(customer(f"cus_{day.day}")))
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    time.sleep(0.01)  # every later change of a file is after the load
    con = duckdb.connect(str(build))
    _ingest(con, root, D1, loaded_at)
    _ingest(con, root, D2, loaded_at)
    con.execute("create table audit.publications (run_id varchar, as_of_date date)")
    con.execute("insert into audit.publications values ('r1', ?)", [D2])
    con.close()
    scan = scan_drops(root)

    # D3 was never loaded; D1 and D2 were, and published as of D2.
    state = warehouse_state(build, published)
    assert state.last_published == D2
    assert pending_dates(scan, root, state, FIRST) == [D3]

    # A copy of the same files (their status changes, their content does not) is not a change.
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    assert unloaded_dates(scan_drops(copy), copy, state) == [D3]

    # D1's customers re-delivered with other content, after it was loaded: D1 is pending again.
    write(root, "stripe", D1, "customers.jsonl", jsonl(customer("cus_18", "Renamed")))
    assert pending_dates(scan, root, state, FIRST) == [D1, D3]

    # A file D2's ingest did not see (the misnamed one, renamed right) makes D2 pending.
    write(root, "stripe", D2, "refunds.jsonl", "")
    assert unloaded_dates(scan, root, warehouse_state(build, published)) == [D1, D2, D3]


def test_nothing_published_yet_means_every_drop_is_pending(tmp_path: Path) -> None:
    root = tmp_path / "extracts"
    for day in (D1, D2):
        stripe_drop(root, day, jsonl(customer("cus_1")))
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    for day in (D1, D2):
        _ingest(con, root, day, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    con.close()
    state = warehouse_state(tmp_path / "build.duckdb", tmp_path / "none.duckdb")
    assert state.last_published is None
    assert unloaded_dates(scan_drops(root), root, state) == []
    assert pending_dates(scan_drops(root), root, state, FIRST) == [D1, D2]
    assert pending_dates(scan_drops(root), root, state, D2) == [D2]
