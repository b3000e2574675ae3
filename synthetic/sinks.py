"""Writes records into daily drop folders, one version per change day, and injects the flaws.

A record is emitted with the days on which it was created or changed and a function giving its
state at the end of a day. The first (full) drop holds every record's state as of that drop's
date; each later drop holds the records created or changed that day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthetic.calendar import SimCalendar

Payload = Any
StateFn = Callable[[int], Payload]
TouchFn = Callable[[Payload, int], tuple[Payload, str]]


@dataclass(frozen=True)
class TableSpec:
    """How one extract file is written and, for CSV, how a row is made to break the contract."""

    source: str
    name: str
    fmt: str  # "jsonl", "csv" or "parquet"
    columns: tuple[str, ...] = ()
    invalid_column: str | None = None
    invalid_value: str | None = None
    malformed: bool = True

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.fmt}"


@dataclass
class _FileState:
    handle: TextIO | None = None
    lines: int = 0
    incremental: dict[int, list[str]] = field(default_factory=dict)


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(values: Iterable[Any]) -> str:
    return ",".join(_csv_field(v) for v in values)


def json_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


class DropWriter:
    """Owns every extract file of a generation run and the log of injected flaws."""

    def __init__(
        self,
        out_dir: Path,
        calendar: SimCalendar,
        tables: list[TableSpec],
        flaw_rate: float,
        flaw_rng: np.random.Generator,
        events_schema: pa.Schema,
    ) -> None:
        self.out_dir = out_dir
        self.cal = calendar
        self.flaw_rate = flaw_rate
        self.rng = flaw_rng
        self.specs = {(t.source, t.name): t for t in tables}
        self.flaws: list[dict[str, Any]] = []
        self._files: dict[tuple[str, str], _FileState] = {}
        self._events_schema = events_schema
        self._events_initial: pq.ParquetWriter | None = None
        self._events_incremental: dict[int, list[pa.Table]] = {}
        self.row_counts: dict[tuple[str, dt.date, str], int] = {}
        self._events_rows = 0
        for spec in tables:
            if spec.fmt != "parquet":
                state = _FileState()
                self._files[(spec.source, spec.name)] = state
                path = self._path(spec, calendar.initial_day)
                path.parent.mkdir(parents=True, exist_ok=True)
                state.handle = path.open("w", encoding="utf-8", newline="")
                if spec.fmt == "csv":
                    state.handle.write(csv_line(spec.columns) + "\n")
                    state.lines = 1

    # -- paths -----------------------------------------------------------------------------

    def drop_date(self, day: int) -> dt.date:
        return self.cal.date(day)

    def _path(self, spec: TableSpec, day: int) -> Path:
        return self.out_dir / spec.source / self.drop_date(day).isoformat() / spec.filename

    # -- flaws -----------------------------------------------------------------------------

    def chance(self) -> bool:
        return self.flaw_rate > 0 and bool(self.rng.random() < self.flaw_rate)

    def log_flaw(
        self, kind: str, spec: TableSpec, day: int, line: int, record_id: str, detail: str
    ) -> None:
        self.flaws.append(
            {
                "kind": kind,
                "source": spec.source,
                "drop_date": self.drop_date(day).isoformat(),
                "file": spec.filename,
                "line": line,
                "record_id": record_id,
                "detail": detail,
            }
        )

    def _malformed(self, spec: TableSpec, payload: Payload) -> tuple[str, str]:
        if spec.fmt == "jsonl":
            text = json_line(payload)
            cut = max(1, int(len(text) * (0.3 + 0.5 * self.rng.random())))
            return text[:cut], f"truncated JSON line ({cut} of {len(text)} characters)"
        row = list(payload)
        index = spec.columns.index(spec.invalid_column)
        row[index] = spec.invalid_value
        return (
            csv_line(row),
            f"{spec.invalid_column}={spec.invalid_value!r} breaks the contract",
        )

    # -- writing ---------------------------------------------------------------------------

    def _append(self, spec: TableSpec, day: int, text: str) -> int:
        state = self._files[(spec.source, spec.name)]
        if day == self.cal.initial_day:
            assert state.handle is not None
            state.handle.write(text + "\n")
            state.lines += 1
            return state.lines
        lines = state.incremental.setdefault(day, [])
        lines.append(text)
        return len(lines) + (1 if spec.fmt == "csv" else 0)

    def write(self, spec: TableSpec, day: int, payload: Payload, record_id: str) -> int:
        """Write one record version into the drop of `day`; returns its line number."""
        text = json_line(payload) if spec.fmt == "jsonl" else csv_line(payload)
        line = self._append(spec, day, text)
        if spec.malformed and self.chance():
            bad, detail = self._malformed(spec, payload)
            bad_line = self._append(spec, day, bad)
            self.log_flaw("c_malformed", spec, day, bad_line, record_id, detail)
        return line

    def emit(
        self,
        source: str,
        table: str,
        record_id: str,
        change_days: Iterable[int],
        state_at: StateFn,
        *,
        late_updates: bool = False,
        touch: TouchFn | None = None,
    ) -> list[tuple[int, int]]:
        """Emit a record's versions; returns (drop day, line) of each written version."""
        spec = self.specs[(source, table)]
        cal = self.cal
        days = sorted({int(d) for d in change_days})
        if not days or days[0] > cal.last_day:
            return []
        versions: list[tuple[int, Payload, str | None]] = []
        if days[0] <= cal.initial_day:
            versions.append((cal.initial_day, state_at(cal.initial_day), None))
        for d in days:
            if cal.initial_day < d <= cal.last_day:
                versions.append((d, state_at(d), None))
        if late_updates:
            versions = self._delay_some(versions, created_day=days[0])
        if touch is not None and self.chance():
            last_drop = max(v[0] for v in versions)
            if last_drop < cal.last_day:
                newer_day = int(self.rng.integers(last_drop + 1, cal.last_day + 1))
                newer, detail = touch(versions[-1][1], newer_day)
                versions.append((newer_day, newer, "a_repeated_update:" + detail))
        versions.sort(key=lambda v: v[0])
        written = []
        for day, payload, flaw in versions:
            line = self.write(spec, day, payload, record_id)
            if flaw is not None:
                kind, detail = flaw.split(":", 1)
                self.log_flaw(kind, spec, day, line, record_id, detail)
            written.append((day, line))
        return written

    def _delay_some(
        self, versions: list[tuple[int, Payload, str | None]], created_day: int
    ) -> list[tuple[int, Payload, str | None]]:
        """Deliver some updates (never the creation) one to three drops late."""
        out = []
        for day, payload, flaw in versions:
            is_update = day > self.cal.initial_day and day != created_day
            if is_update and day < self.cal.last_day and self.chance():
                lag = int(self.rng.integers(1, 4))
                late_day = min(self.cal.last_day, day + lag)
                changed_on = self.drop_date(day).isoformat()
                out.append(
                    (late_day, payload, f"b_late_update:change of {changed_on} arrived late")
                )
            else:
                out.append((day, payload, flaw))
        # A late change that lands in the same drop as a newer version of the record is not late:
        # the loader rightly quarantines it as superseded, which the flaw log would not say. Such a
        # change arrives on time instead (an older change arriving after a newer one stays).
        states = [v[0] for v in versions]
        moved = True
        while moved:
            moved = False
            for i, (day, payload, flaw) in enumerate(out):
                newer_same_drop = any(d == day for d, _, _ in out[i + 1 :])
                if flaw is not None and flaw.startswith("b_late_update") and newer_same_drop:
                    out[i] = (states[i], payload, versions[i][2])
                    moved = True
        return out

    # -- events (Parquet) --------------------------------------------------------------------

    def write_events(self, table: pa.Table, day_of_row: np.ndarray) -> None:
        """Append usage events; rows of incremental days are held until `close`."""
        initial = day_of_row <= self.cal.initial_day
        if initial.any():
            if self._events_initial is None:
                path = (
                    self.out_dir / "app_db" / self.cal.initial_drop.isoformat() / "events.parquet"
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                self._events_initial = pq.ParquetWriter(
                    path, self._events_schema, compression="zstd", use_dictionary=True
                )
            part = table.filter(pa.array(initial))
            self._events_initial.write_table(part, row_group_size=1_000_000)
            self._events_rows += part.num_rows
        later_days = np.unique(day_of_row[~initial])
        for day in later_days:
            if day > self.cal.last_day:
                continue
            part = table.filter(pa.array(day_of_row == day))
            self._events_incremental.setdefault(int(day), []).append(part)

    # -- closing ---------------------------------------------------------------------------

    def close(self, progress: Callable[[str], None]) -> None:
        """Write the incremental drops, empty files for quiet days, and every manifest."""
        cal = self.cal
        for state in self._files.values():
            assert state.handle is not None
            state.handle.close()
        for spec in self.specs.values():
            if spec.fmt == "parquet":
                continue
            state = self._files[(spec.source, spec.name)]
            initial_rows = state.lines - (1 if spec.fmt == "csv" else 0)
            self.row_counts[(spec.source, cal.initial_drop, spec.filename)] = initial_rows
        if self._events_initial is None:
            path = self.out_dir / "app_db" / cal.initial_drop.isoformat() / "events.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._events_initial = pq.ParquetWriter(path, self._events_schema)
        self._events_initial.close()
        self.row_counts[("app_db", cal.initial_drop, "events.parquet")] = self._events_rows
        for day in range(cal.initial_day + 1, cal.last_day + 1):
            drop = cal.date(day)
            progress(f"writing drop {drop.isoformat()}")
            for spec in self.specs.values():
                path = self._path(spec, day)
                path.parent.mkdir(parents=True, exist_ok=True)
                if spec.fmt == "parquet":
                    parts = self._events_incremental.get(day, [])
                    table = pa.concat_tables(parts) if parts else self._events_schema.empty_table()
                    pq.write_table(table, path, compression="zstd", use_dictionary=True)
                    self.row_counts[(spec.source, drop, spec.filename)] = table.num_rows
                    continue
                lines = self._files[(spec.source, spec.name)].incremental.get(day, [])
                with path.open("w", encoding="utf-8", newline="") as handle:
                    if spec.fmt == "csv":
                        handle.write(csv_line(spec.columns) + "\n")
                    for text in lines:
                        handle.write(text + "\n")
                self.row_counts[(spec.source, drop, spec.filename)] = len(lines)
        progress(f"writing manifests for {len(cal.drop_dates())} drops")
        sources = sorted({spec.source for spec in self.specs.values()})
        for drop in cal.drop_dates():
            extracted = dt.datetime.combine(drop + dt.timedelta(days=1), dt.time(6, 0))
            for source in sources:
                counts = {
                    spec.filename: self.row_counts[(source, drop, spec.filename)]
                    for spec in self.specs.values()
                    if spec.source == source
                }
                manifest = {
                    "source": source,
                    "drop_date": drop.isoformat(),
                    "extracted_at": extracted.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "row_counts": dict(sorted(counts.items())),
                    "synthetic": True,
                }
                path = self.out_dir / source / drop.isoformat() / "_manifest.json"
                path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
