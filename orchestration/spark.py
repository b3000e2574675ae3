"""The dbt project on Apache Spark (issue #27): the same models, tests and unit tests, built by
dbt-spark in session mode, from the sources a DuckDB build holds, and compared with DuckDB's.

What this covers today: the dbt layer. `export_sources` writes every table the dbt project declares
as a source (ingest's raw tables, the ingest log, the Polars transforms' outputs) from a DuckDB build
database to Parquet, one directory per table; `register_sources` makes them tables of Spark's
metastore under the same schema names; `run_dbt` runs dbt with CSW_ENGINE=spark, whose profile
(dbt_project/profiles.yml) keeps Spark's tables as Parquet under CSW_SPARK_WAREHOUSE_DIR.
dbt-spark and pyspark are those of an environment of their own (`make setup-spark`: .venv-spark, or
the dbt named by CSW_SPARK_DBT); DuckDB's build runs this environment's dbt.
`spark_tables_as_duckdb` then opens what Spark wrote with DuckDB, so the comparison
(orchestration/compare.py) reads Spark's Parquet files directly and does not go through Spark.
The Python side (ingest, transforms, gate, publish) still runs on DuckDB only: see README, "When
one machine is not enough".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

ENV_ENGINE = "CSW_ENGINE"
ENV_SPARK_WAREHOUSE_DIR = "CSW_SPARK_WAREHOUSE_DIR"
# The dbt that builds on Spark: dbt-spark and pyspark live in an environment of their own
# (`make setup-spark`: .venv-spark), not beside Great Expectations, which imports pyspark whenever
# it is importable (and pyspark.sql.connect exits the process under pytest-xdist).
ENV_SPARK_DBT = "CSW_SPARK_DBT"
DEFAULT_SPARK_DBT = PROJECT_ROOT / ".venv-spark" / "bin" / "dbt"
ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def manifest_relations(manifest_path: Path) -> tuple[list[Relation], list[Relation]]:
    """The dbt project's sources, and the relations it builds (models and seeds), from a manifest."""
    manifest = json.loads(manifest_path.read_text())
    sources = sorted(
        {Relation(s["schema"], s["identifier"]) for s in manifest["sources"].values()},
        key=str,
    )
    built = sorted(
        {
            Relation(n["schema"], n.get("alias") or n["name"])
            for n in manifest["nodes"].values()
            if n["resource_type"] in ("model", "seed")
            and n["config"].get("materialized") != "ephemeral"
        },
        key=str,
    )
    return sources, built


