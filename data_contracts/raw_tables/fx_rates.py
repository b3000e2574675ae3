"""Raw table of FX rates: one CSV of date, currency and rate per drop."""

from __future__ import annotations

from data_contracts.raw_tables.layout import RawTable, column

TABLES: tuple[RawTable, ...] = (
    RawTable(
        "fx_rates",
        "fx_rates",
        "fx_rates",
        ("date", "currency"),
        (
            column("date", "DATE"),
            column("currency", "VARCHAR", "3-letter ISO code as given"),
            column(
                "rate", "DOUBLE", "> 0; units of the reporting currency per 1 unit of `currency`"
            ),
        ),
    ),
)
