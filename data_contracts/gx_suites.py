"""Great Expectations suite declarations for the published tables: what each table must hold.

The suites are data (`config/gx_suites.yml`, read by orchestration/config.py): keys, value ranges,
enumerations, ordered pairs and the row-count change versus the last publication. `parse_suites`
turns the file's contents into these frozen declarations; orchestration/gate/gx.py runs them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RowCountChange:
    """How far a table's row count may move from its previous publication (fractions; None: no limit)."""

    max_decrease: float | None = 0.5
    max_increase: float | None = 0.5
    min_previous_rows: int = 10

    def bounds(self, previous: int) -> tuple[int, int | None]:
        """Allowed row counts given the previous publication's count."""
        # Rounded before ceil/floor so that 100 × (1 − 0.1) = 90.00000000000001 still allows 90.
        low = (
            0
            if self.max_decrease is None
            else math.ceil(round(previous * (1 - self.max_decrease), 9))
        )
        high = (
            None
            if self.max_increase is None
            else math.floor(round(previous * (1 + self.max_increase), 9))
        )
        return max(low, 0), high

    def describe(self) -> str:
        """The allowed change as a reader writes it (−50% / +50%)."""
        down = "any" if self.max_decrease is None else f"{self.max_decrease:.0%}"
        up = "any" if self.max_increase is None else f"{self.max_increase:.0%}"
        return f"−{down} / +{up}"


@dataclass(frozen=True)
class TableSuite:
    """The expectations of one published table, as configured."""

    table: str
    grain: str = ""
    key: tuple[str, ...] = ()
    nullable_key: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    in_set: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    ordered: tuple[tuple[str, str], ...] = ()
    row_count_change: RowCountChange = field(default_factory=RowCountChange)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """The columns the table must have: its key and the required ones."""
        return tuple(dict.fromkeys((*self.key, *self.required)))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column an expectation of this suite reads."""
        named = [
            *self.key,
            *self.required,
            *self.not_null,
            *(c for cols in self.unique for c in cols),
            *self.ranges,
            *self.in_set,
            *(c for pair in self.ordered for c in pair),
        ]
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class SuiteConfig:
    """Every published table's suite, the float tolerance of ranges and the suites' version."""

    version: str
    float_tolerance: float
    suites: Mapping[str, TableSuite]


def parse_suites(raw: object, path: Path) -> SuiteConfig:
    """The suites' configuration from `path`'s parsed YAML; a malformed entry is reported with the
    file and table."""
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict):
        raise ValueError(f"{path}: expected a mapping with a 'tables' section")
    default_change = _row_count_change(path, "row_count_change", raw.get("row_count_change") or {})
    suites = {
        table: _table_suite(path, table, spec or {}, default_change)
        for table, spec in raw["tables"].items()
    }
    return SuiteConfig(
        version=str(raw.get("version", "")),
        float_tolerance=float(raw.get("float_tolerance", 0.0)),
        suites=suites,
    )


_TABLE_KEYS = {
    "grain",
    "key",
    "nullable_key",
    "required",
    "not_null",
    "unique",
    "ranges",
    "in_set",
    "ordered",
    "row_count_change",
}


def _table_suite(path: Path, table: str, spec: dict, default_change: RowCountChange) -> TableSuite:
    where = f"{path}: table {table}"
    if table.count(".") != 1:
        raise ValueError(f"{where}: name it schema.table")
    unknown = sorted(set(spec) - _TABLE_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; expected {', '.join(sorted(_TABLE_KEYS))}"
        )
    key = tuple(spec.get("key") or ())
    nullable_key = tuple(spec.get("nullable_key") or ())
    if set(nullable_key) - set(key):
        raise ValueError(f"{where}: nullable_key names columns that are not in key")
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for column, bounds in (spec.get("ranges") or {}).items():
        if not isinstance(bounds, dict) or not set(bounds) <= {"min", "max"} or not bounds:
            raise ValueError(f"{where}: range of {column} must be {{min: …, max: …}}")
        ranges[column] = (bounds.get("min"), bounds.get("max"))
    ordered = []
    for pair in spec.get("ordered") or ():
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"{where}: ordered entries are [low, high] column pairs, got {pair!r}")
        ordered.append((pair[0], pair[1]))
    change = default_change
    if "row_count_change" in spec:
        overrides = {**asdict(default_change), **(spec["row_count_change"] or {})}
        change = _row_count_change(path, f"{table}.row_count_change", overrides)
    return TableSuite(
        table=table,
        grain=str(spec.get("grain", "")),
        key=key,
        nullable_key=nullable_key,
        required=tuple(spec.get("required") or ()),
        not_null=tuple(spec.get("not_null") or ()),
        unique=tuple((u,) if isinstance(u, str) else tuple(u) for u in (spec.get("unique") or ())),
        ranges=ranges,
        in_set={column: tuple(values) for column, values in (spec.get("in_set") or {}).items()},
        ordered=tuple(ordered),
        row_count_change=change,
    )


def _row_count_change(path: Path, where: str, spec: dict) -> RowCountChange:
    unknown = set(spec) - {"max_decrease", "max_increase", "min_previous_rows"}
    if unknown:
        raise ValueError(f"{path}: {where}: unknown setting(s) {', '.join(sorted(unknown))}")
    return RowCountChange(
        max_decrease=spec.get("max_decrease", 0.5),
        max_increase=spec.get("max_increase", 0.5),
        min_previous_rows=int(spec.get("min_previous_rows", 10)),
    )
