"""The evidence of the NPS rules (1, 9, 10): the published summary and its independent recomputation."""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.gate.reading import table_or_none


def read_nps_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """`nps_summary` (marts.nps_summary) and `nps_independent_check` (its recomputation in dbt SQL,
    audit.nps_independent_check); None where not built."""
    return {
        "nps_summary": table_or_none(con, "marts", "nps_summary"),
        "nps_independent_check": table_or_none(con, "audit", "nps_independent_check"),
    }
