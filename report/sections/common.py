"""What several sections share: month labels for chart axes and the tables behind the charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from report.elements import Table, cell
from report.formats import month_name
from report.labels import column


def axis_month(day: dt.date) -> str:
    """A month as a chart's axis labels it, on two lines ("Nov|2025"): narrow, so few are dropped."""
    return day.strftime("%b|%Y")


def currency_of(frame: pl.DataFrame) -> str | None:
    """The reporting currency a frame's amounts are in (None when it does not say)."""
    if "reporting_currency" not in frame.columns:
        return None
    values = frame["reporting_currency"].drop_nulls().unique().to_list()
    return values[0] if len(values) == 1 else None


def numbers_table(
    id_: str,
    metric_table: str,
    frame: pl.DataFrame,
    key_column: str,
    columns: Sequence[tuple[str, str]],
    currency: str | None = "USD",
) -> Table:
    """The numbers behind a chart, one row per key (a month), each a figure with its raw value."""
    rows = []
    for r in frame.iter_rows(named=True):
        key = r[key_column]
        key_text = key.isoformat() if isinstance(key, dt.date) else str(key)
        shown = month_name(key) if isinstance(key, dt.date) else str(key)
        rows.append(
            (
                shown,
                *(
                    cell(f"{metric_table}.{c}", key_text, r[c], unit, currency)
                    for c, unit in columns
                ),
            )
        )
    headers = (column(key_column), *(column(c) for c, _ in columns))
    return Table(id_, headers, tuple(rows), caption="the numbers", collapsed=True)
