"""Renders RAW_TABLES.md from the raw_tables package, so the document the dbt staging models follow cannot drift.

Run `python -m data_contracts.raw_tables_doc` after changing a raw table; a test compares the file.
"""

from __future__ import annotations

from pathlib import Path

from data_contracts.raw_tables import INGEST_LOG_COLUMNS, QUARANTINE_COLUMNS, RAW_TABLES
from data_contracts.raw_tables.layout import LOAD_METADATA, RAW_JSON

DOC_PATH = Path(__file__).with_name("RAW_TABLES.md")

_INTRO = """\
# Raw tables written by ingest

Generated from `data_contracts/raw_tables/` by `python -m data_contracts.raw_tables_doc`; do not edit
by hand. Ingest is `ingest.loader.ingest_source_drop(con, source, extracts_root, drop_date,
loaded_at)`; it creates every schema and table below if absent.

## What every raw table holds

- **Append-only, one row per source row per drop.** A record that appears in several drops has one row
  per drop (`_drop_date` tells them apart); staging picks the newest version. Re-ingesting an identical
  file changes nothing; a re-delivered file with different content first deletes the rows of that
  (`_drop_date`, `_file`) from the raw tables and `raw.quarantine`, then loads the new content.
- **Source values unchanged.** Stripe timestamps stay unix seconds (BIGINT), amounts stay minor units
  (BIGINT), ids and enumerations stay the strings the API gave. Nested Stripe fields are flattened to
  the columns listed (the column note gives the JSON path when it is not the obvious one); where the
  two API shapes put a field in different places the column holds whichever is present (older path
  first). Anything not listed is still in `_raw_json` (Stripe and Zendesk parent tables).
- **Timestamps from CSV, Parquet and Zendesk** are parsed to `TIMESTAMP` holding UTC (no time zone
  attached). An empty CSV field is NULL.
- **Optional and newer fields** an object lacks are NULL; unknown extra fields/columns are ignored.
- **Load metadata** on every raw table: `_drop_date DATE`, `_file VARCHAR`, `_line INTEGER`,
  `_loaded_at TIMESTAMP`; Stripe and Zendesk parent tables also keep `_raw_json` (the original line).
- **Child tables** (`stripe__subscription_items`, `stripe__invoice_lines`, `stripe__*_discounts`)
  carry the parent's id and the parent's `_line`/`_file`/`_drop_date`. A JSONL line is loaded or
  quarantined as a whole: if the subscription or any of its items breaks a contract, none of its rows
  are in raw.
- **Only valid rows.** Rows that break a contract are in `raw.quarantine` (below), never in raw.
- **Plausible times only.** A timestamp of something that happened (created, occurred, solved,
  canceled) must fall between the company's first date and the end of its drop's date plus a
  tolerance; a scheduled one (period and trial ends, planned cancellations) within a horizon after
  the drop (`config/ingest.yml`); else the row is quarantined with `<source>.<table>.<column>_plausible`.
  Things that cannot precede what they follow (canceled or ended before created, solved before
  created, deleted before created) break cross-field rules. So the raw layer never holds a value
  the models cannot read.
- **Duplicates within a drop:** when a key appears more than once in one file, one valid occurrence
  loads: the newest by the source's version timestamp (`updated_at` of Zendesk objects and of the
  application's accounts, users and onboarding steps), the first line among equals or for sources
  without one (Stripe). An older version is quarantined with rule `superseded_in_drop`, an equal
  one with `duplicate_id_in_drop`. Hence within one (`_drop_date`, `_file`) a key is unique; across
  drops it repeats by design.
- **Missing files:** a table file the manifest declares but the drop lacks (missing, or misnamed) is
  logged as `missing_file` with the manifest's count: its rows are lost, and rule 11 blocks. A
  required table whose file is absent and undeclared is logged as `missing_file` too (not
  extracted); Stripe `refunds`, `coupons` and `prices` are optional and not logged when absent
  undeclared. A file no table reads (an unknown or misnamed name) is logged as `ignored_file` and
  left unread. An empty file or header-only CSV is logged `loaded` with 0 rows. A missing drop folder
  is logged as one `missing_drop` row (file NULL).
- **Inside the extracts root only:** a drop folder or file that is a link leading outside the root
  stops the ingest with its name; nothing of that source's drop is loaded.
- **Row counts:** per file and ingest call, `rows_read = rows_loaded + rows_quarantined`. Each call
  appends a log row per file; the latest row per (source, drop_date, file) describes what raw holds
  (an `unchanged` row repeats the counts of the delivery already loaded).
"""


def _table_md(title: str, cols: tuple[tuple[str, str, str], ...], lead: str = "") -> str:
    out = [f"### `{title}`", ""]
    if lead:
        out += [lead, ""]
    out += ["| column | type | note |", "| --- | --- | --- |"]
    out += [f"| {n} | {t} | {d} |" for n, t, d in cols]
    return "\n".join(out) + "\n"


def render() -> str:
    """The full text of RAW_TABLES.md."""
    parts = [_INTRO]
    current_source = None
    meta_names = {c[0] for c in LOAD_METADATA} | {RAW_JSON[0]}
    for t in RAW_TABLES.values():
        if t.source != current_source:
            current_source = t.source
            parts.append(f"\n## Source `{t.source}`\n")
        ext = {"stripe": "jsonl", "ticketing": "jsonl", "app_db": "csv|parquet", "fx_rates": "csv"}[
            t.source
        ]
        lead = f"From `{t.file_stem}.{ext}`"
        if t.parent:
            lead += f" (child rows of `raw.{t.source}__{t.parent}`)"
        lead += f"; key within a drop: ({', '.join(t.key)})"
        if not t.required_file:
            lead += "; optional file"
        lead += (
            ". Plus " + ", ".join(f"`{n}`" for n, _, _ in t.all_columns if n in meta_names) + "."
        )
        parts.append(_table_md(t.name, t.columns, lead))
    parts.append("\n## Quarantine and ingest log\n")
    parts.append(
        _table_md(
            "raw.quarantine",
            QUARANTINE_COLUMNS,
            "One row per quarantined source row (so count(*) per file = rows_quarantined). "
            "Rule names: `json_malformed`, `json_not_object`, `duplicate_id_in_drop`, "
            "`superseded_in_drop`, "
            "`<source>.<table>.<column>_<type|required|enum|format|range|plausible>` and cross-field rules "
            "`<source>.<table>.<rule>` (e.g. `stripe.subscription_items.period_end_after_start`). "
            "`column` must be quoted in SQL.",
        )
    )
    parts.append(
        _table_md(
            "audit.ingest_log",
            INGEST_LOG_COLUMNS,
            "One row per file per ingest call (one `missing_drop` row when the folder is absent).",
        )
    )
    return "\n".join(parts)


if __name__ == "__main__":
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")
