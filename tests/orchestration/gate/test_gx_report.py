"""The GX report of a run (orchestration/gate/gx_report.py): the audit.gx_results frame and the
offline HTML fragment, over hand-made DuckDB tables."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from orchestration.gate.gx import validate_published_tables
from tests.orchestration.gate.gx_tables import ALL_TABLES, GOOD_TABLES


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(GOOD_TABLES)
    yield connection
    connection.close()


def test_report_frame_is_ready_for_audit_gx_results(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update marts.mrr_monthly set mrr = -10 where month = date '2026-10-01'")

    frame = validate_published_tables(con).to_frame()

    assert frame.columns == [
        "table",
        "expectation",
        "column",
        "success",
        "unexpected_count",
        "details",
    ]
    assert frame.schema["success"] == pl.Boolean
    assert frame.schema["unexpected_count"] == pl.Int64
    bad = frame.filter(pl.col("success").not_())
    assert bad.height == 1
    assert bad.row(0, named=True) == {
        "table": "marts.mrr_monthly",
        "expectation": "expect_column_values_to_be_between",
        "column": "mrr",
        "success": False,
        "unexpected_count": 1,
        "details": "1 of 4 rows unexpected (expected ≥ 0); e.g. -10 ×1",
    }
    # Written as is into DuckDB.
    con.execute("create table audit.gx_results as select * from frame")
    assert con.execute("select count(*) from audit.gx_results").fetchone()[0] == frame.height


def test_html_is_self_contained_and_escapes_values(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "update marts.health_scores_daily set grade = '<script>x</script>' where score = 85"
    )
    con.execute("drop table marts.revenue_cohorts")

    page = validate_published_tables(con).to_html()

    for external in ("<script", "<link", "@import", "url(", "http", "<style"):
        assert external not in page.lower()
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert page.isascii()
    for table in ALL_TABLES:
        assert table in page
    assert "expect_column_values_to_be_in_set" in page
    assert "not_applicable" in page
    assert re.search(
        rf"FAIL</span> &#8212; {len(ALL_TABLES)} suites, 1 failing \(marts.health_scores_daily\)",
        page,
    )
