"""Hand-made raw rows for the engagement, onboarding and expansion asset tests, and the warehouse
dbt builds from them (tests/orchestration/assets/test_engagement.py, test_onboarding.py and
test_expansion.py work out every expected figure from the rows below).

Two accounts, as of 2026-11-10 (dates in 2026). The events extract was delivered for every drop
11-01 … 11-09 and is missing on 11-10, so October is covered and November (up to 11-10) is not.
- acc_a (smb → self-serve program, plan growth, 1000 conversations a month, created 09-10,
  customer cus_a whose subscription started 11-05): October events worked out below; ticket
  organisation 501 with two 1-5 ratings in October (4 and 5).
- acc_b (enterprise → mid-market program, created 10-05, customer cus_b started 11-01): no event
  at all, no ticketing organisation.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from data_contracts.raw_tables import RAW_TABLES, all_ddl
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

AS_OF = dt.date(2026, 11, 10)
LOADED_AT = dt.datetime(2026, 11, 10, 6, 0)
FIRST_DROP = dt.date(2026, 11, 1)
MODELS = [
    "int_account_engagement_monthly",
    "int_onboarding_accounts_started",
    "int_onboarding_steps_completed",
    "int_account_expansion_inputs",
    # the CSM portfolio's live book: the daily customer status, and MRR before its range
    "int_account_status_daily",
    "int_customer_mrr_monthly",
]


def unix(ts: str) -> int:
    return int(dt.datetime.fromisoformat(ts).replace(tzinfo=dt.UTC).timestamp())


def ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def insert(con: duckdb.DuckDBPyConnection, key: str, rows: list[dict[str, Any]]) -> None:
    table = RAW_TABLES[key]
    for line, row in enumerate(rows, start=1):
        full = {"_drop_date": FIRST_DROP, "_file": key, "_line": line, "_loaded_at": LOADED_AT}
        full.update(row)
        names = ", ".join(f'"{n}"' for n in full)
        marks = ", ".join("?" for _ in full)
        con.execute(f"insert into {table.name} ({names}) values ({marks})", list(full.values()))


def ingest_log(con: duckdb.DuckDBPyConnection, source: str, file: str, days: dict) -> None:
    for day, status in days.items():
        con.execute(
            "insert into audit.ingest_log (source, drop_date, file, status) values (?, ?, ?, ?)",
            [source, day, file, status],
        )


def october_events() -> list[dict[str, Any]]:
    """acc_a in October: logins u1, u1, u2 (3 logins); feature_used f1, f2, f1 by u1, u3
    (3 actions, 2 distinct features); 4 handled and 1 automated conversations with no user;
    2 blocked attempts on premium_x by u1. Active users: u1, u2, u3 = 3 (system events have
    no user). One login on 11-09 falls in November."""
    rows = [
        ("login", "u1", None, "2026-10-02 09:00:00"),
        ("login", "u1", None, "2026-10-15 09:00:00"),
        ("login", "u2", None, "2026-10-31 23:59:00"),
        ("feature_used", "u1", "f1", "2026-10-02 09:05:00"),
        ("feature_used", "u3", "f2", "2026-10-03 10:00:00"),
        ("feature_used", "u1", "f1", "2026-10-20 10:00:00"),
        *[("conversation_handled", None, None, f"2026-10-0{d} 12:00:00") for d in (4, 5, 6, 7)],
        ("conversation_automated", None, None, "2026-10-04 12:00:00"),
        ("blocked_feature_attempt", "u1", "premium_x", "2026-10-25 12:00:00"),
        ("blocked_feature_attempt", "u1", "premium_x", "2026-10-26 12:00:00"),
        ("login", "u1", None, "2026-11-09 08:00:00"),
    ]
    return [
        dict(
            event_id=f"ev_{i}",
            account_id="acc_a",
            event_type=kind,
            user_id=user,
            feature_key=feature,
            occurred_at=ts(at),
        )
        for i, (kind, user, feature, at) in enumerate(rows)
    ]


def build_raw(con: duckdb.DuckDBPyConnection) -> None:
    for statement in all_ddl():
        con.execute(statement)
    account = dict(plan="growth", csm_id="csm_1", seats=4, plan_conversation_limit=1000)
    insert(
        con,
        "app_db__accounts",
        [
            dict(account, account_id="acc_a", segment="smb", stripe_customer_id="cus_a",
                 created_at=ts("2026-09-10 08:00:00")),
            dict(account, account_id="acc_b", segment="enterprise", stripe_customer_id="cus_b",
                 created_at=ts("2026-10-05 08:00:00")),
        ],
    )  # fmt: skip
    insert(con, "app_db__events", october_events())
    insert(
        con,
        "stripe__customers",
        [
            dict(id="cus_a", created=unix("2026-09-10")),
            dict(id="cus_b", created=unix("2026-10-05")),
        ],
    )
    insert(
        con,
        "stripe__subscriptions",
        [
            dict(id="sub_a", customer="cus_a", status="active", currency="usd",
                 start_date=unix("2026-11-05 07:00:00"), created=unix("2026-11-05 07:00:00"),
                 item_count=0),
            dict(id="sub_b", customer="cus_b", status="active", currency="usd",
                 start_date=unix("2026-11-01 07:00:00"), created=unix("2026-11-01 07:00:00"),
                 item_count=0),
            # an earlier attempt that never took a payment does not start onboarding
            dict(id="sub_b0", customer="cus_b", status="incomplete_expired", currency="usd",
                 start_date=unix("2026-10-20 07:00:00"), created=unix("2026-10-20 07:00:00"),
                 item_count=0),
        ],
    )  # fmt: skip
    step = dict(program_id="from-app")
    insert(
        con,
        "app_db__onboarding_steps",
        [
            # acc_a: last step 11-07; as of 11-10 that is 3 days without a step: stalled.
            dict(step, account_id="acc_a", step_id="welcome", completed_at=ts("2026-11-05 09:00:00")),
            dict(step, account_id="acc_a", step_id="first_chatbot", completed_at=ts("2026-11-06 09:00:00")),
            dict(step, account_id="acc_a", step_id="install", completed_at=ts("2026-11-07 10:00:00")),
            dict(step, account_id="acc_a", step_id="first_conversation", completed_at=None),
            # acc_b: a step on 11-08, 2 days before the as-of date: not stalled.
            dict(step, account_id="acc_b", step_id="kickoff", completed_at=ts("2026-11-01 09:00:00")),
            dict(step, account_id="acc_b", step_id="discovery", completed_at=ts("2026-11-08 09:00:00")),
        ],
    )  # fmt: skip
    insert(con, "ticketing__organizations", [dict(id=501, external_id="acc_a")])
    insert(
        con,
        "ticketing__tickets",
        [
            dict(id=1, organization_id=501, status="solved", tags="[]",
                 created_at=ts("2026-10-01 10:00:00"), updated_at=ts("2026-10-02 10:00:00")),
            dict(id=2, organization_id=501, status="solved", tags="[]",
                 created_at=ts("2026-10-10 10:00:00"), updated_at=ts("2026-10-11 10:00:00")),
        ],
    )  # fmt: skip
    insert(
        con,
        "ticketing__satisfaction_ratings",
        [
            dict(id=71, ticket_id=1, rating=4, created_at=ts("2026-10-03 10:00:00"),
                 updated_at=ts("2026-10-03 10:00:00")),
            dict(id=72, ticket_id=2, rating=5, created_at=ts("2026-10-12 10:00:00"),
                 updated_at=ts("2026-10-12 10:00:00")),
            # a good/bad score is never turned into a 1-5 number
            dict(id=73, ticket_id=2, score="good", created_at=ts("2026-10-13 10:00:00"),
                 updated_at=ts("2026-10-13 10:00:00")),
        ],
    )  # fmt: skip
    nps = dict(send_id="s1", user_id="u1", _file="nps_responses.csv")
    insert(
        con,
        "app_db__nps_responses",
        [
            dict(nps, response_id="r1", account_id="acc_a", score="6", submitted_at=ts("2026-08-01 10:00:00")),
            dict(nps, response_id="r2", account_id="acc_a", score="10", submitted_at=ts("2026-10-20 10:00:00")),
        ],
    )  # fmt: skip
    days = [FIRST_DROP + dt.timedelta(days=i) for i in range(10)]
    ingest_log(
        con,
        "app_db",
        "events.csv",
        {d: ("missing_file" if d == AS_OF else "loaded") for d in days},
    )
    ingest_log(con, "ticketing", "satisfaction_ratings.jsonl", {d: "loaded" for d in days})
    ingest_log(con, "stripe", "subscriptions.jsonl", {d: "loaded" for d in days})


def build_warehouse(work: Path, as_of_events_loaded: bool = False) -> Path:
    """The rows above built by dbt into `work`/warehouse.duckdb; with `as_of_events_loaded`, the
    events file of the as-of day (11-10) has arrived too."""
    db = work / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    build_raw(con)
    if as_of_events_loaded:
        con.execute(
            "update audit.ingest_log set status = 'loaded' "
            "where file = 'events.csv' and drop_date = ?",
            [AS_OF],
        )
    con.close()
    args = [
        DBT_EXECUTABLE, "run",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--select", *(f"+{m}" for m in MODELS),
        "--vars", json.dumps({"as_of_date": AS_OF.isoformat()}),
    ]  # fmt: skip
    env = {**os.environ, "CSW_DUCKDB_PATH": str(db)}
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]
    return db


def rows(frame: pl.DataFrame, **where: Any) -> list[dict[str, Any]]:
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    return frame.to_dicts()
