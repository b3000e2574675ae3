"""Reading int_account_daily_metrics a chunk of days at a time, for the daily assets that score it
(health, churn signals, lifecycle, CS alerts).

History grows by the days a run adds: the days of the metrics model not yet in a table, plus the
as-of date, whose rows are replaced, so a re-run of a day is idempotent. A run that adds many days
(the first run over years of history) works through them a chunk at a time, so memory holds one
chunk of account-days rather than the whole history.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from orchestration.assets.transforms_schema import SCHEMA, intermediate_key
from orchestration.warehouse_io import read_frame, table_exists

METRICS_MODEL = intermediate_key("int_account_daily_metrics")

# At most this many days per chunk, fewer when the accounts are many: a chunk holds at most
# ACCOUNT_DAYS_PER_CHUNK account-days of metrics.
DAYS_PER_CHUNK = 31
ACCOUNT_DAYS_PER_CHUNK = 1_000_000


def days_to_compute(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date) -> list[dt.date]:
    """Days of the metrics model up to `as_of` that transforms.<table> does not hold yet, plus `as_of`."""
    available = read_frame(
        con,
        "select distinct as_of_date from intermediate.int_account_daily_metrics where as_of_date <= ?",
        [as_of],
    )["as_of_date"].to_list()
    done: set[dt.date] = set()
    if table_exists(con, SCHEMA, table):
        done = set(
            read_frame(con, f"select distinct as_of_date from {SCHEMA}.{table}")[
                "as_of_date"
            ].to_list()
        )
    return sorted({d for d in available if d not in done} | ({as_of} & set(available)))


def days_per_chunk(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int:
    """Days per chunk for the accounts of the metrics' latest day up to `as_of` (the most)."""
    accounts = con.execute(
        "select count(*) from intermediate.int_account_daily_metrics where as_of_date = "
        "(select max(as_of_date) from intermediate.int_account_daily_metrics where as_of_date <= ?)",
        [as_of],
    ).fetchall()[0][0]
    return max(1, min(DAYS_PER_CHUNK, ACCOUNT_DAYS_PER_CHUNK // max(accounts, 1)))


def chunks(days: list[dt.date], size: int | None = None) -> list[list[dt.date]]:
    """`days` (sorted) in consecutive chunks of at most `size` days."""
    size = size or DAYS_PER_CHUNK
    return [days[i : i + size] for i in range(0, len(days), size)]


def read_metrics(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> pl.DataFrame:
    """The rows of int_account_daily_metrics of `days`."""
    return read_frame(
        con,
        "select * from intermediate.int_account_daily_metrics "
        "where as_of_date in (select unnest(?::date[]))",
        [days],
    )


def read_ticket_texts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every ticket of a mapped account: account_id, created_on, text (subject and description)."""
    return read_frame(
        con,
        """
        select organizations.account_id, cast(tickets.created_at as date) as created_on,
            concat_ws(' ', tickets.subject, tickets.description) as text
        from staging.stg_ticketing__tickets as tickets
        inner join staging.stg_ticketing__organizations as organizations
            on organizations.organization_id = tickets.organization_id
        where organizations.account_id is not null
        """,
    )


def evaluated_days(days: list[dt.date]) -> pl.DataFrame:
    """A one-column frame of `days`: the record that they were evaluated, even without any row."""
    return pl.DataFrame({"as_of_date": days}, schema={"as_of_date": pl.Date})
