"""When the independent recomputations value a day: its last instant, and the versions valid on it."""

from __future__ import annotations

import datetime as dt

import polars as pl


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant a date is valued at: 23:59:59.999 UTC (metrics.md conventions)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) - dt.timedelta(milliseconds=1)


def valid_on(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """The versions (valid_from_drop, valid_to_drop) in force on a day."""
    return frame.filter(
        (pl.col("valid_from_drop") <= day)
        & (pl.col("valid_to_drop").is_null() | (pl.col("valid_to_drop") > day))
    )
