"""The extract file formats: CSV read whole as text, Parquet batch by batch, JSON Lines chunk by chunk.

A file that cannot be read at all raises ExtractFileError naming it; values that cannot be typed are
left for the contracts to quarantine row by row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from ingest.errors import ExtractFileError
from ingest.records import Violation


def read_csv_text(path: Path) -> tuple[pl.DataFrame, pl.Series, list[Violation]]:
    """All columns as text, the file line of each row, and rows whose field count is wrong."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractFileError(path, "UTF-8 CSV text with a header", str(exc)) from exc
    if not text.strip():
        return pl.DataFrame(), pl.Series("_line", [], dtype=pl.Int32), []
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            infer_schema=False,
            has_header=True,
        )
        physical = text.count("\n") + (0 if text.endswith("\n") else 1)
        if physical == frame.height + 1:
            lines = pl.Series("_line", range(2, frame.height + 2), dtype=pl.Int32)
            return frame, lines, []
    except pl.exceptions.PolarsError:
        pass
    return _read_csv_python(path, text)


def _read_csv_python(path: Path, text: str) -> tuple[pl.DataFrame, pl.Series, list[Violation]]:
    """Slow path for quoted newlines and ragged rows: exact line numbers, ragged rows reported."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ExtractFileError(path, "a CSV header line", str(exc)) from exc
    records: list[list[str | None]] = []
    lines: list[int] = []
    ragged: list[Violation] = []
    start = reader.line_num + 1
    try:
        for fields in reader:
            if not fields:
                start = reader.line_num + 1
                continue
            if len(fields) != len(header):
                ragged.append(
                    Violation(
                        start,
                        "csv_field_count",
                        None,
                        ",".join(fields)[:500],
                        f"{len(fields)} fields where the header has {len(header)}",
                    )
                )
            else:
                records.append([f if f != "" else None for f in fields])
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ExtractFileError(path, "CSV text", f"line {reader.line_num}: {exc}") from exc
    frame = pl.DataFrame(records, schema={h: pl.String for h in header}, orient="row")
    return frame, pl.Series("_line", lines, dtype=pl.Int32), ragged


def parquet_file(path: Path) -> pq.ParquetFile:
    """An open Parquet file, to be read batch by batch."""
    try:
        # pre_buffer=False: with pyarrow's default the reader fetched row groups ahead and kept
        # their buffers (through the 4 GB events file at 100k accounts ingest's resident memory
        # climbed past 8 GiB while DuckDB stayed within its limit).
        return pq.ParquetFile(path, pre_buffer=False)
    except Exception as exc:  # any reader error means the file cannot be read at all
        raise ExtractFileError(path, "a readable Parquet file", str(exc)) from exc


def jsonl_chunks(path: Path, lines_per_chunk: int) -> Iterator[tuple[int, str]]:
    """(first line number, text of up to `lines_per_chunk` whole lines) over a JSONL file."""
    number = 1
    with path.open("rb") as handle:
        while True:
            chunk = [line for _, line in zip(range(lines_per_chunk), handle, strict=False)]
            if not chunk:
                return
            data = b"".join(chunk)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = number + data[: exc.start].count(b"\n")
                raise ExtractFileError(
                    path, "UTF-8 JSON Lines text", f"line {line}: {exc.reason}"
                ) from exc
            yield number, text
            number += len(chunk)
