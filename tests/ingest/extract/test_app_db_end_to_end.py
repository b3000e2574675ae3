"""The database path end to end: generated app-db tables loaded into PostgreSQL a drop at a time and
extracted after each (the last by the daily job's extraction asset, $CSW_EXTRACT), then the whole
pipeline; its published marts equal those built from the same data written as files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.extract.app_db import extract_app_db
from orchestration.compare import compare_publications
from orchestration.runner import run_daily_job
from orchestration.settings import Settings
from synthetic import generate_drops
from synthetic.postgres import apply_app_db_drop, create_app_tables
from synthetic.usage import EVENTS_SCHEMA

END = dt.date(2026, 11, 20)
INGEST_LOG_FIGURES = "source, drop_date, file, rows_read, rows_loaded, rows_quarantined, status"


def _publish(extracts: Path, warehouse: Path, first: dt.date, last: dt.date) -> Path:
    settings = Settings(extracts_dir=extracts, warehouse_dir=warehouse, partitions_start=first)
    outcome = run_daily_job(settings, first, last, progress=lambda _m: None)
    assert outcome.published, outcome.reason
    return settings.published_db


def _ingest_log(published: Path) -> set[tuple]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        return set(con.execute(f"select {INGEST_LOG_FIGURES} from audit.ingest_log").fetchall())
    finally:
        con.close()


def _late_changes(conn: psycopg.Connection, next_drop: Path) -> None:
    """Two late-arriving events (a day and a month before the previous extraction), inserted into
    the database now and added to the next drop's file, where the generator would have put them."""
    first = pq.read_table(
        next_drop.parent / min(p.name for p in next_drop.parent.iterdir()) / "events.parquet"
    )
    account, user = first["account_id"][0].as_py(), first["user_id"][0].as_py()
    late = pa.table(
        {
            "event_id": ["evt_late_1", "evt_late_2"],
            "account_id": [account, account],
            "user_id": [user, user],
            "event_type": ["login", "feature_used"],
            "feature_key": [None, "flows"],
            "occurred_at": pa.array(
                [dt.datetime(2026, 11, 18, 23, 0), dt.datetime(2026, 10, 19, 8, 30)],
                pa.timestamp("us", tz="UTC"),
            ),
        },
        schema=EVENTS_SCHEMA,
    )
    path = next_drop / "events.parquet"
    pq.write_table(pa.concat_tables([pq.read_table(path), late]), path)
    manifest_path = next_drop / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["row_counts"]["events.parquet"] += late.num_rows
    manifest_path.write_text(json.dumps(manifest))
    with conn.cursor() as cur:
        for row in late.to_pylist():
            cur.execute(
                "insert into events values (%(event_id)s, %(account_id)s, %(user_id)s, "
                "%(event_type)s, %(feature_key)s, %(occurred_at)s)",
                row,
            )


@pytest.mark.slow
def test_marts_from_the_database_equal_marts_from_the_files(
    app_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = generate_drops(
        tmp_path / "files",
        accounts=60,
        months=4,
        seed=3,
        end_date=END,
        incremental_days=2,
        flaw_rate=0.0,
    )
    dates = summary.drop_dates
    assert len(dates) == 3, dates

    from_db = tmp_path / "from_db"
    for source in ("stripe", "ticketing", "fx_rates"):
        shutil.copytree(summary.out_dir / source, from_db / source)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        create_app_tables(conn)
        for day in dates:
            apply_app_db_drop(conn, summary.out_dir / "app_db" / day.isoformat())
            if day == dates[-1]:
                break  # the daily job extracts the last drop itself (below)
            extract_app_db(app_dsn, from_db, day)
            if day == dates[1]:
                # Late-arriving events (they happened before the previous extraction), made
                # in the database and in the files alike.
                _late_changes(conn, summary.out_dir / "app_db" / dates[2].isoformat())

    files_pub = _publish(summary.out_dir, tmp_path / "wh_files", dates[0], dates[-1])
    monkeypatch.setenv("CSW_EXTRACT", "app_db")
    monkeypatch.setenv("CSW_APP_DB_DSN", app_dsn)
    db_pub = _publish(from_db, tmp_path / "wh_db", dates[0], dates[-1])

    expected = {(day, f): n for (s, day, f), n in summary.row_counts.items() if s == "app_db"}
    for day in dates:
        manifest = json.loads((from_db / "app_db" / day.isoformat() / "_manifest.json").read_text())
        got = {(day, f): n for f, n in manifest["row_counts"].items()}
        want = {k: v for k, v in expected.items() if k[0] == day}
        if day == dates[2]:
            want[(day, "events.parquet")] += 2
        assert got == want, day

    differences = compare_publications(files_pub, db_pub)
    # The ingest log differs by design (file hashes, extraction times, synthetic: false for the
    # extracted drops); every other published table, every mart included, is the same.
    assert [d.table for d in differences] == ["audit.ingest_log"], [
        d.describe() for d in differences
    ]
    assert _ingest_log(files_pub) == _ingest_log(db_pub)
