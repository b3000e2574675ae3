"""The publish asset: the last step of a run, downstream of every model and every blocking check."""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from orchestration.partitions import as_of_date
from orchestration.publish import publish_build
from orchestration.resources import WarehouseResource

PUBLISH_KEY = dg.AssetKey(["published", "analytics"])


def build_publish_asset(
    partitions_def: dg.PartitionsDefinition, upstream: Sequence[dg.AssetsDefinition]
) -> dg.AssetsDefinition:
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


def record_publication(con, run_id: str, as_of: dt.date) -> bool:
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
