"""The layout of every raw table ingest writes: one place that the DDL, the loaders and RAW_TABLES.md read.

Raw tables keep source values as the source gives them (Stripe unix seconds and minor units stay
integers); only CSV/Parquet/Zendesk timestamps are parsed to TIMESTAMP, which always means UTC.
Each source's tables are declared in its module here; RAW_TABLES lists them all, in this order
(the order of RAW_TABLES.md and of the DDL).
"""

from __future__ import annotations

from data_contracts.raw_tables import app_db, fx_rates, stripe, ticketing
from data_contracts.raw_tables.layout import RawTable

RAW_TABLES: dict[str, RawTable] = {
    f"{t.source}__{t.table}": t
    for t in (*stripe.TABLES, *app_db.TABLES, *ticketing.TABLES, *fx_rates.TABLES)
}

QUARANTINE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("source", "VARCHAR", "stripe, app_db, ticketing, fx_rates"),
    ("drop_date", "DATE", ""),
    ("file", "VARCHAR", "file name inside the drop folder"),
    ("line", "INTEGER", "same numbering as raw _line"),
    ("record_id", "VARCHAR", "the record's key when it could be read"),
    ("rule", "VARCHAR", "first rule the row broke, e.g. stripe.subscriptions.status_enum"),
    ("column", "VARCHAR", "column of that rule (NULL for row-level rules)"),
    ("value", "VARCHAR", "offending value as text"),
    ("message", "VARCHAR", "every rule the row broke, human-readable"),
    ("rules", "VARCHAR[]", "every rule the row broke"),
    ("raw_text", "VARCHAR", "the original line / row (JSON text for CSV and Parquet rows)"),
    ("quarantined_at", "TIMESTAMP", "the load time of the ingest run"),
)

INGEST_LOG_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("source", "VARCHAR", ""),
    ("drop_date", "DATE", ""),
    ("file", "VARCHAR", "file name; expected name for missing_file; NULL for missing_drop"),
    ("rows_read", "BIGINT", "rows_read = rows_loaded + rows_quarantined"),
    ("rows_loaded", "BIGINT", ""),
    ("rows_quarantined", "BIGINT", ""),
    ("manifest_rows", "BIGINT", "row count the manifest declares for the file, NULL if none"),
    ("manifest_mismatch", "BOOLEAN", "manifest_rows is not NULL and differs from rows_read"),
    ("content_sha256", "VARCHAR", ""),
    (
        "status",
        "VARCHAR",
        "loaded, unchanged, replaced, missing_file, ignored_file (no table reads it), missing_drop",
    ),
    ("synthetic", "BOOLEAN", "manifest's synthetic flag (false without manifest)"),
    ("extracted_at", "TIMESTAMP", "manifest's extracted_at"),
    ("loaded_at", "TIMESTAMP", ""),
    ("message", "VARCHAR", "details: manifest mismatch, replaced delivery, …"),
)


def _ddl(name: str, cols: tuple[tuple[str, str, str], ...]) -> str:
    body = ",\n  ".join(f'"{n}" {t}' for n, t, _ in cols)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n  {body}\n)"


def all_ddl() -> list[str]:
    """Idempotent DDL for every raw table, raw.quarantine and audit.ingest_log."""
    statements = ["CREATE SCHEMA IF NOT EXISTS raw", "CREATE SCHEMA IF NOT EXISTS audit"]
    statements += [t.ddl() for t in RAW_TABLES.values()]
    statements.append(_ddl("raw.quarantine", QUARANTINE_COLUMNS))
    statements.append(_ddl("audit.ingest_log", INGEST_LOG_COLUMNS))
    return statements


def tables_of(source: str) -> list[RawTable]:
    """The raw tables of a source, parents before their child tables."""
    return [t for t in RAW_TABLES.values() if t.source == source]
