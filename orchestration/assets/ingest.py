"""Ingest assets: one multi-asset per source, each materialising that source's raw tables for the run's drops.

Rule 11 is judged at the door too: when a source's drops of this run lost a file the manifest
declares, or the contracts rejected more of its rows than the gate allows, the step stops with the
files and rules named, before any model is built on them (the gate would block the run anyway,
after building everything).
"""

import datetime as dt
from collections.abc import Mapping, Sequence

import dagster as dg
import duckdb
import polars as pl

from ingest.errors import DataStopError
from ingest.loader import ingest_source_drop
from ingest.staging import drop_stale_pending
from orchestration.config import load_gate_config, load_ingest_config
from orchestration.gate.evaluation import record_results
from orchestration.gate.ingest_evidence import emptied_tables, quarantine_by_rule
from orchestration.gate.reading import table_or_none
from orchestration.gate.registry import RULES
from orchestration.partitions import partition_dates
from orchestration.resources import WarehouseResource
from transforms.gate.ingest_rules import nothing_lost, quarantine_within_bounds
from transforms.gate.results import RuleResult


def build_ingest_assets(
    raw_tables: Mapping[str, Sequence[str]], partitions_def: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """An ingest multi-asset per source; `raw_tables` maps a source to the raw tables it writes."""
    return [
        _source_ingest_asset(source, tables, partitions_def)
        for source, tables in raw_tables.items()
    ]


def judge_at_the_door(
    con: duckdb.DuckDBPyConnection, source: str, first: dt.date, last: dt.date
) -> list[RuleResult]:
    """Rule 11's failures on one source's drops `first` … `last`, as just ingested."""
    settings = load_gate_config(RULES)["rules"]["r11_nothing_lost"]
    log = table_or_none(con, "audit", "ingest_log")
    if log is None:
        return []
    mine = log.filter((pl.col("source") == source) & (pl.col("drop_date") >= first))
    quarantine = quarantine_by_rule(con, last)
    if quarantine is not None:
        quarantine = quarantine.filter(pl.col("source") == source)
    emptied = emptied_tables(con, last, quarantine)
    results = nothing_lost(mine, last, settings["warn_on_any_quarantine"])
    results += quarantine_within_bounds(
        mine,
        quarantine,
        emptied,
        last,
        first,
        settings["error_quarantine_share_over"],
        settings["quarantine_share_min_rows"],
    )
    return [r for r in results if r.status == "fail" and r.target != "all files"]


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
        plausibility = load_ingest_config()
        dates = partition_dates(context)
        summary: dict[str, object] = {}
        missing: list[str] = []
        quarantined = 0
        with warehouse.connect() as con:
            # Only one run writes the warehouse (the run lock): a pending table left now is a
            # crashed run's.
            for name in drop_stale_pending(con, source):
                context.log.info(f"removed {name}, left by an interrupted run")
            for drop_date in dates:
                result = ingest_source_drop(
                    con,
                    source,
                    warehouse.settings.extracts_dir,
                    drop_date,
                    loaded_at,
                    plausibility,
                )
                if result.missing_drop:
                    missing.append(drop_date.isoformat())
                    continue
                quarantined += result.rows_quarantined
                context.log.info(f"{source} {drop_date}: {result.describe()}")
            failures = judge_at_the_door(con, source, dates[0], dates[-1])
            if failures:
                record_results(con, context.run_id, dates[-1], failures, replace=False)
        if failures:
            raise DataStopError(
                "r11_nothing_lost: "
                + "; ".join(f"[{r.target}] {r.message} ({r.observed})" for r in failures)
            )
        if missing:
            # Not "no activity": the freshness rule of the publish gate reports the gap.
            context.log.warning(f"{source}: no drop folder for {', '.join(missing)}")
        summary["missing_drops"] = dg.MetadataValue.text(", ".join(missing) or "none")
        summary["rows_quarantined"] = dg.MetadataValue.int(quarantined)
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=summary)

    return ingest
