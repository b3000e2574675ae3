"""The dbt project on Apache Spark (issue #27): the same models, tests and unit tests, built by
dbt-spark in session mode, from the sources a DuckDB build holds, and compared with DuckDB's.

What this covers today: the dbt layer. `export_sources` writes every table the dbt project declares
as a source (ingest's raw tables, the ingest log, the Polars transforms' outputs) from a DuckDB build
database to Parquet, one directory per table; `register_sources` makes them tables of Spark's
metastore under the same schema names; `run_dbt` runs dbt with CSW_ENGINE=spark, whose profile
(dbt_project/profiles.yml) keeps Spark's tables as Parquet under CSW_SPARK_WAREHOUSE_DIR.
dbt-spark and pyspark are those of an environment of their own (`make setup-spark`: .venv-spark, or
the dbt named by CSW_SPARK_DBT); DuckDB's build runs this environment's dbt.
`link_spark_tables` then opens what Spark wrote with DuckDB (views over its files), so the comparison
(orchestration/compare.py) reads Spark's Parquet files directly and does not go through Spark.
`csw run --engine spark` uses the same pieces for each dbt step (orchestration/assets/dbt.py); the
Python side (ingest, transforms, gate, publish) still works in the DuckDB build database: see
README, "When one machine is not enough".
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

from orchestration.settings import (
    DBT_PROJECT_DIR,
    ENV_ENGINE,
    ENV_SPARK_WAREHOUSE_DIR,
    PROJECT_ROOT,
)

# The dbt that builds on Spark: dbt-spark and pyspark live in an environment of their own
# (`make setup-spark`: .venv-spark), not beside Great Expectations, which imports pyspark whenever
# it is importable (and pyspark.sql.connect exits the process under pytest-xdist).
ENV_SPARK_DBT = "CSW_SPARK_DBT"
DEFAULT_SPARK_DBT = PROJECT_ROOT / ".venv-spark" / "bin" / "dbt"


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


# The lake's record of what each table directory holds (Spark skips files whose names start with _).
LAKE_RECORD = "_exported.json"


@dataclass(frozen=True)
class LakePartitioning:
    """How a table is split into one Parquet file per value of `column` in the lake, and what
    tells that a partition's rows changed since it was written (`signature`, SQL over a table
    aliased t, grouped by the column)."""

    column: str
    needs: frozenset[str]
    signature: str
    prefix: str


# Ingest stamps every raw row with the drop it came from and when it was loaded (a re-delivered
# drop is loaded again): a raw table is a file per drop date, rewritten when that drop's row count
# or newest load time changed. The transforms write their daily tables by day (as_of_date,
# orchestration/warehouse_io.py): a file per day, rewritten when that day's rows changed (their
# count or the sum of their row hashes).
PARTITIONINGS = (
    LakePartitioning(
        "_drop_date",
        frozenset({"_drop_date", "_loaded_at"}),
        "cast(count(*) as string) || '/' || cast(max(t._loaded_at) as string)",
        "drop_",
    ),
    LakePartitioning(
        "as_of_date",
        frozenset({"as_of_date"}),
        "cast(count(*) as string) || '/' || cast(sum(cast(hash(t) as hugeint)) as string)",
        "day_",
    ),
)


def _quoted(relation: Relation) -> str:
    return f'"{relation.schema}"."{relation.name}"'


def _present_tables(con: duckdb.DuckDBPyConnection) -> set[Relation]:
    return {
        Relation(schema, name)
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }


def _column_types(con: duckdb.DuckDBPyConnection, relation: Relation) -> list[list[str]]:
    return [
        [name, data_type]
        for name, data_type in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [relation.schema, relation.name],
        ).fetchall()
    ]


def _copy_to_parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.execute(f"copy ({query}) to '{path}' (format parquet)")


def sync_lake(
    con: duckdb.DuckDBPyConnection, lake_dir: Path, sources: list[Relation]
) -> dict[Relation, int]:
    """Bring lake_dir/<schema>/<table>/ up to date with each source table of the build database
    `con` holds; each table's row count. A raw table (by drop date) and a daily table of the
    transforms (by as_of_date) are kept as one Parquet file per value (PARTITIONINGS), and only the
    partitions whose rows changed since the last sync are written again (a new drop, a re-delivered
    one, a day written again; a partition gone is removed); any other table (the ingest log, the
    transforms' other outputs) is written whole. A changed column list rewrites the table's
    directory. A source the build database has not created (a table only some drops bring) is left
    out: Spark's build then fails on it by name, as DuckDB's would."""
    counts: dict[Relation, int] = {}
    present = _present_tables(con)
    for relation in sources:
        if relation not in present:
            continue
        directory = lake_dir / relation.schema / relation.name
        directory.mkdir(parents=True, exist_ok=True)
        columns = _column_types(con, relation)
        names = {name for name, _ in columns}
        record_path = directory / LAKE_RECORD
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        if record.get("columns") != columns:
            for stale in directory.glob("*.parquet"):
                stale.unlink()
            record = {"columns": columns, "partitions": {}}
        partitioning = next((p for p in PARTITIONINGS if p.needs <= names), None)
        if partitioning is None:
            _copy_to_parquet(con, f"select * from {_quoted(relation)}", directory / "whole.parquet")
            record["partitions"] = {}
        else:
            record["partitions"] = _sync_partitions(
                con,
                relation,
                directory,
                partitioning,
                dict(columns)[partitioning.column],
                record.get("partitions", {}),
            )
        record_path.write_text(json.dumps(record, indent=1))
        counts[relation] = con.execute(f"select count(*) from {_quoted(relation)}").fetchone()[0]
    return counts


def _sync_partitions(
    con: duckdb.DuckDBPyConnection,
    relation: Relation,
    directory: Path,
    partitioning: LakePartitioning,
    column_type: str,
    exported: dict[str, str],
) -> dict[str, str]:
    """Write the partition files of `relation` whose signature differs from `exported`, remove
    those of values no longer in it; what the directory now holds, by value ("null" for NULL)."""
    column = f't."{partitioning.column}"'
    now = {
        value or "null": signature
        for value, signature in con.execute(
            f"select cast({column} as string), {partitioning.signature} "
            f"from {_quoted(relation)} as t group by 1"
        ).fetchall()
    }
    for value, signature in now.items():
        path = directory / f"{partitioning.prefix}{value}.parquet"
        if exported.get(value) != signature or not path.exists():
            match = (
                f"{column} is null" if value == "null" else f"cast({column} as string) = '{value}'"
            )
            _copy_to_parquet(con, f"select * from {_quoted(relation)} as t where {match}", path)
    for value in set(exported) - set(now):
        (directory / f"{partitioning.prefix}{value}.parquet").unlink(missing_ok=True)
    # Spark needs a file to read a table's columns from: an empty table is one empty file.
    empty = directory / "empty.parquet"
    if now:
        empty.unlink(missing_ok=True)
    else:
        _copy_to_parquet(con, f"select * from {_quoted(relation)} where false", empty)
    return now


def export_sources(build_db: Path, lake_dir: Path, sources: list[Relation]) -> dict[Relation, int]:
    """sync_lake from a build database file opened read-only."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        return sync_lake(con, lake_dir, sources)
    finally:
        con.close()


# The tables an incremental DuckDB build keeps beside a model (macros/incremental_events.sql,
# macros/chunked_daily_table.sql). A table Spark rebuilt whole replaces the model in the build
# database, so its record of the last DuckDB build no longer describes it.
DUCKDB_BUILD_RECORDS = ("__built", "__changed")


def link_spark_tables(
    con: duckdb.DuckDBPyConnection, spark_dir: Path, relations: list[Relation]
) -> list[Relation]:
    """Each relation Spark built as a view of the build database `con` holds, over the Parquet
    files Spark keeps for it (nothing is copied: the transforms, the gate and publish read the
    lake's tables through it), replacing the table or view of that name and dropping the DuckDB
    build records beside it; the relations Spark has no files for. Spark's timestamps (session time
    zone UTC) read as DuckDB's plain UTC timestamps, as DuckDB's build writes them."""
    missing = []
    for relation in relations:
        directory = spark_table_dir(spark_dir, relation).resolve()
        if not any(directory.glob("*.parquet")):
            missing.append(relation)
            continue
        source = f"read_parquet('{directory}/*.parquet')"
        zoned = [
            name
            for name, data_type, *_ in con.execute(f"describe select * from {source}").fetchall()
            if data_type == "TIMESTAMP WITH TIME ZONE"
        ]
        replace = ", ".join(f'timezone(\'UTC\', "{name}") as "{name}"' for name in zoned)
        select = f"select * replace ({replace})" if zoned else "select *"
        con.execute(f'create schema if not exists "{relation.schema}"')
        for suffix in ("", *DUCKDB_BUILD_RECORDS):
            existing = Relation(relation.schema, relation.name + suffix)
            kind = con.execute(
                "select table_type from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [existing.schema, existing.name],
            ).fetchone()
            if kind:
                con.execute(f"drop {'view' if kind[0] == 'VIEW' else 'table'} {_quoted(existing)}")
        con.execute(f"create view {_quoted(relation)} as {select} from {source}")
    return missing


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
    views = duckdb.connect(str(spark_views))
    try:
        missing = link_spark_tables(views, spark_dir, built)
    finally:
        views.close()
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
