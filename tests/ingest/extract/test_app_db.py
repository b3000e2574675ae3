"""`csw extract app-db` against a real PostgreSQL: full, then increments that miss nothing and read
nothing twice (updates, soft deletions, late-arriving events, transactions open at extraction time),
and a crash that leaves no drop behind."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import psycopg
import pytest

from ingest.extract.app_db import extract_app_db
from ingest.extract.errors import ExtractError
from synthetic.postgres import create_app_tables

D1, D2, D3, D4 = (dt.date(2026, 11, day) for day in (20, 21, 22, 23))


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _seed(dsn: str) -> None:
    """Two accounts, three users, four events and one row in every other table."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        create_app_tables(conn)
        conn.execute("insert into csms values ('csm_001', 'Ada Lovelace', 'ada@example.com')")
        conn.execute(
            """
            insert into accounts (account_id, name, stripe_customer_id, segment, plan, csm_id,
                                  created_at, seats, plan_conversation_limit, advocacy_status,
                                  updated_at, deleted_at)
            values ('acc_1', 'Acme, Inc.', 'cus_A', 'smb', 'growth', 'csm_001',
                    '2025-01-05 10:00:00+00', 5, 2000, null, '2025-01-05 10:00:00+00', null),
                   ('acc_2', 'Globex "Labs"', 'cus_B', 'enterprise', 'pro', null,
                    '2025-02-01 09:30:00.25+00', 40, 10000, 'referenceable',
                    '2025-03-01 00:00:00+00', null)
            """
        )
        conn.execute(
            """
            insert into users values
              ('usr_1', 'acc_1', 'a@acme.test', 'admin', '2025-01-05 10:00:00+00', null, '2025-01-05 10:00:00+00'),
              ('usr_2', 'acc_1', 'b@acme.test', 'agent', '2025-01-06 10:00:00+00', null, '2025-01-06 10:00:00+00'),
              ('usr_3', 'acc_2', 'c@globex.test', 'admin', '2025-02-01 09:30:00+00', null, '2025-02-01 09:30:00+00')
            """
        )
        conn.execute(
            "insert into onboarding_steps values ('acc_1', 'connect_channel', 'smb', null, "
            "'2025-01-05 10:00:00+00')"
        )
        conn.execute(
            "insert into nps_survey_sends values ('snd_1', 'acc_1', 'usr_1', "
            "'2025-03-01 12:00:00+00', 'day_30')"
        )
        conn.execute(
            "insert into nps_responses values ('rsp_1', 'snd_1', 'acc_1', 'usr_1', 9, "
            "E'Great,\\nreally', '2025-03-02 08:00:00+00', null)"
        )
        conn.execute(
            "insert into cs_activities values ('act_1', 'acc_2', 'csm_001', 'qbr', "
            "'2025-03-03 15:00:00+00')"
        )
        conn.execute(
            """
            insert into events values
              ('evt_1', 'acc_1', 'usr_1', 'login', null, '2026-11-19 08:00:00+00'),
              ('evt_2', 'acc_1', 'usr_2', 'feature_used', 'flows', '2026-11-19 09:00:00+00'),
              ('evt_3', 'acc_2', 'usr_3', 'conversation_handled', null, '2026-11-19 10:00:00+00'),
              ('evt_4', 'acc_2', 'usr_3', 'conversation_automated', null, '2026-11-20 07:00:00.5+00')
            """
        )


def _csv(drop: Path, table: str) -> pl.DataFrame:
    return pl.read_csv(drop / f"{table}.csv", infer_schema=False)


def _events(drop: Path) -> pl.DataFrame:
    return pl.read_parquet(drop / "events.parquet")


def _manifest(drop: Path) -> dict:
    return json.loads((drop / "_manifest.json").read_text())


