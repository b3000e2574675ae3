"""`csw run --engine spark` publishes what `csw run` publishes on DuckDB (issue #27).

The same synthetic drops (100 accounts, 12 months, a first full drop and 14 daily drops) are run as
one range, once with dbt on DuckDB and once with dbt on Spark (session mode, local[2]): ingest,
the transforms, the gate and publish are the same Python on both; on Spark the dbt layers read the
sources from the lake (Parquet, a file per drop) and their tables come back into the build
database. Both runs must publish (so every dbt data and unit test passed on both engines, and the
gate passed), and then:
- every published mart and audit table is equal (EXCEPT ALL both ways, doubles and decimals
  within 1e-9 relative: orchestration/compare.py), run metadata aside;
- every relation dbt built (staging, intermediate, marts, audit, reference) is equal in the two
  build databases.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from orchestration.assets.dbt import ensure_manifest
from orchestration.compare import compare_publications
from orchestration.runner import run_daily_job
from orchestration.settings import Settings
from orchestration.spark import manifest_relations
from synthetic.generator import generate_drops

pytestmark = pytest.mark.slow

END = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Settings]:
    root = tmp_path_factory.mktemp("engines")
    summary = generate_drops(
        root / "extracts", accounts=100, months=12, seed=11, end_date=END, incremental_days=14
    )
    dates = list(summary.drop_dates)
    assert len(dates) == 15, dates
    runs = {}
    for engine in ("duckdb", "spark"):
        settings = Settings(
            extracts_dir=summary.out_dir,
            warehouse_dir=root / engine,
            partitions_start=dates[0],
            engine=engine,
        )
        outcome = run_daily_job(settings, dates[0], dates[-1], progress=lambda _m: None)
        assert outcome.published, f"{engine}: {outcome.reason}\n{outcome.traceback}"
        runs[engine] = settings
    return runs


def test_the_same_drops_publish_the_same_marts_and_audit_tables_on_spark(
    both_engines: dict[str, Settings],
) -> None:
    differences = compare_publications(
        both_engines["duckdb"].published_db,
        both_engines["spark"].published_db,
        approximate_decimals=True,
    )
    assert [d.describe() for d in differences] == []
    con = duckdb.connect(str(both_engines["spark"].published_db), read_only=True)
    try:
        marts = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()[0]
    finally:
        con.close()
    assert marts > 30


def test_every_relation_dbt_built_on_spark_equals_duckdbs(
    both_engines: dict[str, Settings],
) -> None:
    _, built = manifest_relations(ensure_manifest())
    differences = compare_publications(
        both_engines["duckdb"].build_db,
        both_engines["spark"].build_db,
        schemas=tuple(sorted({r.schema for r in built})),
        approximate_decimals=True,
        only={(r.schema, r.name) for r in built},
    )
    assert [d.describe() for d in differences] == []


def test_the_spark_run_read_its_sources_from_the_lake_a_file_per_drop(
    both_engines: dict[str, Settings],
) -> None:
    spark = both_engines["spark"]
    events = sorted(p.name for p in (spark.lake_dir / "raw" / "app_db__events").glob("*.parquet"))
    assert events == [f"drop_{d}.parquet" for d in sorted(spark.drop_dates())]
    # the DuckDB run wrote no lake and no Spark tables
    assert not both_engines["duckdb"].lake_dir.exists()
    assert not both_engines["duckdb"].spark_dir.exists()
