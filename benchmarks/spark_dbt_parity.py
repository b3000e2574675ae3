"""Build the dbt project on Apache Spark and on DuckDB from the same sources, time both, and print
what differs (issue #27; README, "When one machine is not enough").

Run: .venv/bin/python benchmarks/spark_dbt_parity.py [--warehouse DIR] [--as-of YYYY-MM-DD] [--work DIR]

Needs the Spark environment (`make setup-spark`, which `make test` runs: .venv-spark, or the dbt
named by CSW_SPARK_DBT). The warehouse is one a `csw run`
built (default: the demo's, data/warehouse); its build database's sources (raw tables, ingest log,
transforms' outputs) are exported to Parquet under the work directory, registered in Spark's
metastore, and the dbt project is built on Spark (session mode, local[2]) and, on a copy of the build
database, in full on DuckDB, as of the newest drop the warehouse loaded unless --as-of says.
Every model and seed is then compared (orchestration/compare.py; doubles and decimals to 10
significant digits). Exit 0 when both builds passed and every table is equal.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

from orchestration.assets.dbt import ensure_manifest
from orchestration.spark import build_on_both_engines


def newest_drop(build_db: Path) -> str:
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        return str(con.execute("select max(drop_date) from audit.ingest_log").fetchone()[0])
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("data/warehouse"))
    parser.add_argument("--as-of")
    parser.add_argument("--work", type=Path, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    build_db = args.warehouse / "build" / "warehouse.duckdb"
    if not build_db.exists():
        parser.error(f"{build_db} does not exist: run `csw run` (or `make demo`) first")
    as_of = args.as_of or newest_drop(build_db)
    work = args.work or Path(tempfile.mkdtemp(prefix="csw-spark-parity-"))
    print(f"sources of {build_db}, as of {as_of}; scratch in {work}")
    parity = build_on_both_engines(build_db, as_of, work, ensure_manifest())
    rows = sum(parity.exported.values())
    print(
        f"sources: {len(parity.exported)} of {len(parity.declared_sources)} tables, {rows:,} rows"
    )
    for step, seconds in parity.seconds.items():
        state = "FAILED" if step in parity.failures else "ok"
        print(f"{step:<36} {seconds:8.1f} s  {state}")
    for step, tail in parity.failures.items():
        print(f"--- {step} failed; the end of dbt's output:\n{tail}")
    print(
        f"relations built by dbt: {len(parity.built)}; missing on Spark: {len(parity.missing_on_spark)}"
    )
    for relation in parity.missing_on_spark:
        print(f"  missing: {relation}")
    print(f"relations that differ: {len(parity.differences)}")
    for difference in parity.differences:
        print(f"  {difference}")
    equal = not parity.failures and not parity.missing_on_spark and not parity.differences
    print("equal" if equal else "NOT equal")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
