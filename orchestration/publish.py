"""Publishing: the last step of a run, downstream of every model and every blocking check. The
publish asset copies the checked marts and audit tables into a new file and swaps it in atomically.

The published file is `<warehouse>/published/analytics.duckdb`. A new publication is written under a
name that does not end in `.duckdb`, checkpointed and closed, then renamed over the old file (an atomic
rename on one filesystem). Readers that had the old file open keep their snapshot; a crash at any point
leaves the last good publication in place. Earlier publications are kept in `published/history/`.
"""

import datetime as dt
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.settings import duckdb_memory_limit

PUBLISHED_SCHEMAS = ("marts", "audit")
HISTORY_KEEP = 5
PUBLISH_KEY = dg.AssetKey(["published", "analytics"])


@dataclass(frozen=True)
class Publication:
    """A publication swapped in: its file, the row count of every table, the file it replaced."""

    path: Path
    tables: dict[str, int]
    previous_kept_as: Path | None


def _tables(
    con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]
) -> list[tuple[str, str]]:
    rows = con.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_catalog = ? and table_schema in (select unnest(?::varchar[]))
        order by table_schema, table_name
        """,
        [catalog, list(schemas)],
    ).fetchall()
    return [(schema, name) for schema, name in rows]


def publish_build(build_db: Path, published_dir: Path, run_id: str) -> Publication:
    """Copy every table and view of the published schemas from the build database into a new published file."""
    published_dir.mkdir(parents=True, exist_ok=True)
    history_dir = published_dir / "history"
    target = published_dir / "analytics.duckdb"
    staging = published_dir / f"analytics.duckdb.{run_id}.partial"
    if staging.exists():
        staging.unlink()

    counts: dict[str, int] = {}
    con = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
    try:
        catalog = "build"
        con.execute(f"attach '{build_db}' as build (read_only)")
        con.execute(f"attach '{staging}' as publication")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists publication.{schema}")
        for schema, name in _tables(con, catalog, PUBLISHED_SCHEMAS):
            con.execute(
                f'create table publication.{schema}."{name}" as select * from {catalog}.{schema}."{name}"'
            )
            counts[f"{schema}.{name}"] = con.execute(
                f'select count(*) from publication.{schema}."{name}"'
            ).fetchone()[0]
        con.execute("checkpoint publication")
        con.execute("detach publication")
        con.execute("detach build")
    except BaseException:
        con.close()
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
        raise
    con.close()

    kept: Path | None = None
    if target.exists():
        history_dir.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        kept = history_dir / f"analytics-{stamp}.duckdb"
        # A hard link keeps the old inode reachable from history while the rename replaces the name.
        try:
            os.link(target, kept)
        except OSError:
            shutil.copy2(target, kept)
    os.replace(staging, target)
    _prune_history(history_dir)
    return Publication(path=target, tables=counts, previous_kept_as=kept)


def _prune_history(history_dir: Path, keep: int = HISTORY_KEEP) -> None:
    if not history_dir.exists():
        return
    old = sorted(history_dir.glob("analytics-*.duckdb"))
    for path in old[:-keep]:
        path.unlink()


def rollback(published_dir: Path) -> Path:
    """Restore the newest publication in history as the published file (atomically)."""
    history = sorted((published_dir / "history").glob("analytics-*.duckdb"))
    if not history:
        raise FileNotFoundError(
            f"{published_dir / 'history'}: no earlier publication to roll back to"
        )
    newest = history[-1]
    staging = published_dir / "analytics.duckdb.rollback.partial"
    shutil.copy2(newest, staging)
    os.replace(staging, published_dir / "analytics.duckdb")
    newest.unlink()
    return newest


# --------------------------------------------------------------------------- the asset


def build_publish_asset(
    partitions_def: dg.PartitionsDefinition, upstream: Sequence[dg.AssetsDefinition]
) -> dg.AssetsDefinition:
    """The publish asset, downstream of every asset of `upstream` (and so of their checks)."""
    deps = [key for assets_def in upstream for key in assets_def.keys]

    @dg.asset(
        key=PUBLISH_KEY,
        deps=deps,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="published",
        kinds={"duckdb"},
        pool="duckdb_writer",
        description="The published warehouse file analysts and reports read: the marts and audit schemas, "
        "swapped in atomically when the run's checks passed.",
    )
    def published_analytics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        settings = warehouse.settings
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            synthetic = record_publication(con, context.run_id, as_of)
        try:
            publication = publish_build(settings.build_db, settings.published_dir, context.run_id)
        except BaseException:
            with warehouse.connect() as con:
                con.execute("delete from audit.publications where run_id = ?", [context.run_id])
            raise
        context.log.info(f"published {len(publication.tables)} tables to {publication.path}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(publication.path)),
                "as_of_date": as_of.isoformat(),
                "synthetic": synthetic,
                "tables": dg.MetadataValue.json(publication.tables),
            }
        )

    return published_analytics


def record_publication(con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date) -> bool:
    """Add this run's row to audit.publications (published with it); returns whether the data is synthetic."""
    con.execute("create schema if not exists audit")
    con.execute(
        """
        create table if not exists audit.publications (
            run_id varchar primary key, as_of_date date, published_at timestamp,
            synthetic boolean, verdict varchar, warnings integer
        )
        """
    )
    synthetic = bool(
        con.execute(
            "select coalesce(bool_or(synthetic), false) from audit.ingest_log where drop_date <= ?",
            [as_of],
        ).fetchone()[0]
    )
    warnings = con.execute(
        "select count(*) from audit.check_results where run_id = ? and status = 'warn'", [run_id]
    ).fetchone()[0]
    con.execute("delete from audit.publications where run_id = ?", [run_id])
    con.execute(
        "insert into audit.publications values (?, ?, ?, ?, ?, ?)",
        [
            run_id,
            as_of,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            synthetic,
            "published with warnings" if warnings else "published",
            warnings,
        ],
    )
    return synthetic
