"""Tabular extracts (CSV, Parquet): type each column vectorised, validate with pandera, de-duplicate.

CSV is read with every column as text (ingest/readers.py) so that one unparseable value quarantines
its row instead of failing the file; Parquet columns already typed are converted without a round
trip to text.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from data_contracts.contracts import POLARS_TYPES, Contract
from data_contracts.plausibility import TimeWindow
from ingest.errors import ExtractFileError
from ingest.records import (
    CheckedFile,
    Violation,
    add_contract_failures,
    add_duplicates,
    quarantine_row,
)

_TS_FORMATS_UTC = ("%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f")
_TS_FORMATS_OFFSET = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z")


def _parse_timestamps(text: pl.Series) -> pl.Series:
    """ISO-8601 strings (Z, offset or naive, taken as UTC; or a bare date) to naive UTC datetimes."""
    result = pl.Series(text.name, [None] * len(text), dtype=pl.Datetime("us"))
    pending = text.is_not_null()
    attempts = [(f, False) for f in _TS_FORMATS_UTC] + [(f, True) for f in _TS_FORMATS_OFFSET]
    attempts.append(("%Y-%m-%d", False))
    for fmt, with_offset in attempts:
        if not pending.any():
            break
        parsed = text.str.to_datetime(fmt, strict=False, time_unit="us")
        if with_offset:
            parsed = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        result = pl.select(
            pl.when(pending & parsed.is_not_null()).then(parsed).otherwise(result)
        ).to_series()
        pending = pending & parsed.is_null()
    return result.alias(text.name)


def _coerce(series: pl.Series, dtype_name: str) -> pl.Series:
    """The column in its raw-table type; values that cannot be converted become null."""
    target = POLARS_TYPES[dtype_name]
    dtype = series.dtype
    if dtype == pl.Null:
        return series.cast(target)
    if dtype_name == "VARCHAR":
        return series if dtype == pl.String else series.cast(pl.String)
    if dtype == pl.String:
        text = series.str.strip_chars()
        if dtype_name == "TIMESTAMP":
            return _parse_timestamps(text)
        if dtype_name == "DATE":
            return text.str.to_date("%Y-%m-%d", strict=False)
        return text.cast(target, strict=False)
    if dtype_name == "TIMESTAMP":
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            return series.cast(pl.Datetime("us"))
        if dtype == pl.Date:
            return series.cast(pl.Datetime("us"))
        return series.cast(target, strict=False)
    if dtype_name == "DATE" and isinstance(dtype, pl.Datetime):
        return series.dt.date()
    if dtype_name in ("BIGINT", "INTEGER") and dtype.is_float():
        whole = series == series.floor()
        return pl.select(pl.when(whole).then(series).otherwise(None)).to_series().cast(target)
    return series.cast(target, strict=False)


def check_table(
    path: Path,
    contract: Contract,
    required_columns: tuple[str, ...],
    frame: pl.DataFrame,
    lines: pl.Series,
    pre_violations: list[Violation],
    window: TimeWindow | None = None,
) -> CheckedFile:
    """Type, validate (timestamps against the drop's `window` when given) and de-duplicate one
    tabular file; every row is loaded or quarantined."""
    missing = [c for c in required_columns if c not in frame.columns]
    if frame.width and missing:
        raise ExtractFileError(
            path,
            f"a header with the columns {', '.join(required_columns)}",
            f"missing {', '.join(missing)}; found {', '.join(frame.columns)}",
        )
    table = contract.table
    columns, type_bad = _typed_columns(frame, table.columns)
    typed_frame = pl.DataFrame(columns).with_columns(lines)

    violations: dict[int, list[Violation]] = {}
    for v in pre_violations:
        violations.setdefault(v.line, []).append(v)
    _add_type_violations(violations, contract, frame, lines, type_bad)
    add_contract_failures(violations, contract, typed_frame, window)
    key = list(table.key)
    add_duplicates(violations, typed_frame, key, contract.version)

    quarantine = []
    if violations:
        bad_lines = pl.Series(sorted(violations), dtype=pl.Int32)
        typed_frame = typed_frame.filter(~pl.col("_line").is_in(bad_lines.implode()))
        quarantine = _quarantine_rows(violations, bad_lines, frame, lines, key)
    rows_read = frame.height + len(pre_violations)
    return CheckedFile(rows_read, {table.table: typed_frame}, quarantine)


def _typed_columns(
    frame: pl.DataFrame, table_columns: tuple[tuple[str, str, str], ...]
) -> tuple[dict[str, pl.Series], list[tuple[str, pl.Series]]]:
    """Each column of the raw table in its type (absent ones null), and per column the rows whose
    value could not be converted."""
    columns = {}
    type_bad: list[tuple[str, pl.Series]] = []
    for name, dtype_name, _ in table_columns:
        if name not in frame.columns:
            columns[name] = pl.Series(name, [None] * frame.height, dtype=POLARS_TYPES[dtype_name])
            continue
        raw = frame[name]
        typed = _coerce(raw, dtype_name)
        columns[name] = typed
        bad = raw.is_not_null() & typed.is_null()
        if raw.dtype == pl.String:
            bad = bad & (raw.str.strip_chars() != "")
        if bad.any():
            type_bad.append((name, bad))
    return columns, type_bad


def _add_type_violations(
    violations: dict[int, list[Violation]],
    contract: Contract,
    source_frame: pl.DataFrame,
    lines: pl.Series,
    type_bad: list[tuple[str, pl.Series]],
) -> None:
    """A `<column>_type` violation for every value that could not be read as its column's type."""
    prefix = contract.prefix
    for name, bad in type_bad:
        expected = next(t for n, t, _ in contract.table.columns if n == name)
        for index in bad.arg_true().to_list():
            value = source_frame[name][index]
            line = int(lines[index])
            violations.setdefault(line, []).append(
                Violation(
                    line,
                    f"{prefix}.{name}_type",
                    name,
                    None if value is None else str(value),
                    f"{name}: cannot be read as {expected}",
                )
            )


def _quarantine_rows(
    violations: dict[int, list[Violation]],
    bad_lines: pl.Series,
    source_frame: pl.DataFrame,
    lines: pl.Series,
    key: list[str],
) -> list[dict]:
    """One quarantine row per bad line, holding the source row as JSON text."""
    quarantine = []
    positions = lines.is_in(bad_lines.implode()).arg_true().to_list()
    index_of = {int(lines[i]): i for i in positions}
    for line in bad_lines.to_list():
        i = index_of.get(line)
        if i is None:  # a ragged CSV row never made it into the frame
            raw_text, record_id = violations[line][0].value, None
        else:
            row = source_frame.row(i, named=True)
            raw_text = json.dumps(row, default=str, ensure_ascii=False)
            record_id = "|".join("" if row.get(k) is None else str(row.get(k)) for k in key)
        quarantine.append(quarantine_row(violations[line], raw_text, record_id))
    return quarantine
