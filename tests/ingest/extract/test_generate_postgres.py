"""`csw generate --postgres`: the generated application tables land in PostgreSQL (newest version
of every row), and `csw extract app-db` gives them back as a full drop."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import psycopg
import pytest

from orchestration.cli import main
from synthetic import generate_drops

ARGS = ["--accounts", "12", "--months", "2", "--seed", "4", "--incremental-days", "2"]
KEYS = {
    "accounts": ["account_id"], "users": ["user_id"], "events": ["event_id"], "csms": ["csm_id"],
    "onboarding_steps": ["account_id", "step_id"], "nps_survey_sends": ["send_id"],
    "nps_responses": ["response_id"], "cs_activities": ["activity_id"], "cs_tasks": ["task_id"],
}  # fmt: skip


def _distinct_keys(files: Path) -> dict[str, int]:
    """Rows the database should hold: each key once, however many drops it appeared in."""
    counts = {}
    for table, key in KEYS.items():
        frames = []
        for drop in sorted((files / "app_db").iterdir()):
            if table == "events":
                frames.append(pl.read_parquet(drop / "events.parquet").select(key))
            else:
                frames.append(pl.read_csv(drop / f"{table}.csv", infer_schema=False).select(key))
        counts[table] = pl.concat(frames).unique().height
    return counts


def _run(capsys, *args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    capsys.readouterr()
    return exit_info.value.code


def test_generate_into_postgres_then_extract(app_dsn: str, tmp_path: Path, capsys) -> None:
    reference = tmp_path / "reference"
    generate_drops(reference, accounts=12, months=2, seed=4, incremental_days=2, flaw_rate=0.0)
    expected = _distinct_keys(reference)

    out = tmp_path / "extracts"
    assert _run(capsys, "generate", *ARGS, "--out", str(out), "--postgres", app_dsn) == 0
    assert not (out / "app_db").exists() and (out / "stripe").is_dir()
    with psycopg.connect(app_dsn) as conn:
        in_db = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in KEYS}
    assert in_db == expected

    day = "2026-11-20"
    assert (
        _run(capsys, "extract", "app-db", "--dsn", app_dsn, "--out", str(out), "--date", day) == 0
    )
    manifest = json.loads((out / "app_db" / day / "_manifest.json").read_text())
    written = {name.split(".")[0]: rows for name, rows in manifest["row_counts"].items()}
    assert written == expected


def test_an_unreachable_database_stops_before_generating(tmp_path: Path, capsys) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dsn = f"postgresql://someone:pw@127.0.0.1:{port}/demo"
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", *ARGS, "--out", str(tmp_path / "x"), "--postgres", dsn])
    err = capsys.readouterr().err
    assert exit_info.value.code == 4
    assert "csw generate --postgres: cannot reach PostgreSQL" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_existing_tables_are_never_replaced(app_dsn: str, tmp_path: Path, capsys) -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute("create table users (user_id text primary key)")
        conn.execute("insert into users values ('someone real')")
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", *ARGS, "--out", str(tmp_path / "x"), "--postgres", app_dsn])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "never replaces tables" in err
    with psycopg.connect(app_dsn) as conn:
        assert conn.execute("select user_id from users").fetchall() == [("someone real",)]
        assert conn.execute("select to_regclass('accounts')").fetchone() == (None,)
