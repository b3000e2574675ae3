"""GX suites on hand-made DuckDB tables (orchestration/gate/gx.py): each kind of expectation passes
on good rows and fails, with the unexpected count worked out by hand, on rows that break it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.config import load_gx_suites
from orchestration.gate import gx as runner
from orchestration.gate.gx import validate_published_tables
from tests.orchestration.gate.gx_tables import ALL_TABLES, GOOD_TABLES, failures, only

MOVEMENTS = "marts.mrr_movements_monthly"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(GOOD_TABLES)
    yield connection
    connection.close()


def test_tables_meeting_their_suites_pass(con: duckdb.DuckDBPyConnection) -> None:
    report = validate_published_tables(con)

    assert report.success
    assert [t.table for t in report.tables] == ALL_TABLES
    assert {t.status for t in report.tables} == {"pass"}
    assert failures(report) == set()
    assert report.table("marts.health_scores_daily").rows == 4
    # The 1.0000000000000002 coverage (a float sum of weights) is rounding, not a breach.
    coverage = [
        r
        for r in report.table("marts.health_scores_daily").results
        if r.expectation == "expect_column_values_to_be_between" and r.column == "coverage"
    ]
    assert len(coverage) == 1 and coverage[0].success
    # So is a Wilson upper bound of 0.9999999999999998 under a retention of exactly 1.
    (upper,) = [
        r
        for r in report.table("marts.revenue_cohorts").results
        if r.column == "logo_retention, logo_retention_ci_high + 1e-09"
    ]
    assert upper.success


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        pytest.param(
            # A second row for 2026-10-01: both rows of that month count as duplicates.
            "insert into marts.mrr_movements_monthly select * from marts.mrr_movements_monthly "
            "where month = date '2026-10-01'",
            {("marts.mrr_movements_monthly", "expect_column_values_to_be_unique", "month", 2)},
            id="duplicate key",
        ),
        pytest.param(
            # nps 120 is out of range and above its interval's upper bound 26.4.
            "update marts.nps_summary set nps = 120 where period_type = 'month' and promoters = 40",
            {
                ("marts.nps_summary", "expect_column_values_to_be_between", "nps", 1),
                (
                    "marts.nps_summary",
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    "nps, nps_ci_high + 1e-09",
                    1,
                ),
            },
            id="nps 120",
        ),
        pytest.param(
            "update marts.health_scores_daily set coverage = 1.2 where account_id = 'acc_3'",
            {("marts.health_scores_daily", "expect_column_values_to_be_between", "coverage", 1)},
            id="coverage 1.2",
        ),
        pytest.param(
            "update marts.health_scores_daily set grade = 'E' "
            "where account_id = 'acc_1' and as_of_date = date '2026-11-20'",
            {("marts.health_scores_daily", "expect_column_values_to_be_in_set", "grade", 1)},
            id="grade E",
        ),
        pytest.param(
            "update marts.mrr_monthly set mrr = -10 where month = date '2026-10-01'",
            {("marts.mrr_monthly", "expect_column_values_to_be_between", "mrr", 1)},
            id="negative mrr",
        ),
        pytest.param(
            "update audit.ingest_log set status = 'done' where source = 'app_db'",
            {("audit.ingest_log", "expect_column_values_to_be_in_set", "status", 1)},
            id="status outside its enumeration",
        ),
        pytest.param(
            # One NULL period; (month, NULL, all) is still a unique key.
            "update marts.nps_summary set period_start = null where promoters = 10",
            {("marts.nps_summary", "expect_column_values_to_not_be_null", "period_start", 1)},
            id="null key",
        ),
        pytest.param(
            # The quarter row becomes a second ('month', 2026-10-01, 'all'): 2 rows share that key.
            "update marts.nps_summary set period_type = 'month' where period_type = 'quarter'",
            {
                (
                    "marts.nps_summary",
                    "expect_compound_columns_to_be_unique",
                    "period_type, period_start, segment",
                    2,
                )
            },
            id="duplicate compound key",
        ),
        pytest.param(
            "update marts.nps_summary set nps_ci_low = 16.0 where period_type = 'month'",
            {
                (
                    "marts.nps_summary",
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    "nps_ci_low, nps + 1e-09",
                    1,
                )
            },
            id="interval bounds out of order",
        ),
        pytest.param(
            # 1.5 is not a fraction, and it lies above its interval's upper bound 0.79.
            "update marts.revenue_retention_monthly set logo_churn_rate = 1.5 "
            "where month = date '2026-10-01'",
            {
                (
                    "marts.revenue_retention_monthly",
                    "expect_column_values_to_be_between",
                    "logo_churn_rate",
                    1,
                ),
                (
                    "marts.revenue_retention_monthly",
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    "logo_churn_rate, logo_churn_ci_high + 1e-09",
                    1,
                ),
            },
            id="churn rate above 1",
        ),
        pytest.param(
            "update marts.revenue_retention_monthly set grr_12m = 1.1 where month = date '2026-11-01'",
            {
                (
                    "marts.revenue_retention_monthly",
                    "expect_column_values_to_be_between",
                    "grr_12m",
                    1,
                )
            },
            id="grr above 1",
        ),
        pytest.param(
            "update marts.dim_accounts set account_id = 'acc_2' where account_id = 'acc_3'",
            {("marts.dim_accounts", "expect_column_values_to_be_unique", "account_id", 2)},
            id="duplicate account",
        ),
        pytest.param(
            "update marts.mrr_movements_monthly set logos_churned = -1 where month = date '2026-09-01'",
            {
                (
                    "marts.mrr_movements_monthly",
                    "expect_column_values_to_be_between",
                    "logos_churned",
                    1,
                )
            },
            id="negative count",
        ),
    ],
)
def test_each_kind_of_breach_fails_its_expectation(
    con: duckdb.DuckDBPyConnection, breakage: str, expected: set
) -> None:
    con.execute(breakage)
    # Only the broken table is validated (GX costs ~0.1 s a table); the test above shows the others pass.
    broken = {table for table, *_ in expected}

    report = validate_published_tables(con, config=only(*broken))

    assert not report.success
    assert failures(report) == expected
    assert {t.table for t in report.tables if t.status == "fail"} == broken


def test_nullable_key_part_takes_part_in_uniqueness(con: duckdb.DuckDBPyConnection) -> None:
    # missing_drop rows have no file; a second one logged at the same time is a duplicate row.
    con.execute("insert into audit.ingest_log select * from audit.ingest_log where file is null")

    report = validate_published_tables(con, config=only("audit.ingest_log"))

    assert failures(report) == {
        (
            "audit.ingest_log",
            "expect_compound_columns_to_be_unique",
            "source, drop_date, file, loaded_at",
            2,
        )
    }


def test_absent_table_is_not_applicable(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("drop table marts.revenue_cohorts")

    report = validate_published_tables(con)

    cohorts = report.table("marts.revenue_cohorts")
    assert cohorts.status == "not_applicable"
    assert cohorts.results == ()
    assert report.success
    row = report.to_frame().filter(pl.col("table") == "marts.revenue_cohorts").row(0, named=True)
    assert row["success"] is None
    assert row["details"].startswith("not_applicable")


def test_only_the_requested_schemas_are_validated(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table marts.churn_signals_daily as select 'acc_1' as account_id")

    report = validate_published_tables(con, schemas=("marts",))

    assert all(t.table.startswith("marts.") for t in report.tables)
    assert report.tables_without_suite == ("marts.churn_signals_daily",)


def test_missing_required_column_fails_missing_optional_one_is_listed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # grade is required; trend is checked only where present.
    con.execute("alter table marts.health_scores_daily drop column grade")
    con.execute("alter table marts.health_scores_daily drop column trend")

    report = validate_published_tables(con, config=only("marts.health_scores_daily"))

    health = report.table("marts.health_scores_daily")
    assert health.status == "fail"
    assert failures(report) == {
        ("marts.health_scores_daily", "expect_column_to_exist", "grade", None)
    }
    assert [r.observed for r in health.results if not r.success] == ["missing column"]
    assert "trend" in health.unchecked_columns
    assert "grade" not in health.unchecked_columns


def _table_of(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    con.execute("drop table marts.mrr_movements_monthly")
    con.execute(
        "create table marts.mrr_movements_monthly as select date '2000-01-01' + to_months(i::int) "
        f"as month, 0 as mrr_start, 0 as mrr_end, 0 as customers_mrr_unknown from range({rows}) t(i)"
    )


@pytest.mark.parametrize(
    ("rows", "passes"),
    [(49, False), (50, True), (100, True), (150, True), (151, False)],
)
def test_row_count_change_within_tolerance(
    con: duckdb.DuckDBPyConnection, rows: int, passes: bool
) -> None:
    # Previous publication 100 rows, ±50%: 50..150 rows allowed.
    _table_of(con, rows)

    report = validate_published_tables(
        con, previous_counts={"marts.mrr_movements_monthly": 100}, config=only(MOVEMENTS)
    )

    (result,) = [
        r
        for r in report.table("marts.mrr_movements_monthly").results
        if r.expectation == "expect_table_row_count_to_be_between"
    ]
    assert result.success is passes
    assert report.success is passes
    assert result.observed.startswith(
        f"{rows} rows; previous publication 100 rows; allowed 50..150"
    )


def test_row_count_not_compared_without_a_previous_publication(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _table_of(con, 1000)

    first = validate_published_tables(con, previous_counts={}, config=only(MOVEMENTS))
    # 5 rows before: under min_previous_rows (10), a 200-fold growth is a young table filling up.
    small = validate_published_tables(
        con, previous_counts={"marts.mrr_movements_monthly": 5}, config=only(MOVEMENTS)
    )

    assert first.success and small.success
    notes = [
        r.observed
        for report in (first, small)
        for r in report.table("marts.mrr_movements_monthly").results
        if r.expectation == "expect_table_row_count_to_be_between"
    ]
    assert notes == [
        "1000 rows; no previous publication",
        "1000 rows; previous publication had 5 rows (< 10): not compared",
    ]


def test_append_only_audit_table_may_grow_but_not_shrink(con: duckdb.DuckDBPyConnection) -> None:
    # audit.check_results keeps every run: 3 + 27 = 30 rows now, three times the previous 10.
    con.execute(
        "insert into audit.check_results select 'run-2', 'r08_freshness', 'source ' || i, 'pass', "
        "null from range(27) t(i)"
    )
    grown = validate_published_tables(
        con, previous_counts={"audit.check_results": 10}, config=only("audit.check_results")
    )
    # One row fewer than the previous publication's 31.
    shrunk = validate_published_tables(
        con, previous_counts={"audit.check_results": 31}, config=only("audit.check_results")
    )

    assert grown.success
    assert failures(shrunk) == {
        ("audit.check_results", "expect_table_row_count_to_be_between", None, None)
    }


def test_published_row_counts_reads_a_publication(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    published = tmp_path / "analytics.duckdb"
    con.execute(f"attach '{published}' as publication")
    con.execute("create schema publication.marts")
    con.execute("create table publication.marts.nps_summary as select * from marts.nps_summary")
    con.execute("detach publication")

    assert runner.published_row_counts(published) == {"marts.nps_summary": 3}
    assert runner.published_row_counts(tmp_path / "none.duckdb") == {}


def test_progress_bars_are_silenced(
    con: duckdb.DuckDBPyConnection, capfd: pytest.CaptureFixture[str]
) -> None:
    validate_published_tables(con, config=only("marts.nps_summary"))

    captured = capfd.readouterr()
    assert "Calculating Metrics" not in captured.err + captured.out


def test_validate_frame_takes_a_polars_frame() -> None:
    config = load_gx_suites()
    # Two rows for (acc_1, 2026-11-20): both duplicates; grade E once; NULL score not checked.
    scores = pl.DataFrame(
        {
            "account_id": ["acc_1", "acc_1", "acc_2"],
            "as_of_date": [dt.date(2026, 11, 20)] * 3,
            "score": [81.0, None, 12.5],
            "grade": ["A", None, "E"],
            "coverage": [1.0, 0.4, 0.7],
        }
    )

    result = runner.validate_frame(
        config.suites["marts.health_scores_daily"], scores, None, config.float_tolerance
    )

    assert result.status == "fail"
    assert result.rows == 3
    assert {
        (r.expectation, r.column, r.unexpected_count) for r in result.results if not r.success
    } == {
        ("expect_compound_columns_to_be_unique", "account_id, as_of_date", 2),
        ("expect_column_values_to_be_in_set", "grade", 1),
    }
    assert "trend" in result.unchecked_columns


SCORES = "marts.health_scores_daily"


def test_a_large_table_is_validated_a_slice_of_accounts_at_a_time(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 accounts × 3 days, broken on a few accounts (so in different slices), and one key twice.
    con.execute(
        f"""
        create or replace table {SCORES} as
        select
            'acc_' || a as account_id,
            date '2026-11-18' + cast(d as integer) as as_of_date,
            case when a = 7 and d = 1 then 140.0 when a = 23 then -5.0 else 50.0 end as score,
            case when a = 11 and d = 2 then 'Z' else 'C' end as grade,
            case when a = 31 then null else 1.0 end as coverage,
            'stable' as trend,
            cast(null as varchar) as reason,
            'h1' as config_version
        from range(40) as accounts(a), range(3) as days(d)
        union all
        select 'acc_5', date '2026-11-18', 50.0, 'C', 1.0, 'stable', null, 'h1'
        """
    )
    reads: list[str] = []
    read_table = runner._read_table

    def counted(*args: object, **kwargs: object):  # the real reader, counting the reads
        reads.append(str(args[-1] if len(args) == 5 else kwargs.get("where", "true")))
        return read_table(*args, **kwargs)

    monkeypatch.setattr(runner, "_read_table", counted)
    previous = {SCORES: 300}  # 121 rows: fewer than the 150 allowed

    whole = validate_published_tables(con, previous_counts=previous, config=only(SCORES))
    assert reads == ["true"]
    sliced = validate_published_tables(
        con, previous_counts=previous, config=only(SCORES), rows_per_slice=25
    )

    assert len(reads) == 1 + 5  # ceil(121 / 25) slices
    # Worked out by hand: -5 on acc_23's three days and 140 once; grade Z once; acc_31's three
    # NULL coverages; acc_5's first day twice; 121 rows against 150..450.
    assert failures(whole) == {
        (SCORES, "expect_column_values_to_be_between", "score", 4),
        (SCORES, "expect_column_values_to_be_in_set", "grade", 1),
        (SCORES, "expect_column_values_to_not_be_null", "coverage", 3),
        (SCORES, "expect_compound_columns_to_be_unique", "account_id, as_of_date", 2),
        (SCORES, "expect_table_row_count_to_be_between", None, None),
    }
    assert sliced.to_frame().equals(whole.to_frame())
    assert sliced.table(SCORES).rows == whole.table(SCORES).rows == 121


def test_a_suite_is_sliced_only_when_colliding_rows_share_an_account() -> None:
    suites = load_gx_suites().suites
    assert runner._sliceable(suites[SCORES])
    assert not runner._sliceable(suites["marts.nps_summary"])  # no account in its key
    assert not runner._sliceable(
        replace(suites[SCORES], unique=(("account_id",), ("grade", "as_of_date")))
    )


def test_a_validated_frame_is_not_kept_by_the_session() -> None:
    """A GX data source's execution engine caches every batch it loads, and GX's objects hold the
    batch in reference cycles: the session must free each validated frame (each slice of a sliced
    table) as soon as its caller drops it, or at 100k accounts the slices of health_scores_daily
    pile up (5 GiB). Checked with a weak reference, without collecting in the test."""
    import weakref

    import great_expectations as gx
    import pandas as pd

    session = runner._GxSession()
    rows = runner.COLLECT_AFTER_ROWS
    for index in range(2):
        frame = pd.DataFrame({"account_id": ["a"] * (rows - 1) + [None]})
        expectation = gx.expectations.ExpectColumnValuesToNotBeNull(column="account_id")
        results = session._run(f"marts__t__slice_{index}", [expectation], frame)
        assert [r.success for r in results] == [False]
        alive = weakref.ref(frame)
        del frame
        assert alive() is None, "the GX session still holds the validated frame"
