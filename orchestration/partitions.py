"""The warehouse's one partitioning: the as-of date of a run, which is the date of the drop it reads."""

from __future__ import annotations

import datetime as dt

import dagster as dg


def daily_partitions(start: dt.date) -> dg.DailyPartitionsDefinition:
    """Daily partitions from a configured start; `end_offset=1` admits today's drop."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=1)


def as_of_date(context: dg.AssetExecutionContext) -> dt.date:
    """A run's as-of date: its partition, or the last date of its partition range (a backfill)."""
    return dt.date.fromisoformat(context.partition_key_range.end)


def partition_dates(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Every date of the run's partition range, oldest first."""
    window = context.partition_key_range
    first, last = dt.date.fromisoformat(window.start), dt.date.fromisoformat(window.end)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
