"""What a raw table is: where its rows come from, its columns, and the load metadata every one carries."""

from __future__ import annotations

from dataclasses import dataclass

LOAD_METADATA: tuple[tuple[str, str, str], ...] = (
    ("_drop_date", "DATE", "date of the drop folder the row came from"),
    ("_file", "VARCHAR", "file name inside the drop folder, e.g. customers.jsonl"),
    (
        "_line",
        "INTEGER",
        "JSONL: 1-based line; CSV: line in the file (header = 1); Parquet: 1-based row",
    ),
    ("_loaded_at", "TIMESTAMP", "when ingest loaded the row (UTC)"),
)
RAW_JSON = ("_raw_json", "VARCHAR", "the original JSON line, unchanged")


@dataclass(frozen=True)
class RawTable:
    """One raw table: where its rows come from and its columns (name, DuckDB type, meaning)."""

    source: str
    table: str
    file_stem: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str, str], ...]
    parent: str | None = None
    keep_raw_json: bool = False
    required_file: bool = True

    @property
    def name(self) -> str:
        return f"raw.{self.source}__{self.table}"

    @property
    def all_columns(self) -> tuple[tuple[str, str, str], ...]:
        extra = (RAW_JSON,) if self.keep_raw_json else ()
        return self.columns + extra + LOAD_METADATA

    def ddl(self) -> str:
        cols = ",\n  ".join(f'"{name}" {dtype}' for name, dtype, _ in self.all_columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"


def column(name: str, dtype: str, doc: str = "") -> tuple[str, str, str]:
    """One column of a raw table: name, DuckDB type, meaning."""
    return (name, dtype, doc)
