"""Ingest assets: one multi-asset per source, each materialising that source's raw tables for the run's drops."""

import datetime as dt
from collections.abc import Mapping, Sequence

import dagster as dg

from ingest.loader import ingest_source_drop
from orchestration.partitions import partition_dates
from orchestration.resources import WarehouseResource


def build_ingest_assets(
    raw_tables: Mapping[str, Sequence[str]], partitions_def: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """An ingest multi-asset per source; `raw_tables` maps a source to the raw tables it writes."""
    return [
        _source_ingest_asset(source, tables, partitions_def)
        for source, tables in raw_tables.items()
    ]


def _source_ingest_asset(
    source: str, tables: Sequence[str], partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey(["raw", table]),
            group_name="raw",
            description=f"Raw rows of {source}'s `{table.split('__', 1)[1]}` extract, as the source shaped them, "
            "with load metadata; rows that break the contract are in raw.quarantine.",
            kinds={"duckdb", "polars"},
        )
        for table in tables
    ]

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb_writer",
    )
    def ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        summary: dict[str, object] = {}
        missing: list[str] = []
        quarantined = 0
        with warehouse.connect() as con:
            for drop_date in partition_dates(context):
                result = ingest_source_drop(
                    con, source, warehouse.settings.extracts_dir, drop_date, loaded_at
                )
                if result.missing_drop:
                    missing.append(drop_date.isoformat())
                    continue
                quarantined += result.rows_quarantined
                context.log.info(f"{source} {drop_date}: {result.describe()}")
        if missing:
            # Not "no activity": the freshness rule of the publish gate reports the gap.
            context.log.warning(f"{source}: no drop folder for {', '.join(missing)}")
        summary["missing_drops"] = dg.MetadataValue.text(", ".join(missing) or "none")
        summary["rows_quarantined"] = dg.MetadataValue.int(quarantined)
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=summary)

    return ingest
