"""What a user sees when `csw extract app-db` cannot do its job: the setting or table to fix, an exit
code, no traceback, and no drop."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from orchestration.cli import main
from synthetic.postgres import create_app_tables
from tests.ingest.extract.pg_server import PostgresServer


def _extract(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["extract", "app-db", *args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.err


def _no_drop(out: Path) -> None:
    folder = out / "app_db"
    assert not folder.exists() or not [p for p in folder.iterdir() if p.is_dir()]


def test_a_wrong_password_is_named(pg_server: PostgresServer, tmp_path: Path, capsys) -> None:
    dsn = pg_server.dsn(password="not-the-password")
    code, err = _extract(capsys, "--dsn", dsn, "--out", str(tmp_path), "--date", "2026-11-20")
    assert code == 2
    assert "PostgreSQL refused the login" in err and "password authentication failed" in err
    assert "Check the user and password in --dsn" in err
    assert "not-the-password" not in err and "Traceback" not in err
    _no_drop(tmp_path)


def test_an_unreachable_server_says_check_host_and_port(tmp_path: Path, capsys) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dsn = f"postgresql://someone:pw@127.0.0.1:{port}/app"
    code, err = _extract(capsys, "--dsn", dsn, "--out", str(tmp_path))
    assert code == 4
    assert f"cannot reach PostgreSQL at someone@127.0.0.1:{port}/app" in err
    assert "Check the host and port" in err and "Traceback" not in err
    _no_drop(tmp_path)


def test_a_malformed_dsn_is_named(tmp_path: Path, capsys) -> None:
    code, err = _extract(capsys, "--dsn", "host=localhost port", "--out", str(tmp_path))
    assert code == 2 and "--dsn is not a PostgreSQL connection string" in err


def test_a_missing_table_names_it_and_what_sources_md_expects(
    app_dsn: str, tmp_path: Path, capsys
) -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        create_app_tables(conn)
        conn.execute("drop table nps_responses")
    code, err = _extract(capsys, "--dsn", app_dsn, "--out", str(tmp_path))
    assert code == 2
    assert "table public.nps_responses not found" in err
    assert "response_id, send_id, account_id, user_id, score, comment, submitted_at" in err
    _no_drop(tmp_path)


def test_a_missing_column_names_it(app_dsn: str, tmp_path: Path, capsys) -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        create_app_tables(conn)
        conn.execute("alter table users drop column email")
    code, err = _extract(capsys, "--dsn", app_dsn, "--out", str(tmp_path))
    assert code == 2
    assert "table public.users has no column email" in err
    assert "sources.md expects at least user_id, account_id, email, role" in err
    _no_drop(tmp_path)


def test_an_existing_or_later_drop_is_never_rewritten(app_dsn: str, tmp_path: Path, capsys) -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        create_app_tables(conn)
    args = ("--dsn", app_dsn, "--out", str(tmp_path))
    assert _extract(capsys, *args, "--date", "2026-11-20")[0] == 0
    code, err = _extract(capsys, *args, "--date", "2026-11-20")
    assert code == 2 and "exists already" in err and "pass a later --date" in err
    code, err = _extract(capsys, *args, "--date", "2026-11-19")
    assert code == 2 and "already holds a drop dated 2026-11-20" in err
    assert sorted(p.name for p in (tmp_path / "app_db").iterdir() if p.is_dir()) == ["2026-11-20"]