def export_sources(build_db: Path, lake_dir: Path, sources: list[Relation]) -> dict[Relation, int]:
    """Each source table of `build_db` as Parquet in lake_dir/<schema>/<table>/; its row count.

    A source the build has not created (a table only some drops bring) is left out: Spark's build
    then fails on it by name, as DuckDB's would."""
    counts: dict[Relation, int] = {}
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        present = {
            Relation(schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for relation in sources:
            if relation not in present:
                continue
            directory = lake_dir / relation.schema / relation.name
            directory.mkdir(parents=True, exist_ok=True)
            con.execute(
                f'copy "{relation.schema}"."{relation.name}" to '
                f"'{directory / 'part-0.parquet'}' (format parquet)"
            )
            counts[relation] = con.execute(
                f'select count(*) from "{relation.schema}"."{relation.name}"'
            ).fetchone()[0]
    finally:
        con.close()
    return counts


def spark_dbt() -> Path:
    """The dbt executable of the Spark environment (CSW_SPARK_DBT, else .venv-spark's)."""
    dbt = Path(os.environ.get(ENV_SPARK_DBT) or DEFAULT_SPARK_DBT)
    if not dbt.is_file():
        raise FileNotFoundError(
            f"no dbt for Spark at {dbt}: run `make setup-spark` (it creates .venv-spark with "
            f"dbt-spark and pyspark), or set {ENV_SPARK_DBT} to the dbt of an environment that "
            "has dbt-spark"
        )
    return dbt


def spark_environment(spark_dir: Path, dbt: Path) -> dict[str, str]:
    """The environment of `dbt` (the Spark environment's) building on Spark, its tables under
    spark_dir."""
    env = dict(os.environ)
    env[ENV_ENGINE] = "spark"
    env[ENV_SPARK_WAREHOUSE_DIR] = str(spark_dir.resolve())
    # Spark's Python workers run the Python of dbt's environment (the one with pyspark)
    env["PYSPARK_PYTHON"] = str(dbt.with_name("python"))
    return env


def run_dbt(
    dbt: Path, args: list[str], env: dict[str, str], target_path: Path, log_path: Path
) -> subprocess.CompletedProcess[str]:
    """`dbt` on the project, with its own target and log directories: the project's own target/
    holds DuckDB's manifest, which the Dagster code reads."""
    return subprocess.run(
        [
            str(dbt),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target_path),
            "--log-path",
            str(log_path),
        ],
        env=env,
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def register_sources(
    dbt: Path, lake_dir: Path, sources: list[Relation], env: dict[str, str], work_dir: Path
) -> subprocess.CompletedProcess[str]:
    """Make each exported source a Parquet table of Spark's metastore (macros/spark_lake.sql)."""
    tables = [
        {
            "schema": r.schema,
            "name": r.name,
            "location": str((lake_dir / r.schema / r.name).resolve()),
        }
        for r in sources
        if (lake_dir / r.schema / r.name).is_dir()
    ]
    return run_dbt(
        dbt,
        ["run-operation", "csw_register_parquet_tables", "--args", json.dumps({"tables": tables})],
        env,
        work_dir / "target",
        work_dir / "logs",
    )


def spark_table_dir(spark_dir: Path, relation: Relation) -> Path:
    """Where Spark keeps a managed table's Parquet files (spark.sql.warehouse.dir in the profile)."""
    return spark_dir / "tables" / f"{relation.schema}.db" / relation.name


def spark_tables_as_duckdb(
    spark_dir: Path, relations: list[Relation], out_db: Path
) -> list[Relation]:
    """A DuckDB file with a view per relation over the Parquet files Spark wrote for it; the
    relations Spark has no files for (missing from its build)."""
    missing = []
    con = duckdb.connect(str(out_db))
    try:
        for relation in relations:
            files = sorted(spark_table_dir(spark_dir, relation).glob("*.parquet"))
            if not files:
                missing.append(relation)
                continue
            con.execute(f'create schema if not exists "{relation.schema}"')
            listed = ", ".join(f"'{f}'" for f in files)
            con.execute(
                f'create or replace view "{relation.schema}"."{relation.name}" as '
                f"select * from read_parquet([{listed}])"
            )
    finally:
        con.close()
    return missing


@dataclass
class EngineParity:
    """Both engines' dbt builds of one build database's sources, and how their tables differ."""

    declared_sources: list[Relation]
    exported: dict[Relation, int]
    built: list[Relation]
    seconds: dict[str, float]
    failures: dict[str, str]
    missing_on_spark: list[Relation]
    differences: list[str]


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr)[-6000:]


def build_on_both_engines(
    build_db: Path, as_of: str, work_dir: Path, manifest: Path
) -> EngineParity:
    """Export `build_db`'s sources, build the dbt project as of `as_of` on Spark (session mode) and on
    a copy of `build_db` (a full DuckDB build), and compare every model and seed the two wrote."""
    from orchestration.compare import compare_publications
    from orchestration.settings import ENV_DUCKDB_PATH

    work_dir.mkdir(parents=True, exist_ok=True)
    duck_db = work_dir / "duckdb.duckdb"
    shutil.copy(build_db, duck_db)
    sources, built = manifest_relations(manifest)
    exported = export_sources(duck_db, work_dir / "lake", sources)
    spark_dir = work_dir / "spark"
    dbt_spark = spark_dbt()
    # DuckDB's build runs this environment's dbt (dbt-duckdb), Spark's the Spark environment's
    dbt_duckdb = Path(sys.executable).with_name("dbt")
    spark_env = spark_environment(spark_dir, dbt_spark)
    duck_env = {**os.environ, ENV_ENGINE: "duckdb", ENV_DUCKDB_PATH: str(duck_db)}
    dbt_vars = json.dumps({"as_of_date": as_of})
    seconds: dict[str, float] = {}
    failures: dict[str, str] = {}
    steps = [
        (
            "spark: register the sources",
            lambda: register_sources(
                dbt_spark, work_dir / "lake", sources, spark_env, work_dir / "spark-dbt"
            ),
        ),
        (
            "spark: dbt build",
            lambda: run_dbt(
                dbt_spark,
                ["build", "--vars", dbt_vars],
                spark_env,
                work_dir / "spark-dbt" / "target",
                work_dir / "spark-dbt" / "logs",
            ),
        ),
        (
            "duckdb: dbt build --full-refresh",
            lambda: run_dbt(
                dbt_duckdb,
                ["build", "--full-refresh", "--vars", dbt_vars],
                duck_env,
                work_dir / "duck-dbt" / "target",
                work_dir / "duck-dbt" / "logs",
            ),
        ),
    ]
    for name, step in steps:
        started = time.monotonic()
        result = step()
        seconds[name] = time.monotonic() - started
        if result.returncode != 0:
            failures[name] = _tail(result)
    spark_views = work_dir / "spark-views.duckdb"
    spark_views.unlink(missing_ok=True)
    missing = spark_tables_as_duckdb(spark_dir, built, spark_views)
    differences = compare_publications(
        duck_db,
        spark_views,
        schemas=tuple(sorted({r.schema for r in built})),
        approximate_decimals=True,
        only={(r.schema, r.name) for r in built},
    )
    return EngineParity(
        sources, exported, built, seconds, failures, missing, [d.describe() for d in differences]
    )
