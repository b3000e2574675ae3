"""What sections hand to the templates: a section, the figures it shows, and tables not published.

Every number on the page is a `Cell`: the templates print its text and carry its unrounded value in
`data-value` (with `data-metric` and `data-key`), so the page can be checked against the tables it
came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from report.formats import value_text


@dataclass(frozen=True)
class Cell:
    """One figure: what it is (`metric`, `key`), its unrounded value and the text shown."""

    metric: str
    key: str
    value: object
    text: str
    css: str = ""

    @property
    def raw(self) -> str:
        """The unrounded value as `data-value` carries it (floats for every number, "" if missing)."""
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return str(self.value)
        if isinstance(self.value, int | float):
            return repr(float(self.value))
        return str(self.value)


def cell(
    metric: str,
    key: str,
    value: object,
    unit: str,
    currency: str | None = "USD",
    text: str | None = None,
) -> Cell:
    """A figure shown rounded for its unit (or as `text`), carrying its unrounded value."""
    plain = None if value is None else _plain(value)
    shown = text if text is not None else value_text(plain, unit, currency)
    return Cell(metric, key, plain, shown)


def _plain(value: object) -> object:
    """Decimals (DuckDB's money) become floats, so every number is carried the same way."""
    if isinstance(value, int | float | str | bool):
        return value
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


@dataclass(frozen=True)
class Absent:
    """A table the section needs that this publication does not have (yet)."""

    table: str
    what: str


@dataclass(frozen=True)
class Fact:
    """A headline figure in a sentence: a label, the figure, and what it counts."""

    label: str
    cell: Cell
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart with a visible title and a caption naming its population, n and intervals."""

    title: str
    chart: Any
    caption: str


@dataclass(frozen=True)
class Table:
    """A table of figures: column headings (words, not column names) and rows of cells or text.

    `collapsed` tables sit in a <details> a reader opens ("the numbers" behind a chart)."""

    id: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell | str, ...], ...]
    caption: str = ""
    collapsed: bool = False


@dataclass(frozen=True)
class Section:
    """One section of the page: its anchor, heading, template and what the template shows.

    `definitions` are the metric registry entries of the figures it shows (the definitions list
    at the end of the page); `absent` marks a table not published, in place of what it would show."""

    id: str
    title: str
    template: str = "section.html.j2"
    intro: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)
    definitions: tuple[tuple[str, str], ...] = ()
    absent: tuple[Absent, ...] = ()


def absent_section(id_: str, title: str, table: str, what: str) -> Section:
    """A section whose table is not in the publication: it says so instead of failing."""
    return Section(id_, title, absent=(Absent(table, what),))


def text_or_cell(value: Cell | str) -> bool:
    """Whether a table entry is a figure (a `Cell`) rather than text."""
    return isinstance(value, Cell)
