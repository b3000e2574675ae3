"""JSON Lines records (Stripe, Zendesk): per-line parsing, JSON type checks, then the table contracts.

A line is the unit of loading: a line is loaded with all its child rows, or quarantined whole with
every rule it broke.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from data_contracts.contracts import POLARS_TYPES, Contract
from data_contracts.plausibility import TimeWindow


@dataclass(frozen=True)
class Violation:
    """One broken rule of one source row."""

    line: int
    rule: str
    column: str | None
    value: str | None
    message: str
    record_id: str | None = None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)[:500]


class RecordReader:
    """Reads typed values out of one parsed JSON object, recording values of the wrong JSON type."""

    def __init__(self, source: str, line: int) -> None:
        self.source = source
        self.line = line
        self.violations: list[Violation] = []

    def type_error(self, table: str, column: str, value: Any, expected: str) -> None:
        self.violations.append(
            Violation(
                self.line,
                f"{self.source}.{table}.{column}_type",
                column,
                _text(value),
                f"{column}: {expected}, got {_text(value)!r}",
            )
        )

    def str_(self, table: str, column: str, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.type_error(table, column, value, "expected a string")
        return None

    def int_(self, table: str, column: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.type_error(table, column, value, "expected an integer")
            return None
        if not -(2**63) <= value < 2**63:
            self.type_error(table, column, value, "integer out of 64-bit range")
            return None
        return value

    def id_int(self, table: str, column: str, value: Any) -> int | None:
        """Zendesk ids are integers; a string of digits is accepted as the same id."""
        if isinstance(value, str) and value.isdigit():
            return self.int_(table, column, int(value))
        return self.int_(table, column, value)

    def float_(self, table: str, column: str, value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.type_error(table, column, value, "expected a number")
            return None
        return float(value)

    def bool_(self, table: str, column: str, value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        self.type_error(table, column, value, "expected true or false")
        return None

    def ref(self, table: str, column: str, value: Any) -> str | None:
        """A reference to another object: its id, or an expanded object carrying `id`."""
        if isinstance(value, dict):
            value = value.get("id")
        return self.str_(table, column, value)

    def obj(self, table: str, column: str, value: Any) -> dict:
        """A nested object; absent or null gives {} so that its fields read as NULL."""
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.type_error(table, column, value, "expected an object")
        return {}

    def timestamp(self, table: str, column: str, value: Any) -> datetime.datetime | None:
        """ISO-8601 text to a naive UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            try:
                parsed = datetime.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is not None:
                if parsed.tzinfo is not None:
                    parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
                return parsed
        self.type_error(table, column, value, "expected an ISO-8601 timestamp")
        return None


Flatten = Callable[[RecordReader, dict], dict[str, list[dict]]]


@dataclass
class CheckedFile:
    """The outcome of checking one file: valid rows per raw table and the quarantined lines."""

    rows_read: int
    frames: dict[str, pl.DataFrame]
    quarantine: list[dict] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_quarantined


def _typed_frame(contract: Contract, rows: list[dict]) -> pl.DataFrame:
    schema = {name: POLARS_TYPES[dtype] for name, dtype, _ in contract.table.columns}
    schema["_line"] = pl.Int32()
    if contract.table.keep_raw_json:
        schema["_raw_json"] = pl.String()
    return pl.DataFrame(rows, schema=schema, strict=False)


def quarantine_row(
    violations: list[Violation], raw_text: str | None, record_id: str | None
) -> dict:
    """One raw.quarantine row for a source row: the first rule broken names it, all are listed."""
    first = violations[0]
    rules = list(dict.fromkeys(v.rule for v in violations))
    message = "; ".join(
        dict.fromkeys(
            f"{v.rule}: {v.message}" + (f" (value {v.value!r})" if v.value else "")
            for v in violations
        )
    )
    return {
        "line": first.line,
        "record_id": record_id if record_id is not None else first.record_id,
        "rule": first.rule,
        "column": first.column,
        "value": first.value,
        "message": message,
        "rules": rules,
        "raw_text": raw_text,
    }


def add_contract_failures(
    violations: dict[int, list[Violation]],
    contract: Contract,
    frame: pl.DataFrame,
    window: TimeWindow | None = None,
) -> None:
    """Add to `violations` (by line) every rule of `contract` a row of the typed `frame` breaks,
    its timestamps outside the drop's `window` included."""
    failures = contract.failures(frame)
    if window is not None:
        failures = pl.concat([failures, contract.implausible_times(frame, window)])
    if failures.is_empty():
        return
    lines = frame["_line"]
    for f in failures.iter_rows(named=True):
        line = int(lines[f["index"]])
        violations.setdefault(line, []).append(
            Violation(line, f["rule"], f["column"], f["value"], f["message"])
        )


