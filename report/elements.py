"""The HTML pieces every section is made of: metric cells, data tables, definitions, absent notes.

Every number shown sits in an element with `data-metric`, `data-key` and `data-value` (the unrounded
value), so the page can be checked against the tables it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

import polars as pl


def value_text(value: object, unit: str) -> str:
    """A value as the page shows it, rounded for its unit ("—" when missing)."""
    if value is None:
        return "—"
    if isinstance(value, float | int) and not isinstance(value, bool):
        if unit == "fraction":
            return f"{value:.1%}"
        if unit == "money":
            return f"{value:,.2f}"
        if unit == "days":
            return f"{value:.1f} d"
        if unit == "count":
            return f"{value:,.0f}"
        return f"{value:.1f}"
    return str(value)


def metric_cell(metric: str, key: str, value: object, unit: str, text: str | None = None) -> str:
    """A table cell carrying its unrounded value for checking, showing it rounded for reading."""
    raw = (
        ""
        if value is None
        else repr(float(value))
        if isinstance(value, float | int)
        else str(value)
    )
    shown = text if text is not None else value_text(value, unit)
    return (
        f'<td data-metric="{escape(metric)}" data-key="{escape(key)}" data-value="{escape(raw)}">'
        f"{escape(shown)}</td>"
    )


def definitions_list(registry: pl.DataFrame | None, names: Sequence[str]) -> str:
    """The registry's definitions of `names`, naming any the registry lacks."""
    if registry is None:
        return '<p class="definition">audit.metric_registry is not in this publication.</p>'
    rows = registry.filter(pl.col("name").is_in(list(names)))
    items = [
        f"<li><code>{escape(r['name'])}</code>: {escape(r['definition'])}</li>"
        for r in rows.sort("name").iter_rows(named=True)
    ]
    missing = sorted(set(names) - set(rows["name"].to_list()))
    items += [f"<li><code>{escape(n)}</code>: no registry entry</li>" for n in missing]
    return f'<ul class="definition">{"".join(items)}</ul>'


def absent_note(table: str, what: str) -> str:
    """The note standing in for a section whose table is not in the publication."""
    return (
        f'<p class="absent" data-absent="{escape(table)}">{escape(what)}: the table '
        f"<code>{escape(table)}</code> is not in this publication yet, so this section is empty.</p>"
    )


def month_label(d: dt.date) -> str:
    """A month as the charts label it (YYYY-MM)."""
    return d.strftime("%Y-%m")


def data_table(
    metric_table: str,
    frame: pl.DataFrame,
    key_column: str,
    columns: Sequence[tuple[str, str]],
    caption: str,
    open_: bool = False,
) -> str:
    """A collapsible table of `frame`, one row per key, each value a metric cell."""
    head = "".join(f"<th>{escape(c)}</th>" for c, _ in columns)
    body = []
    for row in frame.iter_rows(named=True):
        key = row[key_column]
        key_text = key.isoformat() if isinstance(key, dt.date) else str(key)
        cells = "".join(
            metric_cell(f"{metric_table}.{c}", key_text, row[c], unit) for c, unit in columns
        )
        body.append(f'<tr><td class="text">{escape(key_text)}</td>{cells}</tr>')
    return (
        f"<details{' open' if open_ else ''}><summary>{escape(caption)}</summary><table>"
        f'<tr><th class="text">{escape(key_column)}</th>{head}</tr>{"".join(body)}</table></details>'
    )
