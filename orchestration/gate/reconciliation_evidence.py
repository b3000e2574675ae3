"""Rule 7's orphan evidence: per category, the records of one source naming a parent (account,
organisation, ticket) that its source of truth does not know, read from the staging models."""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.warehouse_io import table_exists
from transforms.gate.reconciliation_rules import Orphans

# Every account seen up to the as-of date, deleted ones included: a deleted account's records are
# history, not orphans (as for rule 7's organisations).
_ACCOUNTS = "staging.stg_app_db__accounts_with_deleted"

# category -> (staging model of the records, its column naming the parent, the parents' query)
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "NPS responses of unknown accounts": (
        "stg_app_db__nps_responses",
        "account_id",
        f"select account_id from {_ACCOUNTS}",
    ),
    "NPS survey sends of unknown accounts": (
        "stg_app_db__nps_survey_sends",
        "account_id",
        f"select account_id from {_ACCOUNTS}",
    ),
    "usage events of unknown accounts": (
        "stg_app_db__events",
        "account_id",
        f"select account_id from {_ACCOUNTS}",
    ),
    "tickets of unknown organisations": (
        "stg_ticketing__tickets",
        "organization_id",
        "select organization_id from staging.stg_ticketing__organizations",
    ),
    "satisfaction ratings of unknown tickets": (
        "stg_ticketing__satisfaction_ratings",
        "ticket_id",
        "select ticket_id from staging.stg_ticketing__tickets",
    ),
}


def orphan_counts(con: duckdb.DuckDBPyConnection, examples: int = 20) -> dict[str, Orphans]:
    """Per category whose models are built: orphans, all records, the unknown parents named."""
    found: dict[str, Orphans] = {}
    for category, (model, column, parents) in CATEGORIES.items():
        parent_model = parents.rsplit(" ", 1)[-1].split(".", 1)
        if not table_exists(con, "staging", model) or not table_exists(con, *parent_model):
            continue
        # Counted per parent first: one pass over the records (the events are the largest table).
        rows = con.execute(
            f"""
            with per_parent as (
                select {column} as parent, count(*) as n from staging.{model}
                where {column} is not null group by {column}
            ),
            unknown as (
                select parent, n from per_parent where parent not in ({parents})
            )
            select
                (select coalesce(sum(n), 0) from unknown),
                (select count(*) from staging.{model}),
                (select list(struct_pack(parent := cast(parent as varchar), n := n)
                             order by n desc, parent) from unknown)
            """
        ).fetchall()[0]
        named = [(p["parent"], p["n"]) for p in (rows[2] or [])][:examples]
        found[category] = Orphans(int(rows[0]), int(rows[1]), named)
    return found


def read_reconciliation_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """`orphans`: rule 7's orphan categories (staging models already hold only drops up to the
    as-of date)."""
    return {"orphans": orphan_counts(con)}