def test_first_extraction_is_a_full_drop_of_every_table(app_dsn: str, tmp_path: Path) -> None:
    _seed(app_dsn)
    result = extract_app_db(app_dsn, tmp_path, D1)

    drop = tmp_path / "app_db" / "2026-11-20"
    assert result.mode == "full" and result.drop_dir == drop
    manifest = _manifest(drop)
    assert manifest["synthetic"] is False and manifest["mode"] == "full"
    assert manifest["row_counts"] == {
        "accounts.csv": 2, "csms.csv": 1, "cs_activities.csv": 1, "cs_tasks.csv": 0,
        "events.parquet": 4, "nps_responses.csv": 1, "nps_survey_sends.csv": 1,
        "onboarding_steps.csv": 1, "users.csv": 3,
    }  # fmt: skip
    # cs_tasks exists but is empty: written with its header, since ingest reads it (issue #24).
    assert sorted(p.name for p in drop.iterdir()) == sorted(
        [*manifest["row_counts"], "_manifest.json"]
    )

    accounts = _csv(drop, "accounts").sort("account_id")
    assert accounts["name"].to_list() == ["Acme, Inc.", 'Globex "Labs"']
    assert accounts["created_at"].to_list() == [
        "2025-01-05T10:00:00.000000Z",
        "2025-02-01T09:30:00.250000Z",
    ]
    assert accounts["seats"].to_list() == ["5", "40"]
    assert accounts["csm_id"].to_list() == ["csm_001", None]
    assert _csv(drop, "nps_responses")["comment"].to_list() == ["Great,\nreally"]

    events = _events(drop).sort("event_id")
    assert events.schema["occurred_at"] == pl.Datetime("us", "UTC")
    assert events["event_id"].to_list() == ["evt_1", "evt_2", "evt_3", "evt_4"]
    assert events["feature_key"].to_list() == [None, "flows", None, None]
    assert events["occurred_at"][3] == _ts("2026-11-20 07:00:00.5")
    assert (tmp_path / "app_db" / "_extract_state.json").is_file()
    assert not list((tmp_path / "app_db").glob(".*partial*"))


def _change_rows(dsn: str) -> None:
    """Day two: an insert, an update, a soft deletion, new and late-arriving events."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "insert into accounts (account_id, name, segment, plan, created_at, seats, "
            "plan_conversation_limit, updated_at) values ('acc_3', 'Initech', 'self_serve', "
            "'starter', '2026-11-21 09:00:00+00', 1, 500, '2026-11-21 09:00:00+00')"
        )
        conn.execute(
            "update accounts set plan = 'pro', seats = 8, updated_at = '2026-11-21 10:00:00+00' "
            "where account_id = 'acc_1'"
        )
        conn.execute(
            "update accounts set deleted_at = '2026-11-21 11:00:00+00', "
            "updated_at = '2026-11-21 11:00:00+00' where account_id = 'acc_2'"
        )
        conn.execute(
            "insert into events values ('evt_5', 'acc_1', 'usr_1', 'login', null, "
            "'2026-11-21 08:00:00+00'), "
            # late-arriving: occurred before the newest event of the previous extraction
            "('evt_6', 'acc_1', 'usr_2', 'login', null, '2026-11-18 23:00:00+00')"
        )


def test_increments_hold_exactly_what_changed(app_dsn: str, tmp_path: Path) -> None:
    _seed(app_dsn)
    extract_app_db(app_dsn, tmp_path, D1)
    _change_rows(app_dsn)

    second = extract_app_db(app_dsn, tmp_path, D2)
    drop = second.drop_dir
    assert second.mode == "incremental"
    accounts = _csv(drop, "accounts").sort("account_id")
    assert accounts.select("account_id", "plan", "seats", "deleted_at").rows() == [
        ("acc_1", "pro", "8", None),
        ("acc_2", "pro", "40", "2026-11-21T11:00:00.000000Z"),
        ("acc_3", "starter", "1", None),
    ]
    assert sorted(_events(drop)["event_id"].to_list()) == ["evt_5", "evt_6"]
    for table in ("users", "csms", "onboarding_steps", "nps_survey_sends", "nps_responses"):
        assert _csv(drop, table).height == 0, table
    assert _manifest(drop)["row_counts"]["events.parquet"] == 2
    assert _manifest(drop)["row_counts"]["users.csv"] == 0

    third = extract_app_db(app_dsn, tmp_path, D3)
    assert sum(third.row_counts.values()) == 0

    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute(
            "update users set deactivated_at = '2026-11-22 12:00:00+00', "
            "updated_at = '2026-11-22 12:00:00+00' where user_id = 'usr_2'"
        )
    fourth = extract_app_db(app_dsn, tmp_path, D4)
    assert {k: v for k, v in fourth.row_counts.items() if v} == {"users.csv": 1}
    assert _csv(fourth.drop_dir, "users")["deactivated_at"].to_list() == [
        "2026-11-22T12:00:00.000000Z"
    ]


def test_a_transaction_open_during_an_extraction_is_read_once_later(
    app_dsn: str, tmp_path: Path
) -> None:
    """Rows committed while an older transaction is still open are seen by one extraction; the old
    transaction's rows, committed after it, by the next one. Neither is read twice or missed."""
    _seed(app_dsn)
    extract_app_db(app_dsn, tmp_path, D1)
    with psycopg.connect(app_dsn) as old, psycopg.connect(app_dsn, autocommit=True) as new:
        # The old transaction writes first (so it holds the older transaction id) and stays open.
        old.execute(
            "insert into events values ('evt_old', 'acc_1', 'usr_1', 'login', null, "
            "'2026-11-20 06:00:00+00')"
        )
        new.execute(
            "insert into events values ('evt_new', 'acc_1', 'usr_1', 'login', null, "
            "'2026-11-21 06:00:00+00')"
        )
        second = extract_app_db(app_dsn, tmp_path, D2)
        assert _events(second.drop_dir)["event_id"].to_list() == ["evt_new"]
        state = json.loads((tmp_path / "app_db" / "_extract_state.json").read_text())
        assert [s.split("\x1e")[0] for s in state["remembered"]["events"]] == ["evt_new"]
        old.commit()
    third = extract_app_db(app_dsn, tmp_path, D3)
    assert _events(third.drop_dir)["event_id"].to_list() == ["evt_old"]
    fourth = extract_app_db(app_dsn, tmp_path, D4)
    assert fourth.row_counts["events.parquet"] == 0


