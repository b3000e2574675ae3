"""The engagement, onboarding and expansion inputs in dbt on hand-made raw rows, then the transform
assets' builders on what dbt produced: true zeros where the events extract reached the day, NULL
where it did not; the onboarding program picked by segment; stalled after 3 days without a step;
advocacy with and without health scores.

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
import pytest

from data_contracts.raw_tables import RAW_TABLES, all_ddl
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from orchestration.transform_assets.engagement_expansion import (
    build_engagement,
    build_expansion,
    build_onboarding,
)
from transforms.config import (
    load_engagement_config,
    load_expansion_config,
    load_onboarding_config,
)

AS_OF = dt.date(2026, 11, 10)
LOADED_AT = dt.datetime(2026, 11, 10, 6, 0)
FIRST_DROP = dt.date(2026, 11, 1)
MODELS = [
    "int_account_engagement_monthly",
    "int_onboarding_accounts_started",
    "int_onboarding_steps_completed",
    "int_account_expansion_inputs",
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


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("engagement_inputs")
    db = work / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    build_raw(con)
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


@pytest.fixture(scope="module")
def con(warehouse: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(warehouse))
    yield connection
    connection.close()


def rows(frame: pl.DataFrame, **where: Any) -> list[dict[str, Any]]:
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    return frame.to_dicts()


def test_engagement_true_zeros_where_covered_and_null_where_not(con) -> None:
    engagement, _ = build_engagement(con, load_engagement_config())
    (oct_a,) = rows(engagement, account_id="acc_a", month=dt.date(2026, 10, 1))
    assert oct_a["logins"] == 3
    assert oct_a["active_users"] == 3
    assert oct_a["features_used"] == 2
    assert oct_a["actions"] == 3
    assert (oct_a["automated_conversations"], oct_a["handled_conversations"]) == (1, 4)
    assert oct_a["automation_rate"] == pytest.approx(0.25)
    assert oct_a["csat_ratings"] == 2
    assert oct_a["csat"] == pytest.approx(4.5)  # (4 + 5) / 2; the "good" score is not a rating
    # Score: logins 3/30 → 10, users 3/5 → 60, features 2/10 → 20, actions 3/100 → 3,
    # automation 0.25 → 25, csat 4.5/5 → 90; Σ w·s = .15·10 + .15·60 + .20·20 + .20·3
    # + .15·25 + .15·90 = 1.5 + 9 + 4 + 0.6 + 3.75 + 13.5 = 32.35 over coverage 1.0.
    assert oct_a["score"] == pytest.approx(32.35)
    assert oct_a["score_display"] == 32
    assert oct_a["level"] == "low"

    # acc_b did nothing in October while the extract covered it: measured zeros. It has no
    # handled conversation (rate undefined) and no ticketing organisation (no csat).
    (oct_b,) = rows(engagement, account_id="acc_b", month=dt.date(2026, 10, 1))
    assert [oct_b[c] for c in ("logins", "active_users", "features_used", "actions")] == [0] * 4
    assert oct_b["automation_rate"] is None
    assert oct_b["automation_rate_null_reason"] == "no_handled_conversations"
    assert oct_b["csat"] is None and oct_b["csat_ratings"] is None
    assert oct_b["csat_null_reason"] == "no_ticketing_organization"
    # Zeros score 0 over the weights of logins, users, features, actions: .70 of coverage.
    assert oct_b["coverage"] == pytest.approx(0.70)
    assert oct_b["score"] == pytest.approx(0.0)

    # November: the events file of 11-10 is missing, so nothing is known up to the as-of day:
    # NULL with the reason, not 0, even for acc_a's 11-09 login.
    (nov_a,) = rows(engagement, account_id="acc_a", month=dt.date(2026, 11, 1))
    assert nov_a["logins"] is None and nov_a["actions"] is None
    assert nov_a["events_null_reason"] == "events_not_extracted"
    (nov_b,) = rows(engagement, account_id="acc_b", month=dt.date(2026, 11, 1))
    assert nov_b["score"] is None and nov_b["score_null_reason"] == "no_input_covered"
    # acc_a's September (created 09-10) is covered and empty: zeros; nothing before creation.
    assert rows(engagement, account_id="acc_a", month=dt.date(2026, 9, 1))[0]["logins"] == 0
    assert not rows(engagement, account_id="acc_b", month=dt.date(2026, 9, 1))


def test_csm_portfolio_counts_levels(con) -> None:
    _, portfolio = build_engagement(con, load_engagement_config())
    (october,) = rows(portfolio, csm_id="csm_1", month=dt.date(2026, 10, 1))
    # acc_a scores 32 (low), acc_b 0 (low): two low accounts, mean (32.35 + 0) / 2.
    assert (october["accounts"], october["low"], october["high"]) == (2, 2, 0)
    assert october["at_risk_accounts"] == ["acc_a", "acc_b"]
    assert october["mean_score"] == pytest.approx(16.175)


def test_onboarding_program_by_segment_and_stall(con) -> None:
    progress, milestones, left_out = build_onboarding(con, AS_OF, load_onboarding_config())
    assert left_out == 0
    (a,) = rows(progress, account_id="acc_a")
    assert a["program"] == "self-serve-v1"  # smb
    assert a["onboarding_start"] == dt.date(2026, 11, 5)
    # 3 of the 5 required steps (welcome, first_chatbot, install).
    assert (a["required_done"], a["required_steps"]) == (3, 5)
    assert a["progress"] == pytest.approx(0.6)
    assert a["stalled"] is True  # 11-10 − 11-07 = 3 days without a step
    assert a["first_value_on"] is None and a["time_to_first_value_days"] is None
    (b,) = rows(progress, account_id="acc_b")
    assert b["program"] == "mid-market-v1"  # enterprise
    assert b["onboarding_start"] == dt.date(2026, 11, 1)  # not the incomplete 10-20 attempt
    assert (b["required_done"], b["required_steps"]) == (2, 6)
    assert b["stalled"] is False  # 11-10 − 11-08 = 2 days
    # acc_a's day1 milestone (first_chatbot, install) was reached 11-07, target 11-05 + 1 day.
    (day1,) = rows(milestones, account_id="acc_a", milestone="day1")
    assert (day1["reached_on"], day1["target_on"], day1["on_time"]) == (
        dt.date(2026, 11, 7),
        dt.date(2026, 11, 6),
        False,
    )


def test_expansion_inputs_null_when_events_not_extracted_to_the_as_of_day(con) -> None:
    inputs = pl.from_arrow(
        con.sql("select * from intermediate.int_account_expansion_inputs").to_arrow_table()
    )
    (a,) = rows(inputs, account_id="acc_a")
    assert a["usage_vs_limit"] is None and a["blocked_feature_attempts"] is None
    assert a["nps_score"] == 10.0  # the latest response (10-20), not the earlier 6
    assert a["mrr"] is None and a["mrr_null_reason"] == "never_paid"


def test_advocacy_needs_health(con) -> None:
    engagement, _ = build_engagement(con, load_engagement_config())
    config = load_expansion_config()
    without = build_expansion(con, AS_OF, engagement, None, config)[2]
    assert without.is_empty()
    health = pl.DataFrame({"account_id": ["acc_a", "acc_b"], "health_score": [75.0, 90.0]})
    opportunities, _, candidates = build_expansion(con, AS_OF, engagement, health, config)
    # acc_a: latest NPS 10 ≥ 9, health 75 ≥ 70, no advocacy status; acc_b has no NPS. MRR is
    # NULL (never paid) and still ranks, last.
    assert candidates["account_id"].to_list() == ["acc_a"]
    assert candidates["rank"].to_list() == [1]


def test_seat_growth_from_the_snapshot_90_days_earlier(con) -> None:
    """acc_a had 2 seats in the snapshot of 08-12 (11-10 − 90 days) and has 4 now: growth
    4/2 − 1 = 1.0 ≥ 0.2 fires team_growth. Evaluable signals for acc_a: team_growth (0.7),
    high_engagement (0.6; October scores 32.35, not > 80) and nps_promoter (0.5; latest 10);
    usage and blocked attempts are not (events not extracted to 11-10), nor renewal (no item)
    or success metrics. Probability = (0.7 + 0.5) / (0.7 + 0.6 + 0.5) = 1.2 / 1.8 = 0.67. The
    add-seats value needs MRR, which acc_a does not have: NULL, not 0."""
    engagement, _ = build_engagement(con, load_engagement_config())
    con.execute("create schema if not exists transforms")
    con.execute(
        "create or replace table transforms.account_seats_daily as "
        "select 'acc_a' as account_id, date '2026-08-12' as as_of_date, 2::bigint as seats"
    )
    try:
        opportunities = build_expansion(con, AS_OF, engagement, None, load_expansion_config())[0]
    finally:
        con.execute("drop table transforms.account_seats_daily")
    (seats,) = rows(opportunities, account_id="acc_a")
    assert seats["type"] == "add_seats"
    assert seats["probability"] == pytest.approx(0.67)
    assert sorted(seats["signals"]) == ["nps_promoter", "team_growth"]
    assert seats["estimated_value"] is None
    assert seats["health_score"] is None
    # Without the snapshot, acc_a has no evaluable growth and no opportunity.
    without = build_expansion(con, AS_OF, engagement, None, load_expansion_config())[0]
    assert rows(without, account_id="acc_a") == []
