"""Publishing: the last step of a run, downstream of every model and every blocking check. The
publish asset copies the checked marts and audit tables into a new file and swaps it in atomically.

The published file is `<warehouse>/published/analytics.duckdb`. A new publication is written under a
name that does not end in `.duckdb`, checkpointed and closed, then renamed over the old file (an atomic
rename on one filesystem). Readers that had the old file open keep their snapshot; a crash at any point
leaves the last good publication in place, and the next run removes the partial file
(orchestration/run_lock.py). Earlier publications are kept in `published/history/`.

The publication's own row of audit.publications is written into the new file before the rename,
and into the build database only after it: a run killed before the rename is never recorded as
published. A run killed between the rename and that record is found by the next publication, which
copies the row back from the published file.
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


@dataclass(frozen=True)
class PublicationRecord:
    """One row of audit.publications."""

    run_id: str
    as_of_date: dt.date
    published_at: dt.datetime
    synthetic: bool
    verdict: str
    warnings: int

    def values(self) -> list:
        return [
            self.run_id,
            self.as_of_date,
            self.published_at,
            self.synthetic,
            self.verdict,
            self.warnings,
        ]


PUBLICATIONS_DDL = """
    create table if not exists {schema}.publications (
        run_id varchar primary key, as_of_date date, published_at timestamp,
        synthetic boolean, verdict varchar, warnings integer
    )
"""

ROLLBACKS_DDL = """
    create table if not exists audit.rollbacks (
        rolled_back_at timestamp, restored_file varchar, restored_as_of_date date,
        restored_run_id varchar, replaced_as_of_date date, replaced_run_id varchar
    )
"""


class NothingToRollBack(Exception):
    """No earlier publication is kept: the published file stays as it is."""


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


def publish_build(
    build_db: Path,
    published_dir: Path,
    run_id: str,
    record: PublicationRecord | None = None,
) -> Publication:
    """Copy every table and view of the published schemas from the build database into a new
    published file, with `record` added to its audit.publications, and swap it in."""
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
        if record is not None:
            con.execute(PUBLICATIONS_DDL.format(schema="publication.audit"))
            con.execute("delete from publication.audit.publications where run_id = ?", [run_id])
            con.execute(
                "insert into publication.audit.publications values (?, ?, ?, ?, ?, ?)",
                record.values(),
            )
            counts["audit.publications"] = con.execute(
                "select count(*) from publication.audit.publications"
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


def _publication_of(path: Path) -> tuple[str | None, dt.date | None]:
    """(run id, as-of date) of a published file's own publication, its newest row."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None, None
    try:
        row = con.execute(
            "select run_id, as_of_date from audit.publications order by published_at desc limit 1"
        ).fetchall()
    except duckdb.Error:
        return None, None
    finally:
        con.close()
    return row[0] if row else (None, None)


def rollback(published_dir: Path, build_db: Path | None = None) -> Path:
    """Restore the newest publication in history as the published file (atomically), and record
    the rollback in the build database's audit.rollbacks (published with the next publication).
    Raises NothingToRollBack when history holds no earlier publication."""
    history = sorted((published_dir / "history").glob("analytics-*.duckdb"))
    if not history:
        raise NothingToRollBack(
            f"no earlier publication to roll back to: {published_dir / 'history'} is empty "
            f"(the last {HISTORY_KEEP} publications are kept; each rollback uses one up)"
        )
    newest = history[-1]
    target = published_dir / "analytics.duckdb"
    replaced = _publication_of(target) if target.exists() else (None, None)
    restored = _publication_of(newest)
    staging = published_dir / "analytics.duckdb.rollback.partial"
    shutil.copy2(newest, staging)
    os.replace(staging, target)
    newest.unlink()
    if build_db is not None and build_db.exists():
        con = duckdb.connect(str(build_db), config={"memory_limit": duckdb_memory_limit()})
        try:
            con.execute("create schema if not exists audit")
            con.execute(ROLLBACKS_DDL)
            con.execute(
                "insert into audit.rollbacks values (?, ?, ?, ?, ?, ?)",
                [
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    newest.name,
                    restored[1],
                    restored[0],
                    replaced[1],
                    replaced[0],
                ],
            )
        finally:
            con.close()
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
            recovered = recover_publications(con, settings.published_db)
            record = publication_record(con, context.run_id, as_of)
        if recovered:
            context.log.warning(
                f"recorded the publication of run {', '.join(recovered)}: a crash had lost its "
                "record after the file was swapped in"
            )
        publication = publish_build(
            settings.build_db, settings.published_dir, context.run_id, record
        )
        # Only now, with the file swapped in, is the run recorded as published.
        with warehouse.connect() as con:
            con.execute(PUBLICATIONS_DDL.format(schema="audit"))
            con.execute("delete from audit.publications where run_id = ?", [record.run_id])
            con.execute("insert into audit.publications values (?, ?, ?, ?, ?, ?)", record.values())
        context.log.info(f"published {len(publication.tables)} tables to {publication.path}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(publication.path)),
                "as_of_date": as_of.isoformat(),
                "synthetic": record.synthetic,
                "tables": dg.MetadataValue.json(publication.tables),
            }
        )

    return published_analytics


def publication_record(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date
) -> PublicationRecord:
    """This run's row of audit.publications: whether the data is synthetic, the gate's verdict."""
    synthetic = bool(
        con.execute(
            "select coalesce(bool_or(synthetic), false) from audit.ingest_log where drop_date <= ?",
            [as_of],
        ).fetchone()[0]
    )
    warnings = con.execute(
        "select count(*) from audit.check_results where run_id = ? and status = 'warn'", [run_id]
    ).fetchone()[0]
    return PublicationRecord(
        run_id,
        as_of,
        dt.datetime.now(dt.UTC).replace(tzinfo=None),
        synthetic,
        "published with warnings" if warnings else "published",
        warnings,
    )


def recover_publications(con: duckdb.DuckDBPyConnection, published_db: Path) -> list[str]:
    """Copy into the build database the publication rows the published file holds and the build
    database lacks (a run killed between its rename and its record); returns their run ids."""
    con.execute("create schema if not exists audit")
    con.execute(PUBLICATIONS_DDL.format(schema="audit"))
    if not published_db.exists():
        return []
    con.execute(f"attach '{published_db}' as current_publication (read_only)")
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_catalog = "
            "'current_publication' and table_schema = 'audit' and table_name = 'publications'"
        ).fetchall()[0][0]
        if not exists:
            return []
        missing = [
            row[0]
            for row in con.execute(
                "select run_id from current_publication.audit.publications "
                "where run_id not in (select run_id from audit.publications)"
            ).fetchall()
        ]
        if missing:
            con.execute(
                "insert into audit.publications select * from current_publication.audit.publications "
                "where run_id not in (select run_id from audit.publications)"
            )
        return missing
    finally:
        con.execute("detach current_publication")