def add_duplicates(
    violations: dict[int, list[Violation]],
    frame: pl.DataFrame,
    key: list[str],
    version: str | None,
) -> None:
    """Among rows that pass every other rule, one per key loads: the newest by the source's
    `version` timestamp (Zendesk's updated_at), the first line among equals. An older version is
    quarantined as `superseded_in_drop`, an equal one (or any, without a version) as
    `duplicate_id_in_drop`; as across drops, the newest version wins."""
    bad = pl.Series(list(violations), dtype=pl.Int32)
    candidates = frame.filter(
        ~pl.col("_line").is_in(bad.implode())
        & pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    )
    order = [pl.col(version).is_null(), pl.col(version)] if version else []
    descending = [False, True] if version else []
    ranked = candidates.sort([*order, "_line"], descending=[*descending, False])
    winners = ranked.filter(pl.struct(key).is_first_distinct())
    losers = ranked.filter(~pl.struct(key).is_first_distinct())
    if losers.is_empty():
        return
    version_cols = [version] if version else []
    losers = losers.join(
        winners.select(
            *key,
            pl.col("_line").alias("_winner_line"),
            *[pl.col(c).alias("_winner_version") for c in version_cols],
        ),
        on=key,
        nulls_equal=True,
    )
    for row in losers.iter_rows(named=True):
        violations[row["_line"]] = [duplicate_violation(row, key, version)]


def duplicate_violation(row: dict, key: list[str], version: str | None) -> Violation:
    """The violation of a row that lost to another row of its key in the same file (`row` holds
    `_winner_line`, and `_winner_version` with a version column)."""
    record = "|".join(str(row[k]) for k in key)
    keys = f"({', '.join(key)}) = {record}" if len(key) > 1 else f"{key[0]} {record!r}"
    newer = row.get("_winner_version")
    if version and newer is not None and (row[version] is None or row[version] < newer):
        return Violation(
            row["_line"],
            "superseded_in_drop",
            version,
            None if row[version] is None else str(row[version]),
            f"{keys}: a newer version ({version} {newer}) is on line {row['_winner_line']} "
            "of this file",
        )
    return Violation(
        row["_line"],
        "duplicate_id_in_drop",
        ",".join(key),
        record,
        f"{keys} already appeared on line {row['_winner_line']} of this file",
    )


def check_jsonl(
    source: str,
    file_table: str,
    text: str,
    tables: tuple[str, ...],
    contracts: dict[str, Contract],
    flatten: Flatten,
    expected_object: str | None,
    key_column: str = "id",
    first_line: int = 1,
    window: TimeWindow | None = None,
) -> CheckedFile:
    """Parse, type-check and validate every line of a JSONL file against its tables' contracts.

    A large file can be checked in chunks of whole lines: `first_line` numbers the chunk's first
    line; a key repeated across chunks is resolved after staging (ingest/staging.py). Timestamps
    are checked against the drop's `window` when one is given. Lines end at "\n" only (a trailing
    "\r" is dropped), as a reader of the file by lines sees them.
    """
    parsed = _parse_lines(
        source,
        file_table,
        text,
        tables,
        contracts,
        flatten,
        expected_object,
        key_column,
        first_line,
    )
    violations = parsed.violations
    frames = {t: _typed_frame(contracts[t], parsed.rows[t]) for t in tables}
    for table, frame in frames.items():
        add_contract_failures(violations, contracts[table], frame, window)

    parent = contracts[tables[0]]
    add_duplicates(violations, frames[tables[0]], [key_column], parent.version)

    bad = sorted(violations)
    if bad:
        bad_series = pl.Series(bad, dtype=pl.Int32)
        frames = {
            t: f.filter(~pl.col("_line").is_in(bad_series.implode())) for t, f in frames.items()
        }
    quarantine = [
        quarantine_row(violations[line], parsed.raw_lines.get(line), parsed.record_ids.get(line))
        for line in bad
    ]
    return CheckedFile(parsed.rows_read, frames, quarantine)


@dataclass
class _ParsedLines:
    """The rows each line flattened to, by raw table, and what was wrong with each line."""

    rows: dict[str, list[dict]]
    violations: dict[int, list[Violation]] = field(default_factory=dict)
    raw_lines: dict[int, str] = field(default_factory=dict)
    record_ids: dict[int, str | None] = field(default_factory=dict)
    rows_read: int = 0


def _parse_lines(
    source: str,
    file_table: str,
    text: str,
    tables: tuple[str, ...],
    contracts: dict[str, Contract],
    flatten: Flatten,
    expected_object: str | None,
    key_column: str,
    first_line: int,
) -> _ParsedLines:
    """Parse every non-blank line as a JSON object and flatten it into rows of its tables."""
    parent = tables[0]
    parsed = _ParsedLines(rows={t: [] for t in tables})
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, start=first_line):
        raw = raw.removesuffix("\r")
        if not raw.strip():
            continue
        parsed.rows_read += 1
        parsed.raw_lines[number] = raw
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            parsed.violations[number] = [
                Violation(number, "json_malformed", None, None, f"not valid JSON: {exc.msg}")
            ]
            continue
        if not isinstance(obj, dict):
            parsed.violations[number] = [
                Violation(number, "json_not_object", None, None, "the line is not a JSON object")
            ]
            continue
        parsed.record_ids[number] = _text(obj.get(key_column))
        reader = RecordReader(source, number)
        declared = obj.get("object")
        if expected_object and declared is not None and declared != expected_object:
            reader.violations.append(
                Violation(
                    number,
                    f"{source}.{file_table}.object_mismatch",
                    "object",
                    _text(declared),
                    f"expected object {expected_object!r} in {file_table}",
                )
            )
        for table, table_rows in flatten(reader, obj).items():
            for row in table_rows:
                row["_line"] = number
                if table == parent and contracts[table].table.keep_raw_json:
                    row["_raw_json"] = raw
                parsed.rows[table].append(row)
        if reader.violations:
            parsed.violations[number] = reader.violations
    return parsed
