"""NPS and support marts on hand-made raw rows, through the real dbt models and Dagster assets.

Raw tables are created from the ingest registry's DDL and filled with the rows below; dbt builds
staging, the independent SQL NPS (int_nps_by_period_segment → audit.nps_independent_check), the
transform assets of orchestration/transform_assets/nps_support.py run (dg.materialize), and dbt
builds the marts over their output. Every expected figure is worked out by hand in the comments.
As-of date 2026-11-20; every row is in the drop of that date.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl
import pytest

from data_contracts.raw_tables import RAW_TABLES
from orchestration.gate import email_hits
from orchestration.partitions import daily_partitions
from orchestration.resources import WarehouseResource
from orchestration.transform_assets import nps_support
from tests.raw_rows import insert_raw_rows
from tests.raw_rows import run_dbt as run_dbt_as_of
from transforms.validation_nps import nps_formula

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
    October: one smb detractor at 2026-10-01 00:00:00, one promoter of an account unknown to app_db;
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


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build database after dbt step 1, the NPS/support assets, and the marts."""
    root = tmp_path_factory.mktemp("nps_marts")
    db_path = root / "warehouse" / "build" / "warehouse.duckdb"
    db_path.parent.mkdir(parents=True)
    build_raw(db_path)
    step_1 = run_dbt(
        ["build", "--select", "staging", "+nps_independent_check"],
        db_path,
        root,
    )
    assert step_1.returncode == 0, step_1.stdout[-5000:]
    assets = nps_support.build_assets(daily_partitions(dt.date(2026, 1, 1)))
    result = dg.materialize(
        assets,
        partition_key=AS_OF,
        resources={
            "warehouse": WarehouseResource(
                extracts_dir=str(root / "extracts"), warehouse_dir=str(root / "warehouse")
            )
        },
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


# Independent SQL NPS, by hand: September smb 20 P, 10 Pa, 10 D → 100·10/40 = 25;
# enterprise 12 P, 8 Pa, 10 D → 100·2/30 = 6.666…; all 32 P, 18 Pa, 20 D → 100·12/70 = 17.142857…;
# October smb 0/0/1 → −100, unknown 1/0/0 → 100, all 1/0/1 → 0. Quarters equal their one month.
EXPECTED_SQL = {
    ("2026-09-01", "all"): (70, 32, 18, 20, 1200 / 70),
    ("2026-09-01", "enterprise"): (30, 12, 8, 10, 200 / 30),
    ("2026-09-01", "smb"): (40, 20, 10, 10, 25.0),
    ("2026-10-01", "all"): (2, 1, 0, 1, 0.0),
    ("2026-10-01", "smb"): (1, 0, 0, 1, -100.0),
    ("2026-10-01", "unknown"): (1, 1, 0, 0, 100.0),
}
QUARTER_OF = {"2026-09-01": "2026-07-01", "2026-10-01": "2026-10-01"}


def test_independent_sql_matches_hand_counts(warehouse: Path) -> None:
    sql = read(warehouse, "select * from audit.nps_independent_check")
    got = {
        (r["period_type"], r["period_start"].isoformat(), r["segment"]): (
            r["responses"],
            r["promoters"],
            r["passives"],
            r["detractors"],
            r["nps"],
        )
        for r in sql.iter_rows(named=True)
    }
    expected = {}
    for (month, segment), figures in EXPECTED_SQL.items():
        expected[("month", month, segment)] = figures
        expected[("quarter", QUARTER_OF[month], segment)] = figures
    assert got.keys() == expected.keys()
    for key, figures in expected.items():
        assert got[key][:4] == figures[:4], key
        assert got[key][4] == pytest.approx(figures[4], rel=1e-12, abs=1e-12), key


def test_two_implementations_agree_on_the_same_responses(warehouse: Path) -> None:
    published = read(warehouse, "select * from marts.nps_summary")
    independent = read(warehouse, "select * from audit.nps_independent_check")
    results = nps_formula(published, independent)
    assert [r.status for r in results] == ["pass"], results
    # 12 rows with responses (6 months, 6 quarters); reportable (n ≥ 30): September and Q3 for
    # all, enterprise and smb = 6 NPS compared
    assert results[-1].observed.startswith(
        "12 period × segment rows with responses, 6 NPS compared"
    )
    smb = published.filter(
        (pl.col("period_type") == "month")
        & (pl.col("segment") == "smb")
        & (pl.col("period_start") == dt.date(2026, 9, 1))
    ).row(0, named=True)
    assert smb["nps"] == pytest.approx(25.0)
    assert float(smb["nps_rounded"]) == 25.0


def test_altered_sql_result_is_detected(warehouse: Path, tmp_path: Path) -> None:
    altered_db = tmp_path / "altered.duckdb"
    altered_db.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(altered_db))
    # one promoter turned into a passive in the SQL result: NPS 25 → 100·(19 − 10)/40 = 22.5
    con.execute(
        """
        update audit.nps_independent_check
        set promoters = promoters - 1, passives = passives + 1, nps = 22.5
        where period_type = 'month' and period_start = date '2026-09-01' and segment = 'smb'
        """
    )
    con.close()
    results = nps_formula(
        read(altered_db, "select * from marts.nps_summary"),
        read(altered_db, "select * from audit.nps_independent_check"),
    )
    failed = [r for r in results if r.status == "fail"]
    assert [r.target for r in failed] == ["nps_summary[month 2026-09-01 smb]", "nps_summary"]
    assert "promoters 20 vs 19" in failed[0].observed
    assert "passives 10 vs 11" in failed[0].observed
    assert "nps 25.0 vs 22.5" in failed[0].observed


