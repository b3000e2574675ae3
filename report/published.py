"""The report's tables, read from the published file, which is opened read-only."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

# The tables the report reads when the publication has them; anything else is left alone.
REPORT_TABLES = (
    "marts.kpi_scorecard",
    "marts.mrr_movements_monthly",
    "marts.revenue_retention_monthly",
    "marts.revenue_cohorts",
    "marts.dim_accounts",
    "marts.nps_summary",
    "marts.health_scores_daily",
    "marts.churn_signals_daily",
    "marts.onboarding_progress",
    "marts.onboarding_completion",
    # Tables of the sections page.OPTIONAL_SECTIONS shows when they are published (#23, #24).
    "marts.churn_reasons_monthly",
    "marts.csm_book_daily",
    "marts.renewals",
    "marts.renewal_forecast_monthly",
    "marts.risk_cases",
    "marts.playbook_completion_monthly",
    "audit.metric_registry",
    "audit.check_results",
    "audit.gx_results",
    "audit.gx_report",
)


def read_published_tables(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, pl.DataFrame], dict[str, object] | None]:
    """The report's tables present in the publication, and this publication's audit row."""
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    tables = {
        name: pl.from_arrow(con.sql(f"select * from {name}").to_arrow_table())
        for name in REPORT_TABLES
        if name in present
    }
    publication = None
    if "audit.publications" in present:
        rows = pl.from_arrow(
            con.sql(
                "select * from audit.publications order by published_at desc limit 1"
            ).to_arrow_table()
        )
        publication = rows.row(0, named=True) if rows.height else None
    return tables, publication


def read_publication(
    published_db: Path,
) -> tuple[dict[str, pl.DataFrame], dict[str, object] | None]:
    """Open `published_db` read-only and read the report's tables and its latest audit row."""
    if not published_db.exists():
        raise FileNotFoundError(
            f"{published_db}: no published warehouse here; run `csw run` (or `csw demo`) first"
        )
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        return read_published_tables(con)
    finally:
        con.close()
