"""stg_app_db__events and the models derived from it (int_account_events_daily, int_account_use_days,
int_account_activity_windows, int_account_events_monthly) built incrementally, day after day, hold
exactly what a full build of the same raw rows holds: through re-sent, moved and deleted events,
late events, events dated after their drop's day, windows that a new day extends, an earlier as-of
date and a re-delivered drop (macros/incremental_events.sql).

Each step builds the models with the real dbt project on a DuckDB file that keeps its tables
from step to step, then builds a copy of the same raw rows from nothing and compares every row.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from data_contracts.raw_tables import RAW_TABLES
from tests.raw_rows import insert_raw_rows, run_dbt

LOADED_AT = dt.datetime(2026, 11, 10, 6, 0)
MODELS = [
    "stg_app_db__events",
    "int_account_events_daily",
    "int_account_use_days",
    "int_account_activity_windows",
    "int_account_events_monthly",
]


def event(
    event_id: str, account: str, event_type: str, at: str, drop: str, line: int, **extra: Any
) -> dict[str, Any]:
    return (
        dict(
            event_id=event_id,
            account_id=account,
            user_id=f"u_{account}",
            event_type=event_type,
            occurred_at=dt.datetime.fromisoformat(at),
            _drop_date=dt.date.fromisoformat(drop),
            _line=line,
        )
        | extra
    )


DROPS: dict[str, list[dict[str, Any]]] = {
    "2026-11-10": [
        # acc_d's user is active from 10-01 on (one window), and it uses the reports feature on 11-09
        event("d1", "acc_d", "login", "2026-10-01 09:00:00", "2026-11-10", 4),
        event("d2", "acc_d", "login", "2026-10-25 09:00:00", "2026-11-10", 5),
        event(
            "d3",
            "acc_d",
            "feature_used",
            "2026-11-09 09:00:00",
            "2026-11-10",
            6,
            feature_key="reports",
        ),
        event("d4", "acc_d", "login", "2026-11-10 09:00:00", "2026-11-10", 7),
        event("e1", "acc_a", "login", "2026-11-09 09:00:00", "2026-11-10", 1),
        event("e2", "acc_a", "conversation_handled", "2026-11-09 10:00:00", "2026-11-10", 2),
        event(
            "e3",
            "acc_b",
            "feature_used",
            "2026-11-10 08:00:00",
            "2026-11-10",
            3,
            feature_key="live_chat",
        ),
    ],
    "2026-11-11": [
        event("e4", "acc_a", "login", "2026-11-11 07:00:00", "2026-11-11", 1),
        # a flawed extract re-sends e1 a day earlier: its day moves from 11-09 to 11-08
        event("e1", "acc_a", "login", "2026-11-08 09:00:00", "2026-11-11", 2),
        # e2 deleted at the source
        event(
            "e2",
            "acc_a",
            "conversation_handled",
            "2026-11-09 10:00:00",
            "2026-11-11",
            3,
            deleted_at=dt.datetime(2026, 11, 11, 5, 0),
        ),
        # a late event for a day already aggregated
        event("e5", "acc_b", "login", "2026-11-10 23:00:00", "2026-11-11", 4),
        # dated after its drop's day: the monthly counts leave it out as of 11-11 and must count
        # it as of 11-12, although the 11-12 drop touches none of acc_d's November days
        event("f1", "acc_d", "login", "2026-11-12 08:00:00", "2026-11-11", 7),
        # acc_d: the use of 11-10 goes (m = 11-10: its windows started before m keep 10-01..11-09),
        # the feature is used again on 11-11, extending both windows
        event(
            "d4",
            "acc_d",
            "login",
            "2026-11-10 09:00:00",
            "2026-11-11",
            5,
            deleted_at=dt.datetime(2026, 11, 11, 5, 0),
        ),
        event(
            "d5",
            "acc_d",
            "feature_used",
            "2026-11-11 09:00:00",
            "2026-11-11",
            6,
            feature_key="reports",
        ),
    ],
    "2026-11-12": [
        # e2 comes back; acc_b's only event of 11-10 goes, so that account-day has no row left
        event("e2", "acc_a", "conversation_handled", "2026-11-09 10:00:00", "2026-11-12", 1),
        event(
            "e3",
            "acc_b",
            "feature_used",
            "2026-11-10 08:00:00",
            "2026-11-12",
            2,
            feature_key="live_chat",
            deleted_at=dt.datetime(2026, 11, 12, 5, 0),
        ),
        event(
            "e5",
            "acc_b",
            "login",
            "2026-11-10 23:00:00",
            "2026-11-12",
            3,
            deleted_at=dt.datetime(2026, 11, 12, 5, 0),
        ),
        event("e6", "acc_c", "login", "2026-11-12 09:00:00", "2026-11-12", 4),
        # acc_d's login of 10-25 was in fact on 09-20: m = 09-20, every window of acc_d is redone
        event("d2", "acc_d", "login", "2026-09-20 09:00:00", "2026-11-12", 5),
    ],
}


def load_drop(db: Path, drop: str, loaded_at: dt.datetime = LOADED_AT) -> None:
    con = duckdb.connect(str(db))
    try:
        insert_raw_rows(con, "app_db__events", DROPS[drop], loaded_at=loaded_at)
    finally:
        con.close()


def build(db: Path, work: Path, as_of: str) -> str:
    """Build the two models as of a day; the events' build mode (full or incremental)."""
    done = run_dbt(["run", "--select", *MODELS], db, work, as_of)
    assert done.returncode == 0, done.stdout[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select build_mode from staging.stg_app_db__events__built").fetchone()[0]
    finally:
        con.close()


TABLES = {
    "events": "staging.stg_app_db__events",
    "daily": "intermediate.int_account_events_daily",
    "use_days": "intermediate.int_account_use_days",
    "windows": "intermediate.int_account_activity_windows",
    "monthly": "intermediate.int_account_events_monthly",
}


def contents(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            name: con.execute(f"select * from {table} order by all").fetchall()
            for name, table in TABLES.items()
        }
    finally:
        con.close()


def built_from_nothing(db: Path, work: Path, as_of: str) -> dict[str, list[tuple]]:
    """The models built by a first, full build over a copy of db's raw rows."""
    fresh = work / "fresh.duckdb"
    fresh.unlink(missing_ok=True)
    shutil.copy(db, fresh)
    con = duckdb.connect(str(fresh))
    con.execute("drop schema if exists staging cascade; drop schema if exists intermediate cascade")
    con.close()
    assert build(fresh, work / "fresh", as_of) == "full"
    return contents(fresh)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute(RAW_TABLES["app_db__events"].ddl())
    con.close()
    return path


def test_day_after_day_the_incremental_tables_equal_a_full_build(db: Path, tmp_path: Path) -> None:
    work = tmp_path / "dbt"
    load_drop(db, "2026-11-10")
    assert build(db, work, "2026-11-10") == "full"
    for drop in ("2026-11-11", "2026-11-12"):
        load_drop(db, drop)
        assert build(db, work, drop) == "incremental"
        assert contents(db) == built_from_nothing(db, tmp_path, drop), drop
    final = contents(db)
    # by hand: e1 moved to 11-08, e2 back on 11-09, acc_b's 11-10 events gone, e4 and e6 added
    assert [(r[0], str(r[5].date())) for r in final["events"]] == [
        ("d1", "2026-10-01"),
        ("d2", "2026-09-20"),
        ("d3", "2026-11-09"),
        ("d5", "2026-11-11"),
        ("e1", "2026-11-08"),
        ("e2", "2026-11-09"),
        ("e4", "2026-11-11"),
        ("e6", "2026-11-12"),
        ("f1", "2026-11-12"),
    ]
    assert [(r[0], str(r[1]), r[2], r[3]) for r in final["daily"]] == [
        ("acc_a", "2026-11-08", 1, 0),
        ("acc_a", "2026-11-09", 0, 1),
        ("acc_a", "2026-11-11", 1, 0),
        ("acc_c", "2026-11-12", 1, 0),
        ("acc_d", "2026-09-20", 1, 0),
        ("acc_d", "2026-10-01", 1, 0),
        ("acc_d", "2026-11-09", 0, 0),
        ("acc_d", "2026-11-11", 0, 0),
        ("acc_d", "2026-11-12", 1, 0),
    ]
    # runs of use days under 30 days apart, each [first use, last use + 29]
    assert [(r[0], r[1], r[2], str(r[3]), str(r[4])) for r in final["windows"]] == [
        ("acc_a", "user", "u_acc_a", "2026-11-08", "2026-12-10"),
        ("acc_c", "user", "u_acc_c", "2026-11-12", "2026-12-11"),
        ("acc_d", "feature", "reports", "2026-11-09", "2026-12-10"),
        # 10-01 to 11-09 is 39 days once the use of 10-25 moved to 09-20: the run splits
        ("acc_d", "user", "u_acc_d", "2026-09-20", "2026-10-30"),
        ("acc_d", "user", "u_acc_d", "2026-11-09", "2026-12-11"),
    ]
    # per account and month: logins, active users, features used, actions, automated and handled
    # conversations, blocked attempts (acc_b's events are all deleted: no row)
    assert [(r[0], str(r[1]), *r[2:]) for r in final["monthly"]] == [
        ("acc_a", "2026-11-01", 2, 1, 0, 0, 0, 1, 0),
        ("acc_c", "2026-11-01", 1, 1, 0, 0, 0, 0, 0),
        ("acc_d", "2026-09-01", 1, 1, 0, 0, 0, 0, 0),
        ("acc_d", "2026-10-01", 1, 1, 0, 0, 0, 0, 0),
        ("acc_d", "2026-11-01", 1, 1, 1, 2, 0, 0, 0),
    ]


def test_an_earlier_as_of_date_or_a_redelivered_drop_rebuilds(db: Path, tmp_path: Path) -> None:
    work = tmp_path / "dbt"
    for drop in DROPS:
        load_drop(db, drop)
    assert build(db, work, "2026-11-12") == "full"
    # back to an earlier day: the later drops' rows must go, e2's deletion is not known yet
    assert build(db, work, "2026-11-11") == "full"
    assert contents(db) == built_from_nothing(db, tmp_path, "2026-11-11")
    assert build(db, work, "2026-11-12") == "incremental"
    assert contents(db) == built_from_nothing(db, tmp_path, "2026-11-12")
    # the 11-11 drop is delivered again without e4 (ingest replaces its rows)
    con = duckdb.connect(str(db))
    con.execute("delete from raw.app_db__events where _drop_date = date '2026-11-11'")
    con.close()
    DROPS_AGAIN = [r for r in DROPS["2026-11-11"] if r["event_id"] != "e4"]
    con = duckdb.connect(str(db))
    insert_raw_rows(con, "app_db__events", DROPS_AGAIN, loaded_at=dt.datetime(2026, 11, 12, 7, 0))
    con.close()
    assert build(db, work, "2026-11-12") == "full"
    rebuilt = contents(db)
    assert rebuilt == built_from_nothing(db, tmp_path, "2026-11-12")
    assert "e4" not in [r[0] for r in rebuilt["events"]]


def _test(db: Path, work: Path, as_of: str, selection: str) -> subprocess.CompletedProcess[str]:
    # the accounts that the relationships test reads are not built here
    excluded = ["--exclude", "test_name:relationships"]
    return run_dbt(["test", "--select", selection, *excluded], db, work, as_of)


def _execute(db: Path, statement: str) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute(statement)
    finally:
        con.close()


def test_the_tests_judge_what_the_build_changed(db: Path, tmp_path: Path) -> None:
    """After an incremental build the events' tests judge every row of the event ids it added, and
    the raw source's tests the rows loaded since the last build; after a full build, every row."""
    work = tmp_path / "dbt"
    load_drop(db, "2026-11-10")
    assert build(db, work, "2026-11-10") == "full"
    load_drop(db, "2026-11-11")
    assert build(db, work, "2026-11-11") == "incremental"
    events = "stg_app_db__events"
    assert _test(db, work, "2026-11-11", events).returncode == 0

    copy_of = "insert into staging.stg_app_db__events select * from staging.stg_app_db__events "
    # e5 came in the 11-11 drop: a second row of it is in scope, and found
    _execute(db, copy_of + "where event_id = 'e5'")
    failed = _test(db, work, "2026-11-11", events)
    assert failed.returncode != 0 and "unique_stg_app_db__events_event_id" in failed.stdout
    _execute(
        db,
        "delete from staging.stg_app_db__events where event_id = 'e5' and rowid = "
        "(select max(rowid) from staging.stg_app_db__events where event_id = 'e5')",
    )
    # e3 (11-10) is out of the incremental build's scope: judged by the run that wrote it
    _execute(db, copy_of + "where event_id = 'e3'")
    assert _test(db, work, "2026-11-11", events).returncode == 0
    _execute(db, "update staging.stg_app_db__events__built set build_mode = 'full'")
    assert _test(db, work, "2026-11-11", events).returncode != 0

    # raw rows: a duplicate loaded after the last build is in scope; one as old as it is not
    source = "source:app_db.app_db__events"
    assert _test(db, work, "2026-11-11", source).returncode == 0
    old = [r for r in DROPS["2026-11-10"] if r["event_id"] == "e3"]
    con = duckdb.connect(str(db))
    insert_raw_rows(con, "app_db__events", old, loaded_at=LOADED_AT)
    con.close()
    assert _test(db, work, "2026-11-11", source).returncode == 0
    con = duckdb.connect(str(db))
    insert_raw_rows(con, "app_db__events", old, loaded_at=dt.datetime(2026, 11, 12, 6, 0))
    con.close()
    failed = _test(db, work, "2026-11-11", source)
    assert failed.returncode != 0 and "source_unique_combination_of_columns" in failed.stdout
