"""What ingest reads per source: the file formats it accepts, the declarations that check each file
and, for JSON Lines, the flatteners that turn its objects into rows."""

from __future__ import annotations

from data_contracts import app_db, fx_rates, stripe, ticketing
from data_contracts.contracts import Contract
from ingest import stripe as stripe_objects
from ingest import ticketing as ticketing_objects
from ingest.records import Flatten

SOURCES = ("stripe", "app_db", "ticketing", "fx_rates")

EXTENSIONS = {
    "stripe": ("jsonl",),
    "ticketing": ("jsonl",),
    "app_db": ("csv", "parquet"),
    "fx_rates": ("csv",),
}


def contracts_of(source: str) -> dict[str, Contract]:
    """The source's contracts by raw table (without the source prefix)."""
    return {
        "stripe": stripe.CONTRACTS,
        "app_db": app_db.CONTRACTS,
        "ticketing": ticketing.CONTRACTS,
        "fx_rates": fx_rates.CONTRACTS,
    }[source]


def file_tables(source: str) -> dict[str, tuple[str, ...]]:
    """File stem → the raw tables (parent first) its rows feed."""
    if source == "stripe":
        return stripe.FILE_TABLES
    if source == "ticketing":
        return ticketing.FILE_TABLES
    return {t: (t,) for t in contracts_of(source)}


def required_columns(source: str, stem: str) -> tuple[str, ...]:
    """The columns a tabular file's header must have."""
    return (app_db.REQUIRED_COLUMNS if source == "app_db" else fx_rates.REQUIRED_COLUMNS)[stem]


def flatteners_of(source: str) -> dict[str, Flatten]:
    """File stem → the function that turns one JSON object of the file into raw rows."""
    return {"stripe": stripe_objects.FLATTEN, "ticketing": ticketing_objects.FLATTEN}[source]


def object_of_file(source: str, stem: str) -> str | None:
    """The `object` a JSON Lines file's lines must declare, if they declare one."""
    return {"stripe": stripe.OBJECT_OF_FILE, "ticketing": ticketing.OBJECT_OF_FILE}[source][stem]
