"""The evidence of the publication rules (13, 14, 15, 17), read from the build database.

Rule 13's anomalies are detected here (transforms/gate/anomalies.py) and written to audit.anomalies,
the table the rule judges and the marts publish with; the e-mail scan of rule 17 runs after that
write, so it covers audit.anomalies too.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from data_contracts.raw_tables import RAW_TABLES
from orchestration.config import CONFIG_DIR, load_anomaly_annotations
from orchestration.gate.reading import column_names, tables_present
from orchestration.warehouse_io import read_frame, table_exists
from transforms.gate.anomalies import close_annotated, detect_anomalies
from transforms.gate.publication_rules import EMAIL_PATTERN


def email_hits(con: duckdb.DuckDBPyConnection, schemas: list[str]) -> pl.DataFrame:
    """Rows per published text column whose value holds an e-mail address: VARCHAR columns, and
    lists of text (a row counts when any element holds one)."""
    columns = con.execute(
        """
        select table_schema, table_name, column_name, data_type from information_schema.columns
        where table_schema in (select unnest(?::varchar[]))
            and (data_type = 'VARCHAR' or data_type = 'VARCHAR[]')
        order by 1, 2, 3
        """,
        [schemas],
    ).fetchall()
    rows = []
    for schema, table, column, data_type in columns:
        # chr(10) joins a list's elements: no address spans two of them.
        text = f'"{column}"' if data_type == "VARCHAR" else f'array_to_string("{column}", chr(10))'
        count = con.execute(
            f'select count(*) from {schema}."{table}" where regexp_matches({text}, ?)',
            [EMAIL_PATTERN],
        ).fetchall()[0][0]
        rows.append({"table": f"{schema}.{table}", "column": column, "rows": count})
    return pl.DataFrame(rows, schema={"table": pl.String, "column": pl.String, "rows": pl.Int64})


def raw_duplicate_ids(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Ids delivered more than once in one drop (raw tables with a one-column key), for the drops
    dated up to the as-of date. A drop's duplicates cannot change once it is loaded, so they are
    kept in gate_state.raw_duplicate_ids, with each drop's row count and newest _loaded_at in
    gate_state.raw_duplicate_scans, and searched again only in the drops that are new, loaded again
    (ingest replaces a re-delivered drop's rows) or gone: grouping every raw event by id each day
    grew with the history (BENCHMARKS.md)."""
    # gate_state is the gate's memory between runs; publish copies marts and audit, not it.
    con.execute("create schema if not exists gate_state")
    con.execute(
        "create table if not exists gate_state.raw_duplicate_scans "
        "(table_name varchar, drop_date date, row_count bigint, loaded_at timestamp)"
    )
    con.execute(
        "create table if not exists gate_state.raw_duplicate_ids "
        "(table_name varchar, entity_id varchar, drop_date date, copies bigint)"
    )
    for raw_name, table in sorted(RAW_TABLES.items()):
        if len(table.key) != 1 or not table_exists(con, "raw", raw_name):
            continue
        name, key = f"raw.{raw_name}", table.key[0]
        stale = f"""
            with loaded as (
                select _drop_date as drop_date, count(*) as row_count, max(_loaded_at) as loaded_at
                from {name} group by _drop_date
            ),
            scanned as (
                select drop_date, row_count, loaded_at from gate_state.raw_duplicate_scans
                where table_name = '{name}'
            )
            select coalesce(loaded.drop_date, scanned.drop_date) as drop_date,
                loaded.row_count, loaded.loaded_at
            from loaded full join scanned on scanned.drop_date = loaded.drop_date
            where loaded.row_count is distinct from scanned.row_count
                or loaded.loaded_at is distinct from scanned.loaded_at
        """
        con.execute("begin transaction")
        try:
            con.execute(f"create or replace temp table csw_stale_drops as {stale}")
            for state_table in ("raw_duplicate_ids", "raw_duplicate_scans"):
                con.execute(
                    f"delete from gate_state.{state_table} where table_name = ? "
                    "and drop_date in (select drop_date from csw_stale_drops)",
                    [name],
                )
            con.execute(
                f"""
                insert into gate_state.raw_duplicate_ids
                select ?, cast("{key}" as varchar), _drop_date, count(*)
                from {name}
                where _drop_date in (select drop_date from csw_stale_drops) and "{key}" is not null
                group by 2, 3 having count(*) > 1
                """,
                [name],
            )
            con.execute(
                "insert into gate_state.raw_duplicate_scans select ?, drop_date, row_count, loaded_at "
                "from csw_stale_drops where row_count is not null",
                [name],
            )
            con.execute("drop table csw_stale_drops")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return read_frame(
        con,
        "select table_name, entity_id, drop_date, copies from gate_state.raw_duplicate_ids "
        "where drop_date <= ? order by all",
        [as_of],
    )