def test_cs_tasks_with_rows_are_written(app_dsn: str, tmp_path: Path) -> None:
    _seed(app_dsn)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute(
            "insert into cs_tasks values ('tsk_1', 'acc_1', 'csm_001', 'no_login_14_days', 1, "
            "'2026-11-19 09:00:00+00', '2026-11-22 09:00:00+00', null, null, null)"
        )
    result = extract_app_db(app_dsn, tmp_path, D1)
    tasks = _csv(result.drop_dir, "cs_tasks")
    assert tasks.select("task_id", "playbook", "action_order").rows() == [
        ("tsk_1", "no_login_14_days", "1")
    ]
    assert result.row_counts["cs_tasks.csv"] == 1


def test_a_crash_mid_extraction_leaves_no_drop_and_the_next_one_is_complete(
    app_dsn: str, tmp_path: Path
) -> None:
    _seed(app_dsn)
    extract_app_db(app_dsn, tmp_path, D1)
    _change_rows(app_dsn)
    source_dir = tmp_path / "app_db"
    state_before = (source_dir / "_extract_state.json").read_text()

    with psycopg.connect(app_dsn) as blocker:
        # Holding cs_activities stops the extraction there, after it wrote the earlier tables.
        blocker.execute("lock table cs_activities in access exclusive mode")
        env = {**os.environ, "CSW_APP_DB_DSN": app_dsn}
        crashed = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "extract", "app-db",
             "--out", str(tmp_path), "--date", D2.isoformat()],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        partial: list[Path] = []
        while time.monotonic() < deadline:
            partial = list(source_dir.glob(".2026-11-21.partial-*"))
            if partial and (partial[0] / "nps_responses.csv").exists():
                waiting = blocker.execute(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                ).fetchone()[0]
                if waiting:
                    break
            time.sleep(0.1)
        else:
            crashed.kill()
            pytest.fail("the extraction never reached the locked table")
        crashed.send_signal(signal.SIGKILL)
        crashed.wait(30)
        blocker.rollback()

    assert not (source_dir / "2026-11-21").exists()
    assert (source_dir / "_extract_state.json").read_text() == state_before
    assert not (source_dir / "_extract_state.pending.json").exists()

    again = extract_app_db(app_dsn, tmp_path, D2)
    assert sorted(_events(again.drop_dir)["event_id"].to_list()) == ["evt_5", "evt_6"]
    assert sorted(_csv(again.drop_dir, "accounts")["account_id"].to_list()) == [
        "acc_1", "acc_2", "acc_3",
    ]  # fmt: skip
    assert not list(source_dir.glob(".*partial*"))


def test_a_failure_mid_extraction_is_named_and_leaves_nothing(app_dsn: str, tmp_path: Path) -> None:
    _seed(app_dsn)
    extract_app_db(app_dsn, tmp_path, D1)
    with psycopg.connect(app_dsn) as blocker:
        # The extraction waits on users; the server then ends its connection.
        blocker.execute("lock table users in access exclusive mode")

        def terminate() -> None:
            with psycopg.connect(app_dsn, autocommit=True) as admin:
                for _ in range(300):
                    pids = admin.execute(
                        "select pid from pg_stat_activity where wait_event_type = 'Lock' "
                        "and pid <> pg_backend_pid()"
                    ).fetchall()
                    if pids:
                        admin.execute("select pg_terminate_backend(%s)", [pids[0][0]])
                        return
                    time.sleep(0.1)

        killer = threading.Thread(target=terminate)
        killer.start()
        with pytest.raises(ExtractError) as caught:
            extract_app_db(app_dsn, tmp_path, D2)
        killer.join()
    assert caught.value.exit_code == 4
    assert "failed during the extraction" in caught.value.message
    assert "run the extraction again" in caught.value.message
    assert not (tmp_path / "app_db" / "2026-11-21").exists()
    assert not list((tmp_path / "app_db").glob(".*partial*"))
