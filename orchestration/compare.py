"""Compare two published warehouse files table by table: same tables, same row counts, same values.

Used to prove that a change meant to move code, not numbers, publishes the same marts (run it on the
publications of the same drops before and after), and by anyone who wants to know what a config change
moved. Values that name a run rather than the data (run ids, load and publication times) are left out;
doubles are compared within 1e-9 relative (metrics.md: amounts and rates within 1e-9 relative):
first rounded to 10 significant digits, which settles almost every row in one EXCEPT ALL; the rows
left on either side are then paired in Python, exact on the other columns and within 1e-9 relative on
the doubles, because two values a hair apart can round to different tenth digits (1,048,449.6675 as
a double is …66749999…, which rounds down, and …6675000001 up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

COMPARED_SCHEMAS = ("marts", "audit")
# Columns that describe the run that wrote a row, not the data: they differ between two runs of the
# same drops by design.
RUN_COLUMNS = frozenset({"run_id", "checked_at", "loaded_at", "published_at"})
# Rendered documents whose text embeds run ids and times.
RUN_TABLES = frozenset({("audit", "gx_report")})
SIGNIFICANT_DIGITS = 10
# Below this a float is compared as 0: a difference of two equal amounts summed in another order
# leaves 1e-14 or so, which ten significant digits would keep (metrics.md compares unrounded values
# within 1e-9).
ZERO_BELOW = 1e-9
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
RELATIVE_TOLERANCE = 1e-9
# The rows left after the rounded EXCEPT ALL are paired within the tolerance when there are at most
# this many (a difference larger than that is reported as the rounded comparison found it).
MOST_ROWS_PAIRED = 100_000


@dataclass
class TableDifference:
    """How one table differs between the old and the new publication."""

    table: str
    old_rows: int | None
    new_rows: int | None
    only_in_old: int = 0
    only_in_new: int = 0
    columns_only_in_old: list[str] = field(default_factory=list)
    columns_only_in_new: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.old_rows is None:
            return f"{self.table}: only in the new publication ({self.new_rows} rows)"
        if self.new_rows is None:
            return f"{self.table}: only in the old publication ({self.old_rows} rows)"
        parts = [f"{self.table}: {self.old_rows} rows before, {self.new_rows} after"]
        if self.columns_only_in_old or self.columns_only_in_new:
            parts.append(
                f"columns removed {self.columns_only_in_old or '[]'}, "
                f"added {self.columns_only_in_new or '[]'}"
            )
        if self.only_in_old or self.only_in_new:
            parts.append(
                f"{self.only_in_old} rows only before, {self.only_in_new} only after "
                f"(e.g. {'; '.join(self.examples)})"
            )
        return "; ".join(parts)


def _tables(
    con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]
) -> dict[tuple[str, str], dict[str, str]]:
    rows = con.execute(
        """
        select table_schema, table_name, column_name, data_type
        from information_schema.columns
        where table_catalog = ? and table_schema in (select unnest(?::varchar[]))
        order by table_schema, table_name, ordinal_position
        """,
        [catalog, list(schemas)],
    ).fetchall()
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), {})[column] = data_type
    return tables


def _is_approximate(data_type: str, approximate_decimals: bool) -> bool:
    kind = data_type.upper()
    return kind in FLOAT_TYPES or (approximate_decimals and kind.startswith("DECIMAL"))


def _comparable(column: str, data_type: str, approximate_decimals: bool = False) -> str:
    quoted = f'"{column}"'
    if not _is_approximate(data_type, approximate_decimals):
        return quoted
    value = quoted if data_type.upper() in FLOAT_TYPES else f"cast({quoted} as double)"
    digits = SIGNIFICANT_DIGITS - 1
    return (
        f"case when {value} is null or isnan({value}) or isinf({value}) or {value} = 0 "
        f"then {value} when abs({value}) < {ZERO_BELOW} then 0.0 else round({value}, {digits} - "
        f"cast(floor(log10(abs({value}))) as integer)) end as {quoted}"
    )


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    return con.execute(f"select count(*) from ({query})").fetchall()[0][0]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if abs(a) < ZERO_BELOW and abs(b) < ZERO_BELOW:
        return True
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)


def _unpaired(
    old_rows: list[tuple], new_rows: list[tuple], approximate: list[bool]
) -> tuple[list[tuple], list[tuple]]:
    """The rows of each side left when every old row is paired with a new row equal on the exact
    columns and within the tolerance on the approximate ones (each row paired once)."""
    exact = [i for i, a in enumerate(approximate) if not a]
    loose = [i for i, a in enumerate(approximate) if a]

    def key(row: tuple) -> str:
        # repr: lists and structs are not hashable; both sides' values come from the same types
        return repr(tuple(row[i] for i in exact))

    waiting: dict[str, list[tuple]] = {}
    for row in new_rows:
        waiting.setdefault(key(row), []).append(row)
    left_old = []
    for row in old_rows:
        candidates = waiting.get(key(row), [])
        match = next(
            (
                n
                for n, other in enumerate(candidates)
                if all(_close(row[i], other[i]) for i in loose)
            ),
            None,
        )
        if match is None:
            left_old.append(row)
        else:
            candidates.pop(match)
    left_new = [row for rows in waiting.values() for row in rows]
    return left_old, left_new


def _pair_within_tolerance(
    con: duckdb.DuckDBPyConnection,
    name: str,
    shared: list[str],
    types: dict[str, str],
    approximate: list[bool],
    old_q: str,
    new_q: str,
) -> tuple[list[tuple], list[tuple]]:
    """The rows the rounded comparison left on either side, as stored (the approximate columns as
    doubles), with the pairs within the tolerance taken out. Every row whose rounded form is among
    those left is read from both sides: the other rows have equal rounded twins on both sides."""
    aliases = [f"__csw_r{i}" for i in range(len(shared))]
    projected = ", ".join(
        f"{_comparable(c, types[c], a).rsplit(' as ', 1)[0]} as {alias}"
        for c, a, alias in zip(shared, approximate, aliases, strict=True)
    )
    stored = ", ".join(
        f'cast("{c}" as double)' if a else f'"{c}"'
        for c, a in zip(shared, approximate, strict=True)
    )
    # the rounded rows left on either side, computed once for both sides' lookups
    con.execute(
        "create or replace temp table __csw_left as "
        f"({old_q} except all {new_q}) union ({new_q} except all {old_q})"
    )
    same = " and ".join(
        f'stored_row.{alias} is not distinct from l."{c}"'
        for c, alias in zip(shared, aliases, strict=True)
    )

    def rows(catalog: str) -> list[tuple]:
        return con.execute(
            f"select {stored} from (select *, {projected} from {catalog}.{name}) as stored_row "
            f"where exists (select 1 from __csw_left as l where {same})"
        ).fetchall()

    try:
        return _unpaired(rows("old_pub"), rows("new_pub"), approximate)
    finally:
        con.execute("drop table if exists __csw_left")


def compare_publications(
    old: Path,
    new: Path,
    example_rows: int = 3,
    schemas: tuple[str, ...] = COMPARED_SCHEMAS,
    approximate_decimals: bool = False,
    only: set[tuple[str, str]] | None = None,
) -> list[TableDifference]:
    """Every table of `schemas` that differs between `old` and `new` (empty: identical).

    With approximate_decimals, decimals are compared like doubles (10 significant digits): for two
    engines, whose decimal of a double product (an amount times an FX rate, kept to 9 decimals)
    can differ in its last digit; two publications of one engine compare them exactly. `only`
    limits the comparison to these (schema, table) pairs."""
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{old}' as old_pub (read_only)")
        con.execute(f"attach '{new}' as new_pub (read_only)")
        old_tables = _tables(con, "old_pub", schemas)
        new_tables = _tables(con, "new_pub", schemas)
        differences: list[TableDifference] = []
        for key in sorted(old_tables.keys() | new_tables.keys()):
            if key in RUN_TABLES or (only is not None and key not in only):
                continue
            schema, table = key
            name = f"{schema}.{table}"
            old_rows = _count(con, f"select * from old_pub.{name}") if key in old_tables else None
            new_rows = _count(con, f"select * from new_pub.{name}") if key in new_tables else None
            if old_rows is None or new_rows is None:
                differences.append(TableDifference(name, old_rows, new_rows))
                continue
            old_cols, new_cols = old_tables[key], new_tables[key]
            shared = [c for c in old_cols if c in new_cols and c not in RUN_COLUMNS]
            select = ", ".join(_comparable(c, old_cols[c], approximate_decimals) for c in shared)
            old_q = f"select {select} from old_pub.{name}"
            new_q = f"select {select} from new_pub.{name}"
            only_old = _count(con, f"{old_q} except all {new_q}")
            only_new = _count(con, f"{new_q} except all {old_q}")
            approximate = [_is_approximate(old_cols[c], approximate_decimals) for c in shared]
            examples: list[tuple] | None = None
            if (
                (only_old or only_new)
                and any(approximate)
                and only_old + only_new <= MOST_ROWS_PAIRED
            ):
                left_old, left_new = _pair_within_tolerance(
                    con, name, shared, old_cols, approximate, old_q, new_q
                )
                only_old, only_new = len(left_old), len(left_new)
                examples = left_old or left_new
            diff = TableDifference(
                name,
                old_rows,
                new_rows,
                only_old,
                only_new,
                [c for c in old_cols if c not in new_cols],
                [c for c in new_cols if c not in old_cols],
            )
            if only_old or only_new:
                if examples is None:
                    examples = con.execute(
                        f"({old_q} except all {new_q}) limit {example_rows}"
                    ).fetchall()
                diff.examples = [str(row) for row in examples[:example_rows]]
            if (
                only_old
                or only_new
                or old_rows != new_rows
                or diff.columns_only_in_old
                or diff.columns_only_in_new
            ):
                differences.append(diff)
        return differences
    finally:
        con.close()
