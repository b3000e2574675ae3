"""NPS and support marts on generated drops through the real `csw run` (300 accounts × 14 months).

In the published file: the quarterly all-segment NPS is reportable for at least one quarter; the
published NPS equals the independent dbt SQL figure (rule 1's comparison) for every row, and the
counts also equal a third count made here in Python straight from the newest version of every
response in the CSV drops; no text column of the NPS/support marts holds an e-mail address.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.gate.publication_evidence import email_hits
from tests.e2e.conftest import HealthRun
from transforms.gate.nps_rules import nps_formula

pytestmark = pytest.mark.slow

CSW = [sys.executable, "-m", "orchestration.cli"]
ROOT = Path(__file__).resolve().parents[2]
MARTS = (
    "nps_summary",
    "nps_responses",
    "nps_survey_fatigue",
    "nps_detractor_follow_up",
    "support_monthly",
)


def _csw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CSW, *args], capture_output=True, text=True, timeout=1500, cwd=ROOT)


@pytest.fixture(scope="module")
def run(health_run: HealthRun) -> tuple[Path, duckdb.DuckDBPyConnection]:
    """The health tests' history (300 accounts × 14 months, seed 7, a full and a daily drop),
    published as of its last drop: its extracts and a read-only connection to the published file."""
    published = health_run.warehouse / "published" / "analytics.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    yield health_run.extracts, con
    con.close()


def frame(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    return pl.from_arrow(con.sql(query).to_arrow_table())


def test_quarterly_all_segment_nps_is_reportable(run) -> None:
    _, con = run
    quarters = frame(
        con,
        "select * from marts.nps_summary where period_type = 'quarter' and segment = 'all'",
    )
    reportable = quarters.filter(pl.col("reportable"))
    assert reportable.height >= 1
    assert reportable["nps"].null_count() == 0
    assert (reportable["responses"] >= 30).all()
    assert (reportable["nps_ci_low"] <= reportable["nps"]).all()
    assert (reportable["nps"] <= reportable["nps_ci_high"]).all()
    # below 30 responses the NPS is never a number
    small = frame(con, "select * from marts.nps_summary where responses < 30")
    assert small["nps"].null_count() == small.height
    assert set(small["reason"]) <= {"insufficient_sample"}


def test_published_nps_equals_the_independent_sql(run) -> None:
    _, con = run
    published = frame(con, "select * from marts.nps_summary")
    independent = frame(con, "select * from audit.nps_independent_check")
    results = nps_formula(published, independent)
    assert [r.status for r in results] == ["pass"], [r for r in results if r.status != "pass"]
    assert published.filter(pl.col("reportable")).height >= 1


def valid(row: dict[str, str]) -> bool:
    try:
        score_ok = 0 <= int(row["score"]) <= 10
        dt.datetime.fromisoformat(row["submitted_at"].replace("Z", ""))
    except (ValueError, TypeError):
        return False
    return score_ok and bool(row["response_id"])


def newest_responses(extracts: Path, as_of: dt.date) -> dict[str, dict[str, str]]:
    """The newest version of every response in app_db drops dated ≤ as_of (deleted ones left out)."""
    newest: dict[str, dict[str, str]] = {}
    for drop in sorted((extracts / "app_db").iterdir()):
        if dt.date.fromisoformat(drop.name) > as_of:
            continue
        path = drop / "nps_responses.csv"
        if not path.exists():
            continue
        for row in csv.DictReader(path.open(newline="")):
            if not valid(row):
                continue  # a row breaking the contract is quarantined by ingest, never staged
            newest[row["response_id"]] = row
    return {k: v for k, v in newest.items() if not v.get("deleted_at")}


def test_quarterly_counts_equal_a_count_from_the_drops(run) -> None:
    extracts, con = run
    # the run's as-of date is its last drop date
    as_of = max(dt.date.fromisoformat(p.name) for p in extracts.glob("*/*") if p.is_dir())
    counts: Counter[tuple[dt.date, str]] = Counter()
    for row in newest_responses(extracts, as_of).values():
        submitted = dt.datetime.fromisoformat(row["submitted_at"].replace("Z", "")).replace(
            tzinfo=None
        )
        if submitted.date() > as_of:
            continue
        score = int(row["score"])
        quarter = dt.date(submitted.year, 3 * ((submitted.month - 1) // 3) + 1, 1)
        kind = "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"
        counts[(quarter, kind)] += 1
        counts[(quarter, "responses")] += 1
    published = frame(
        con,
        "select period_start, responses, promoters, passives, detractors from marts.nps_summary "
        "where period_type = 'quarter' and segment = 'all' and responses > 0",
    )
    for row in published.iter_rows(named=True):
        for kind in ("responses", "promoters", "passives", "detractors"):
            assert row[kind] == counts[(row["period_start"], kind)], (row, kind)
    assert published["responses"].sum() == sum(
        v for (_, kind), v in counts.items() if kind == "responses"
    )


def test_no_email_address_in_nps_or_support_marts(run) -> None:
    _, con = run
    hits = email_hits(con, ["marts"])
    mine = hits.filter(pl.col("table").is_in([f"marts.{m}" for m in MARTS]))
    assert set(mine["table"]) == {f"marts.{m}" for m in MARTS}
    assert mine["rows"].sum() == 0
    # support_monthly's competitor names are configured names, never ticket text
    names = con.sql(
        "select distinct unnest(competitors_mentioned) from marts.support_monthly"
    ).fetchall()
    assert all("@" not in name for (name,) in names)
