"""Hand-made raw rows for the NPS and support asset tests, built through the real dbt models and
Dagster assets (tests/orchestration/assets/test_nps.py and test_support.py work out every expected
figure from the rows below).

Raw tables are created from the ingest registry's DDL and filled with the rows below; dbt builds
staging, the independent SQL NPS (int_nps_by_period_segment → audit.nps_independent_check), the
assets of orchestration/assets/nps.py and support.py run (dg.materialize), and dbt builds the marts
over their output. As-of date 2026-11-20; every row is in the drop of that date.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from data_contracts.raw_tables import RAW_TABLES
from orchestration.assets import nps, support
from orchestration.partitions import daily_partitions
from orchestration.resources import Warehouse
from orchestration.settings import Settings
from tests.raw_rows import insert_raw_rows
from tests.raw_rows import run_dbt as run_dbt_as_of

AS_OF = "2026-11-20"
DROP = dt.date(2026, 11, 20)
LOADED_AT = dt.datetime(2026, 11, 20, 6, 0)
MARTS = (
    "nps_summary",
    "nps_responses",
    "nps_survey_fatigue",
    "nps_detractor_follow_up",
    "support_monthly",
)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def insert_rows(con: duckdb.DuckDBPyConnection, key: str, rows: list[dict[str, Any]]) -> None:
    """Append rows to raw.<key> in the drop of AS_OF; columns not given are NULL."""
    insert_raw_rows(con, key, rows, loaded_at=LOADED_AT, drop=DROP)


def responses_rows() -> list[dict[str, Any]]:
    """September 2026: smb 20 P / 10 Pa / 10 D (n 40), enterprise 12 P / 8 Pa / 10 D (n 30);
    October: one smb detractor at 2026-10-01 00:00:00, one promoter of an account app_db never had
    (an orphan), one promoter of an enterprise account deleted since (it keeps its segment);
    one response submitted after the as-of date (left out by both implementations)."""
    rows: list[dict[str, Any]] = []

    def add(account: str, scores: list[int], day: str) -> None:
        for score in scores:
            rows.append(
                dict(
                    response_id=f"r{len(rows) + 1:03d}",
                    account_id=account,
                    user_id=f"u_{account}",
                    score=score,
                    submitted_at=ts(f"{day} 12:00:00"),
                )
            )

    add("acc_smb", [10] * 10 + [9] * 9 + [8] * 5 + [7] * 5 + [6] * 5 + [0] * 5, "2026-09-10")
    # the 20th smb promoter: at the last second of September, which is September's
    rows.append(
        dict(
            response_id="r_last_second",
            account_id="acc_smb",
            user_id="u_smb_2",
            score=9,
            submitted_at=ts("2026-09-30 23:59:59"),
            comment="Great, but write to ana.lopez+nps@mail.eu.acme.io about invoices",
        )
    )
    add("acc_ent", [10] * 12 + [7] * 8 + [3] * 10, "2026-09-15")
    rows.append(
        dict(
            response_id="r_first_second",
            account_id="acc_smb",
            user_id="u_smb_3",
            score=3,
            submitted_at=ts("2026-10-01 00:00:00"),
            followed_up_at=ts("2026-10-03 23:00:00"),
        )
    )
    rows.append(
        dict(
            response_id="r_unknown",
            account_id="acc_gone",
            user_id="u_gone",
            score=10,
            submitted_at=ts("2026-10-05 08:00:00"),
        )
    )
    rows.append(
        dict(
            response_id="r_deleted",
            account_id="acc_closed",
            user_id="u_closed",
            score=9,
            submitted_at=ts("2026-10-06 08:00:00"),
        )
    )
    rows.append(
        dict(
            response_id="r_future",
            account_id="acc_smb",
            user_id="u_smb_4",
            score=0,
            submitted_at=ts("2026-11-21 00:00:00"),
        )
    )
    return rows


def build_raw(db_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table in RAW_TABLES.values():
        con.execute(table.ddl())
    created = ts("2026-08-01 00:00:00")
    insert_rows(
        con,
        "app_db__accounts",
        [
            dict(account_id="acc_smb", name="Small Co", segment="smb", created_at=created),
            dict(account_id="acc_ent", name="Big Co", segment="enterprise", created_at=created),
            dict(
                account_id="acc_closed",
                name="Closed Co",
                segment="enterprise",
                created_at=created,
                deleted_at=ts("2026-10-20 00:00:00"),
            ),
        ],
    )
    insert_rows(con, "app_db__nps_responses", responses_rows())
    insert_rows(
        con,
        "app_db__nps_survey_sends",
        [
            dict(send_id="s1", account_id="acc_smb", user_id="u1", sent_at=ts("2026-09-01 09:00")),
            # 30 days after s1 to the same account: a fatigue breach at account level
            dict(send_id="s2", account_id="acc_smb", user_id="u2", sent_at=ts("2026-10-01 09:00")),
            dict(send_id="s3", account_id="acc_ent", user_id="u3", sent_at=ts("2026-09-01 09:00")),
        ],
    )
    insert_rows(
        con,
        "ticketing__organizations",
        [
            dict(id=1, name="Small Co", external_id="acc_smb", created_at=created),
            dict(id=2, name="Big Co", external_id="acc_ent", created_at=created),
        ],
    )
    ticket = dict(updated_at=ts("2026-11-19 00:00:00"), tags=[])
    insert_rows(
        con,
        "ticketing__tickets",
        [
            dict(ticket, id=1, organization_id=1, status="solved", priority="normal",
                 subject="Widget broken", created_at=ts("2026-09-10 10:00"),
                 solved_at=ts("2026-10-02 10:00")),
            # created at September's last second, solved at October's first: open at September's end
            dict(ticket, id=2, organization_id=1, status="solved", priority="low",
                 subject="Login", created_at=ts("2026-09-30 23:59:59"),
                 solved_at=ts("2026-10-01 00:00:00")),
            dict(ticket, id=3, organization_id=1, status="closed", priority="urgent",
                 subject="Call jane.doe@example.com, we are looking at Intercom",
                 tags=["billing", "ESCALATED"], created_at=ts("2026-09-15 08:00"),
                 solved_at=ts("2026-09-20 08:00")),
            # still open at the as-of date
            dict(ticket, id=4, organization_id=1, status="open", priority="high",
                 subject="Slow", created_at=ts("2026-10-05 08:00")),
            dict(ticket, id=5, organization_id=2, status="closed", priority="normal",
                 subject="Question", tags=["escalation_requested"],
                 created_at=ts("2026-09-05 08:00"), solved_at=ts("2026-09-06 08:00")),
            # solved with no solved_at: its status says it is not open
            dict(ticket, id=6, organization_id=2, status="solved", priority=None,
                 subject="Other", created_at=ts("2026-09-12 08:00")),
        ],
    )  # fmt: skip
    rating = dict(updated_at=ts("2026-11-19 00:00:00"))
    insert_rows(
        con,
        "ticketing__satisfaction_ratings",
        [
            dict(rating, id=11, ticket_id=1, rating=5, created_at=ts("2026-09-11 08:00")),
            dict(rating, id=12, ticket_id=3, rating=2, created_at=ts("2026-09-21 08:00")),
            dict(rating, id=13, ticket_id=5, score="good", created_at=ts("2026-09-07 08:00")),
            dict(rating, id=14, ticket_id=6, score="good", created_at=ts("2026-09-13 08:00")),
            dict(rating, id=15, ticket_id=6, score="bad", created_at=ts("2026-09-14 08:00")),
            dict(rating, id=16, ticket_id=5, score="offered", created_at=ts("2026-09-08 08:00")),
        ],
    )
    con.close()


def run_dbt(args: list[str], db_path: Path, work_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_dbt_as_of(args, db_path, work_dir, AS_OF)


def build_warehouse(root: Path) -> Path:
    """The build database under `root` after dbt step 1, the NPS/support assets, and the marts."""
    db_path = root / "warehouse" / "build" / "warehouse.duckdb"
    db_path.parent.mkdir(parents=True)
    build_raw(db_path)
    step_1 = run_dbt(
        ["build", "--select", "staging", "+nps_independent_check"],
        db_path,
        root,
    )
    assert step_1.returncode == 0, step_1.stdout[-5000:]
    partitions = daily_partitions(dt.date(2026, 1, 1))
    settings = Settings(extracts_dir=root / "extracts", warehouse_dir=root / "warehouse")
    result = dg.materialize(
        [*nps.build_assets(partitions), *support.build_assets(partitions)],
        partition_key=AS_OF,
        resources={"warehouse": Warehouse(settings)},
    )
    assert result.success
    step_2 = run_dbt(
        ["build", "--select", *(f"marts.{folder}" for folder in ("nps", "support"))],
        db_path,
        root,
    )
    assert step_2.returncode == 0, step_2.stdout[-5000:]
    return db_path


def read(db_path: Path, query: str) -> pl.DataFrame:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return pl.from_arrow(con.sql(query).to_arrow_table())
    finally:
        con.close()