def build_anomalies(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: dict, annotations: list[dict]
) -> pl.DataFrame:
    """audit.anomalies: the rule-13 anomalies as of the date, closed where an annotation reviewed them."""
    mrr = (
        read_frame(
            con,
            "select stripe_customer_id, month, previous_mrr, mrr, mrr_change from marts.mrr_monthly",
        )
        if table_exists(con, "marts", "mrr_monthly")
        else None
    )
    negatives = []
    for model, id_column, amount in (
        ("stg_stripe__charges", "charge_id", "amount"),
        ("stg_stripe__invoices", "invoice_id", "amount_due"),
        ("stg_stripe__prices", "price_id", "unit_amount"),
    ):
        if table_exists(con, "staging", model) and {id_column, amount} <= set(
            column_names(con, "staging", model)
        ):
            negatives.append(
                read_frame(
                    con,
                    f"select 'staging.{model}' as table_name, cast({id_column} as varchar) as entity_id, "
                    f"cast({amount} as double) as amount from staging.{model} where {amount} < 0",
                )
            )
    negative_amounts = (
        pl.concat(negatives)
        if negatives
        else pl.DataFrame(
            schema={"table_name": pl.String, "entity_id": pl.String, "amount": pl.Float64}
        )
    )
    usage = None
    if table_exists(con, "staging", "stg_app_db__events"):
        columns = column_names(con, "staging", "stg_app_db__events")
        time_column = next(
            (c for c in ("occurred_at", "event_at", "timestamp") if c in columns), None
        )
        if time_column and "account_id" in columns:
            usage = read_frame(
                con,
                f"""
                select account_id, cast({time_column} as date) as date, count(*) as events
                from staging.stg_app_db__events
                where cast({time_column} as date) between ? and ?
                group by 1, 2
                """,
                [as_of - dt.timedelta(days=settings["usage_window_days"] - 1), as_of],
            )
    duplicate_ids = raw_duplicate_ids(con, as_of)
    history = (
        read_frame(con, "select * from audit.revenue_history_disagreements")
        if table_exists(con, "audit", "revenue_history_disagreements")
        and "is_anomaly" in column_names(con, "audit", "revenue_history_disagreements")
        else None
    )
    anomalies = detect_anomalies(
        mrr,
        negative_amounts,
        usage,
        duplicate_ids,
        settings["mrr_change_robust_z"],
        settings["usage_spike_ratio"],
        settings["usage_spike_min_events"],
        history_disagreements=history,
    )
    return close_annotated(anomalies, annotations).with_columns(as_of_date=pl.lit(as_of))


def write_anomalies(con: duckdb.DuckDBPyConnection, anomalies: pl.DataFrame) -> None:
    """Replace audit.anomalies with this run's anomalies."""
    con.execute("create schema if not exists audit")
    con.register("anomalies_frame", anomalies.to_arrow())
    con.execute("create or replace table audit.anomalies as select * from anomalies_frame")
    con.unregister("anomalies_frame")


def read_publication_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """The publication rules' evidence by name: `anomalies` (written to audit.anomalies first),
    `published_tables` (the tables rules 14, 15 and 16 name, where built) and `email_hits` (per
    text column of the published schemas, the rows holding an e-mail address)."""
    outliers = rules["r13_outliers_investigated"]
    anomalies = build_anomalies(
        con, as_of, outliers, load_anomaly_annotations(CONFIG_DIR / outliers["annotations_file"])
    )
    write_anomalies(con, anomalies)
    intervals = rules["r14_confidence_intervals"]["rates"]
    periods = rules["r15_period_comparison"]["tables"]
    defaults = rules["r16_no_defaulted_inputs"]["rate_inputs"]
    published = tables_present(
        con, {name.rsplit(".", 1)[0] for name in [*intervals, *defaults]} | set(periods)
    )
    return {
        "anomalies": anomalies,
        "published_tables": published,
        "email_hits": email_hits(con, rules["r17_personal_data"]["schemas"]),
    }
