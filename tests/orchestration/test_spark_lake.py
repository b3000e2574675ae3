"""The lake between the build database and Spark (issue #27): what goes out to Spark and what
comes back, without Spark (tests/spark runs the engine itself)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import ENV_ENGINE, ENV_SPARK_WAREHOUSE_DIR, Settings
from orchestration.spark import (
    LAKE_RECORD,
    Relation,
    link_spark_tables,
    spark_table_dir,
    sync_lake,
)

RAW = Relation("raw", "app_db__events")
LOG = Relation("audit", "ingest_log")


def _build(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    con.execute("create schema raw; create schema audit")
    con.execute(
        "create table raw.app_db__events (event_id varchar, _drop_date date, _line bigint, "
        "_loaded_at timestamp)"
    )
    con.execute(
        "insert into raw.app_db__events values "
        "('e1', date '2026-11-01', 1, timestamp '2026-11-02 06:00'), "
        "('e2', date '2026-11-01', 2, timestamp '2026-11-02 06:00'), "
        "('e3', date '2026-11-02', 1, timestamp '2026-11-03 06:00')"
    )
    con.execute("create table audit.ingest_log (source varchar, drop_date date)")
    con.execute("insert into audit.ingest_log values ('app_db', date '2026-11-01')")
    return con


def _lake_rows(directory: Path) -> list[tuple]:
    files = sorted(directory.glob("*.parquet"))
    listed = ", ".join(f"'{f}'" for f in files)
    return duckdb.sql(f"select * from read_parquet([{listed}]) order by all").fetchall()


def test_a_raw_table_goes_to_the_lake_a_file_per_drop_and_only_changed_drops_are_written_again(
    tmp_path: Path,
) -> None:
    con = _build(tmp_path)
    lake = tmp_path / "lake"
    counts = sync_lake(con, lake, [RAW, LOG, Relation("transforms", "not_built_yet")])
    # a source the build has not created is left out (Spark's build then names it)
    assert counts == {RAW: 3, LOG: 1}
    events = lake / "raw" / "app_db__events"
    assert sorted(p.name for p in events.glob("*.parquet")) == [
        "drop_2026-11-01.parquet",
        "drop_2026-11-02.parquet",
    ]
    assert (
        _lake_rows(events)
        == con.execute("select * from raw.app_db__events order by all").fetchall()
    )
    assert [p.name for p in (lake / "audit" / "ingest_log").glob("*.parquet")] == ["whole.parquet"]
    first = (events / "drop_2026-11-01.parquet").stat().st_mtime_ns
    second = (events / "drop_2026-11-02.parquet").stat().st_mtime_ns

    # the second drop re-delivered (ingest replaces its rows, loaded later), a third drop arrives
    con.execute("delete from raw.app_db__events where _drop_date = date '2026-11-02'")
    con.execute(
        "insert into raw.app_db__events values "
        "('e3', date '2026-11-02', 1, timestamp '2026-11-04 06:00'), "
        "('e4', date '2026-11-02', 2, timestamp '2026-11-04 06:00'), "
        "('e5', date '2026-11-03', 1, timestamp '2026-11-04 06:00')"
    )
    assert sync_lake(con, lake, [RAW])[RAW] == 5
    assert (events / "drop_2026-11-01.parquet").stat().st_mtime_ns == first
    assert (events / "drop_2026-11-02.parquet").stat().st_mtime_ns != second
    assert (
        _lake_rows(events)
        == con.execute("select * from raw.app_db__events order by all").fetchall()
    )
    record = json.loads((events / LAKE_RECORD).read_text())
    assert record["partitions"]["2026-11-02"].startswith("2/2026-11-04 06:00:00")

    # a drop whose rows are all gone leaves the lake too; an empty table is one empty file
    con.execute("delete from raw.app_db__events where _drop_date = date '2026-11-03'")
    sync_lake(con, lake, [RAW])
    assert not (events / "drop_2026-11-03.parquet").exists()
    con.execute("delete from raw.app_db__events")
    sync_lake(con, lake, [RAW])
    assert [p.name for p in events.glob("*.parquet")] == ["empty.parquet"]
    assert _lake_rows(events) == []
    assert duckdb.sql(f"describe select * from '{events / 'empty.parquet'}'").fetchall()[0][0] == (
        "event_id"
    )


def test_a_daily_table_of_the_transforms_goes_to_the_lake_a_file_per_day(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    con.execute("create schema transforms")
    con.execute(
        "create table transforms.health_scores_daily as select * from (values "
        "(date '2026-11-01', 'a1', 70.0), (date '2026-11-01', 'a2', 40.0), "
        "(date '2026-11-02', 'a1', 71.0)) as v(as_of_date, account_id, score)"
    )
    scores = Relation("transforms", "health_scores_daily")
    lake = tmp_path / "lake"
    sync_lake(con, lake, [scores])
    directory = lake / "transforms" / "health_scores_daily"
    first = (directory / "day_2026-11-01.parquet").stat().st_mtime_ns
    second = (directory / "day_2026-11-02.parquet").stat().st_mtime_ns
    # the second day written again with the same number of rows but another score
    con.execute(
        "update transforms.health_scores_daily set score = 72.0 "
        "where as_of_date = date '2026-11-02'"
    )
    sync_lake(con, lake, [scores])
    assert (directory / "day_2026-11-01.parquet").stat().st_mtime_ns == first
    assert (directory / "day_2026-11-02.parquet").stat().st_mtime_ns != second
    assert (
        _lake_rows(directory)
        == con.execute("select * from transforms.health_scores_daily order by all").fetchall()
    )
    # a row without a day is kept too, in a file of its own
    con.execute("insert into transforms.health_scores_daily values (null, 'a3', 10.0)")
    sync_lake(con, lake, [scores])
    assert (directory / "day_null.parquet").exists()
    assert len(_lake_rows(directory)) == 4


def test_a_changed_column_list_rewrites_the_table_in_the_lake(tmp_path: Path) -> None:
    con = _build(tmp_path)
    lake = tmp_path / "lake"
    sync_lake(con, lake, [RAW])
    con.execute("alter table raw.app_db__events add column user_id varchar")
    sync_lake(con, lake, [RAW])
    events = lake / "raw" / "app_db__events"
    for path in events.glob("*.parquet"):
        columns = [row[0] for row in duckdb.sql(f"describe select * from '{path}'").fetchall()]
        assert "user_id" in columns, path


def test_what_spark_built_is_read_in_place_of_the_model_and_its_duckdb_build_record(
    tmp_path: Path,
) -> None:
    spark_dir = tmp_path / "spark"
    events = Relation("staging", "stg_app_db__events")
    view = Relation("staging", "stg_app_db__accounts")
    for relation, query in [
        (
            events,
            "select 'e1' as event_id, timestamptz '2026-11-02 06:30:00+00' as occurred_at, 3 as n",
        ),
        (view, "select 'a1' as account_id"),
    ]:
        directory = spark_table_dir(spark_dir, relation)
        directory.mkdir(parents=True)
        duckdb.sql(
            f"copy ({query}) to '{directory / 'part-00000.snappy.parquet'}' (format parquet)"
        )
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    con.execute("create schema staging")
    con.execute("create table staging.stg_app_db__events as select 'old' as event_id")
    con.execute("create table staging.stg_app_db__events__built as select 1 as build_sequence")
    con.execute("create table staging.stg_app_db__events__changed as select 1 as x")
    con.execute("create view staging.stg_app_db__accounts as select 'old' as account_id")
    missing = link_spark_tables(con, spark_dir, [events, view, Relation("marts", "never_built")])
    assert missing == [Relation("marts", "never_built")]
    assert con.execute("select * from staging.stg_app_db__events").fetchall() == [
        ("e1", dt.datetime(2026, 11, 2, 6, 30), 3)
    ]
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'stg_app_db__events'"
        ).fetchall()
    )
    # Spark's UTC timestamps come back as the plain timestamps DuckDB's build writes
    assert types["occurred_at"] == "TIMESTAMP"
    tables = dict(
        con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'staging'"
        ).fetchall()
    )
    # both read Spark's files; the records of DuckDB's last build are gone with the old table
    assert tables == {"stg_app_db__events": "VIEW", "stg_app_db__accounts": "VIEW"}
    # Spark rewrites a table's files on its next build: the view reads whatever files are there
    directory = spark_table_dir(spark_dir, view)
    (directory / "part-00000.snappy.parquet").unlink()
    duckdb.sql(
        "copy (select 'a2' as account_id) to "
        f"'{directory / 'part-00000-new.snappy.parquet'}' (format parquet)"
    )
    assert con.execute("select * from staging.stg_app_db__accounts").fetchall() == [("a2",)]


def test_the_engine_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_ENGINE, "spark")
    assert Settings.from_env().engine == "spark"
    monkeypatch.setenv(ENV_ENGINE, "")
    assert Settings.from_env().engine == "duckdb"
    monkeypatch.setenv(ENV_ENGINE, "snowflake")
    with pytest.raises(SystemExit, match="CSW_ENGINE='snowflake' is not one of duckdb, spark"):
        Settings.from_env()
    with pytest.raises(ValueError, match="engine 'sqlite'"):
        Settings(tmp_path, tmp_path, engine="sqlite")


def test_on_spark_dbt_is_told_where_spark_keeps_its_tables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dbt = tmp_path / "spark-env" / "bin" / "dbt"
    dbt.parent.mkdir(parents=True)
    dbt.touch()
    monkeypatch.setenv("CSW_SPARK_DBT", str(dbt))
    duck = Settings(tmp_path / "x", tmp_path / "w")
    spark = Settings(tmp_path / "x", tmp_path / "w", engine="spark")
    assert ENV_SPARK_WAREHOUSE_DIR not in duck.dbt_environment()
    assert spark.dbt_environment()[ENV_SPARK_WAREHOUSE_DIR] == str(tmp_path / "w" / "spark")
    assert spark.dbt_environment()["PYSPARK_PYTHON"] == str(dbt.with_name("python"))


def test_on_spark_the_job_runs_the_spark_environments_dbt_with_its_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from orchestration.resources import build_resources
    from orchestration.settings import DBT_EXECUTABLE

    dbt = tmp_path / "spark-env" / "bin" / "dbt"
    dbt.parent.mkdir(parents=True)
    dbt.write_text("#!/bin/sh\n")
    dbt.chmod(0o755)
    monkeypatch.setenv("CSW_SPARK_DBT", str(dbt))
    spark = build_resources(Settings(tmp_path / "x", tmp_path / "w", engine="spark"))["dbt"]
    duck = build_resources(Settings(tmp_path / "x", tmp_path / "w"))["dbt"]
    assert (spark.dbt_executable, spark.target) == (str(dbt), "spark")
    assert (duck.dbt_executable, duck.target) == (DBT_EXECUTABLE, "build")