def test_period_boundaries_in_the_mart(warehouse: Path) -> None:
    rows = read(
        warehouse,
        "select response_id, month_start, quarter_start, segment, category from marts.nps_responses",
    )
    by_id = {r["response_id"]: r for r in rows.iter_rows(named=True)}
    assert by_id["r_last_second"]["month_start"] == dt.date(2026, 9, 1)
    assert by_id["r_last_second"]["quarter_start"] == dt.date(2026, 7, 1)
    assert by_id["r_first_second"]["month_start"] == dt.date(2026, 10, 1)
    assert by_id["r_first_second"]["quarter_start"] == dt.date(2026, 10, 1)
    assert by_id["r_unknown"]["segment"] == "unknown"
    assert "r_future" not in by_id
    # 40 smb + 30 enterprise + 2 October responses
    assert rows.height == 72


def test_nps_summary_reportability_and_trend(warehouse: Path) -> None:
    summary = read(
        warehouse,
        "select * from marts.nps_summary where segment = 'all' order by period_type, period_start",
    )
    months = summary.filter(pl.col("period_type") == "month")
    # periods from the first data (sends on 2026-09-01) to the as-of month: Sep, Oct, Nov
    assert months["period_start"].to_list() == [
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    ]
    october = months.row(1, named=True)
    # 2 responses: not reportable, NULL with the reason, the count still published
    assert (october["responses"], october["nps"], october["reason"]) == (
        2,
        None,
        "insufficient_sample",
    )
    november = months.row(2, named=True)
    assert (november["responses"], november["sends"]) == (0, 0)
    # the trend: the monthly all-segment rows of the last 6 months up to November 2026
    assert months["in_trend"].to_list() == [True, True, True]
    assert not summary.filter(pl.col("period_type") == "quarter")["in_trend"].any()


def test_survey_fatigue_and_follow_up(warehouse: Path) -> None:
    fatigue = read(warehouse, "select level, subject_id, send_id from marts.nps_survey_fatigue")
    # s2 went to acc_smb 30 days after s1; users differ, so no user-level breach
    assert fatigue.rows() == [("account", "acc_smb", "s2")]
    follow_up = read(
        warehouse,
        """
        select detractors, eligible, followed_up_in_time, follow_up_rate, period_end
        from marts.nps_detractor_follow_up
        where period_type = 'month' and period_start = date '2026-10-01' and segment = 'all'
        """,
    ).row(0)
    # one October detractor, followed up 71 h after its response (≤ 72 h): 1/1
    assert follow_up == (1, 1, 1, 1.0, dt.date(2026, 10, 31))


SUPPORT_COLUMNS = (
    "tickets_created",
    "open_at_month_end",
    "tickets_solved",
    "escalated",
    "high_urgent",
    "competitor_mentions",
)


