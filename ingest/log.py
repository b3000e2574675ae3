"""What a drop's ingest records: one audit.ingest_log row per file, raw.quarantine rows per bad row."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import duckdb
import polars as pl


@dataclass
class FileIngestResult:
    """What happened to one table file of the drop (one audit.ingest_log row)."""

    file: str | None
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    manifest_rows: int | None = None
    content_sha256: str | None = None
    message: str | None = None

    @property
    def manifest_mismatch(self) -> bool:
        return self.manifest_rows is not None and self.manifest_rows != self.rows_read


@dataclass
class DropIngestResult:
    """The outcome of ingesting one source's drop for one date."""

    source: str
    drop_date: datetime.date
    files: list[FileIngestResult] = field(default_factory=list)
    missing_drop: bool = False
    synthetic: bool = False
    extracted_at: datetime.datetime | None = None
    ignored_files: list[str] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def manifest_mismatches(self) -> list[FileIngestResult]:
        return [f for f in self.files if f.manifest_mismatch]

    def file(self, name: str) -> FileIngestResult:
        return next(f for f in self.files if f.file == name)

    def describe(self) -> str:
        """One line for a run log: per file its status and read/loaded/quarantined counts."""
        if self.missing_drop:
            return "missing drop folder"
        files = [f for f in self.files if f.status != "ignored_file"]
        parts = [
            f"{f.file} {f.status}"
            + (
                f" {f.rows_read} read/{f.rows_loaded} loaded/{f.rows_quarantined} quarantined"
                if f.status != "missing_file"
                else ""
            )
            + (f" (manifest says {f.manifest_rows})" if f.manifest_mismatch else "")
            for f in files
        ]
        if self.ignored_files:
            parts.append(f"ignored unknown files {', '.join(self.ignored_files)}")
        return "; ".join(parts) + (" [synthetic]" if self.synthetic else "")


def previous_delivery(
    con: duckdb.DuckDBPyConnection, source: str, drop_date: datetime.date, file: str
) -> tuple | None:
    """(sha256, rows read, loaded, quarantined) of the file's latest loaded delivery, if any."""
    return con.execute(
        """
        SELECT content_sha256, rows_read, rows_loaded, rows_quarantined
        FROM audit.ingest_log
        WHERE source = ? AND drop_date = ? AND file = ? AND status IN ('loaded', 'replaced', 'unchanged')
        ORDER BY loaded_at DESC, rowid DESC
        LIMIT 1
        """,
        [source, drop_date, file],
    ).fetchone()


_QUARANTINE_SCHEMA = {
    "source": pl.String,
    "drop_date": pl.Date,
    "file": pl.String,
    "line": pl.Int32,
    "record_id": pl.String,
    "rule": pl.String,
    "column": pl.String,
    "value": pl.String,
    "message": pl.String,
    "rules": pl.List(pl.String),
    "raw_text": pl.String,
    "quarantined_at": pl.Datetime("us"),
}


def insert_quarantine(con: duckdb.DuckDBPyConnection, rows: list[dict], meta: dict) -> None:
    """Append a file's quarantine rows to raw.quarantine, stamped with the file and load time."""
    if not rows:
        return
    full = [
        {
            **row,
            "source": meta["source"],
            "drop_date": meta["drop_date"],
            "file": meta["file"],
            "quarantined_at": meta["loaded_at"],
        }
        for row in rows
    ]
    frame = pl.DataFrame(full, schema=_QUARANTINE_SCHEMA)
    con.register("_ingest_quarantine", frame.to_arrow())
    try:
        con.execute("INSERT INTO raw.quarantine BY NAME SELECT * FROM _ingest_quarantine")
    finally:
        con.unregister("_ingest_quarantine")


def insert_log(
    con: duckdb.DuckDBPyConnection,
    result: DropIngestResult,
    entry: FileIngestResult,
    loaded_at: datetime.datetime,
) -> None:
    """Append the audit.ingest_log row of one file of the drop."""
    con.execute(
        """
        INSERT INTO audit.ingest_log BY NAME
        SELECT ? AS source, ?::DATE AS drop_date, ? AS file, ? AS rows_read, ? AS rows_loaded,
               ? AS rows_quarantined, ? AS manifest_rows, ? AS manifest_mismatch,
               ? AS content_sha256, ? AS status, ? AS synthetic, ?::TIMESTAMP AS extracted_at,
               ?::TIMESTAMP AS loaded_at, ? AS message
        """,
        [
            result.source,
            result.drop_date,
            entry.file,
            entry.rows_read,
            entry.rows_loaded,
            entry.rows_quarantined,
            entry.manifest_rows,
            entry.manifest_mismatch,
            entry.content_sha256,
            entry.status,
            result.synthetic,
            result.extracted_at,
            loaded_at,
            entry.message,
        ],
    )