def support_rows(warehouse: Path) -> dict[tuple[str, str], dict[str, Any]]:
    frame = read(warehouse, "select * from marts.support_monthly")
    return {(r["account_id"], r["month_start"].isoformat()): r for r in frame.iter_rows(named=True)}


def test_support_open_at_month_end_across_boundaries(warehouse: Path) -> None:
    rows = support_rows(warehouse)
    counts = {key: tuple(row[c] for c in SUPPORT_COLUMNS) for key, row in rows.items()}
    # acc_smb September: tickets 1, 2, 3 created; open at the end: 1 (solved 2 Oct) and 2 (solved
    # 1 Oct 00:00:00, a second after September's end) = 2; solved: 3; escalated: 3 (tag
    # ESCALATED); high/urgent: 3; competitor: 3 names Intercom.
    assert counts[("acc_smb", "2026-09-01")] == (3, 2, 1, 1, 1, 1)
    # October: ticket 4 created and still open; 1 and 2 solved; 4 is high.
    assert counts[("acc_smb", "2026-10-01")] == (1, 1, 2, 0, 1, 0)
    # November, cut off at the as-of date: ticket 4 still open.
    assert counts[("acc_smb", "2026-11-01")] == (0, 1, 0, 0, 0, 0)
    assert rows[("acc_smb", "2026-11-01")]["month_end"] == dt.date(2026, 11, 20)
    # August: the account existed (created 1 Aug) and had no ticket: true zeros.
    assert counts[("acc_smb", "2026-08-01")] == (0, 0, 0, 0, 0, 0)
    # acc_ent September: 5 and 6 created; 5 solved on 6 Sep; 6 is solved without solved_at (not
    # open, not counted as solved in a month); `escalation_requested` is not the escalated tag.
    assert counts[("acc_ent", "2026-09-01")] == (2, 0, 1, 0, 0, 0)
    assert rows[("acc_smb", "2026-09-01")]["competitors_mentioned"] == ["Intercom"]
    assert ("acc_smb", "2026-07-01") not in rows


def test_support_csat_from_both_rating_kinds(warehouse: Path) -> None:
    rows = support_rows(warehouse)
    smb = rows[("acc_smb", "2026-09-01")]
    # 1–5 ratings 5 and 2: mean 3.5 over 2; no good/bad, so no satisfied share
    assert (smb["csat_mean"], smb["csat_rating_n"]) == (3.5, 2)
    assert (smb["csat_good"], smb["csat_bad"], smb["csat_satisfied_share"]) == (0, 0, None)
    ent = rows[("acc_ent", "2026-09-01")]
    # good, good, bad (offered is not a rating): 2/3, no 1–5 mean
    assert (ent["csat_mean"], ent["csat_rating_n"]) == (None, 0)
    assert (ent["csat_good"], ent["csat_bad"]) == (2, 1)
    assert ent["csat_satisfied_share"] == pytest.approx(2 / 3)
    # Wilson, p = 2/3, n = 3, z² = 3.8416: centre 2/3 + 3.8416/6 = 1.306933; half-width
    # 1.96·√(2/9/3 + 3.8416/36) = 1.96·√0.180785 = 0.833369; divisor 1 + 3.8416/3 = 2.280533
    # → (0.473564 / 2.280533, 2.140302 / 2.280533) = (0.20765, 0.93851)
    assert ent["csat_satisfied_share_ci_low"] == pytest.approx(0.20765, abs=1e-4)
    assert ent["csat_satisfied_share_ci_high"] == pytest.approx(0.93851, abs=1e-4)


def test_no_email_address_in_the_marts(warehouse: Path) -> None:
    comment = read(
        warehouse, "select comment from marts.nps_responses where response_id = 'r_last_second'"
    ).item()
    assert comment == "Great, but write to [email] about invoices"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        hits = email_hits(con, ["marts", "audit"])
    finally:
        con.close()
    mine = hits.filter(pl.col("table").is_in([f"marts.{m}" for m in MARTS]))
    # every text column of the five marts scanned, none with an address
    assert set(mine["table"]) == {f"marts.{m}" for m in MARTS}
    assert mine["rows"].sum() == 0
