"""The evidence of rules 18 and 19 and of rule 16's daily-rate part, counted in the build database.

Every count runs in DuckDB (the tables are account × day, millions of rows at the larger sizes);
the judges in transforms/gate/live_book_rules.py get small frames of counts.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from orchestration.gate.reading import column_names
from orchestration.warehouse_io import read_frame, table_exists

STATUS = "intermediate.int_account_status_daily"
#: The live-book tables and the day column a row is judged on.
LIVE_BOOK_TABLES = (
    ("marts", "health_scores_daily", "as_of_date", "true"),
    ("marts", "churn_signals_daily", "as_of_date", "true"),
    ("marts", "lifecycle_transitions", "as_of_date", "to_stage = 'at_risk'"),
)
DELIVERED = ("loaded", "unchanged", "replaced")


def _outside_count(
    con: duckdb.DuckDBPyConnection, relation: str, day: str, where: str
) -> tuple[int, int, str | None]:
    """(rows checked, rows of an account not in the live book on `day`, an example) over the days
    the status covers (older rows predate the status's 400-day range)."""
    query = f"""
        with checked as (
            select t.account_id, t.{day} as day
            from {relation} as t
            where {where} and t.{day} >= (select min(as_of_date) from {STATUS})
        )
        select
            count(*),
            count(*) filter (where status.account_id is null),
            min(case when status.account_id is null then checked.account_id || ' on '
                || cast(checked.day as varchar) end)
        from checked
        left join {STATUS} as status
            on status.account_id = checked.account_id
            and status.as_of_date = checked.day
            and status.in_live_book
    """
    return con.execute(query).fetchall()[0]


def rows_outside_live_book(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame | None:
    """Per live-book table: rows checked, rows outside the live book, one example (None before
    the status view is built). Alert episodes are judged on the day they opened and, while open,
    on the as-of date."""
    if not table_exists(con, "intermediate", "int_account_status_daily"):
        return None
    rows = []
    for schema, table, day, where in LIVE_BOOK_TABLES:
        if table_exists(con, schema, table):
            rows.append(
                (f"{schema}.{table}", *_outside_count(con, f"{schema}.{table}", day, where))
            )
    if table_exists(con, "marts", "cs_alerts"):
        columns = set(column_names(con, "marts", "cs_alerts"))
        if "opened_on" in columns:
            opened = _outside_count(con, "marts.cs_alerts", "opened_on", "true")
            still_open = _outside_count(
                con,
                f"(select account_id, date '{as_of.isoformat()}' as as_of_day "
                "from marts.cs_alerts where closed_on is null)",
                "as_of_day",
                "true",
            )
            rows.append(("marts.cs_alerts (opened)", *opened))
            rows.append(("marts.cs_alerts (open on the as-of date)", *still_open))
        else:
            rows.append(
                ("marts.cs_alerts", *_outside_count(con, "marts.cs_alerts", "as_of_date", "true"))
            )
    return pl.DataFrame(
        rows,
        schema={"table": pl.String, "rows": pl.Int64, "outside": pl.Int64, "example": pl.String},
        orient="row",
    )


def portfolio_units(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """The sample_unit of the portfolio KPI rows (None: no scorecard)."""
    if not table_exists(con, "marts", "kpi_scorecard"):
        return None
    return read_frame(
        con,
        "select kpi, period_type, sample_unit from marts.kpi_scorecard "
        "where kpi = 'portfolio_mean_health_score'",
    )


def scored_share_by_day(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, lookback_days: int, sources: list[str]
) -> pl.DataFrame | None:
    """Rule 19's days (the as-of date and the `lookback_days` before it, plus the day before the
    first): whether every required source delivered a drop dated that day, the live accounts
    (paying or trialing) and how many of them have a health score."""
    if not (
        table_exists(con, "intermediate", "int_account_status_daily")
        and table_exists(con, "marts", "health_scores_daily")
        and table_exists(con, "audit", "ingest_log")
    ):
        return None
    first = as_of - dt.timedelta(days=lookback_days + 1)
    return read_frame(
        con,
        f"""
        with live as (
            select account_id, as_of_date from {STATUS}
            where as_of_date between ? and ? and customer_status in ('paying', 'trialing')
        ),
        delivered as (
            select drop_date, count(distinct source) as sources
            from audit.ingest_log
            where drop_date between ? and ? and status in (select unnest(?::varchar[]))
                and source in (select unnest(?::varchar[]))
            group by drop_date
        )
        select
            live.as_of_date,
            coalesce(max(delivered.sources), 0) = ? as delivered,
            count(*) as live_accounts,
            count(scores.score) as scored_accounts
        from live
        left join marts.health_scores_daily as scores
            on scores.account_id = live.account_id and scores.as_of_date = live.as_of_date
        left join delivered
            on delivered.drop_date = live.as_of_date
        group by live.as_of_date
        order by live.as_of_date
        """,
        [first, as_of, first, as_of, list(DELIVERED), sources, len(sources)],
    )


def daily_rate_denominator_counts(
    con: duckdb.DuckDBPyConnection, denominators: dict[str, str]
) -> pl.DataFrame | None:
    """Per rate of int_account_daily_metrics (`denominators`: rate → its denominator column), the
    rows and the rows with a value where the denominator is NULL or 0 (None: not built, or a
    column missing)."""
    if not table_exists(con, "intermediate", "int_account_daily_metrics"):
        return None
    present = set(column_names(con, "intermediate", "int_account_daily_metrics"))
    if any(c not in present for pair in denominators.items() for c in pair):
        return None
    rows = []
    for rate, denominator in sorted(denominators.items()):
        total, filled = con.execute(
            f'select count(*), count(*) filter (where "{rate}" is not null '
            f'and coalesce("{denominator}", 0) = 0) '
            "from intermediate.int_account_daily_metrics"
        ).fetchall()[0]
        rows.append((rate, denominator, total, filled))
    return pl.DataFrame(
        rows,
        schema={"rate": pl.String, "denominator": pl.String, "rows": pl.Int64, "filled": pl.Int64},
        orient="row",
    )


def live_book_rows_in_window(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, lookback_days: int
) -> pl.DataFrame | None:
    """Rule 18's rows for the independent side: (table, account_id, day) of every live-book row of
    the as-of date and the `lookback_days` before it, an open alert judged on the as-of date (None:
    no live-book table built)."""
    first = as_of - dt.timedelta(days=lookback_days)
    parts = [
        f"select '{schema}.{table}' as table, account_id, {day} as day from {schema}.{table} "
        f"where {where} and {day} between date '{first}' and date '{as_of}'"
        for schema, table, day, where in LIVE_BOOK_TABLES
        if table_exists(con, schema, table)
    ]
    if table_exists(con, "marts", "cs_alerts") and "opened_on" in column_names(
        con, "marts", "cs_alerts"
    ):
        parts.append(
            "select 'marts.cs_alerts (opened)' as table, account_id, opened_on as day "
            f"from marts.cs_alerts where opened_on between date '{first}' and date '{as_of}'"
        )
        parts.append(
            "select 'marts.cs_alerts (open on the as-of date)' as table, account_id, "
            f"date '{as_of}' as day from marts.cs_alerts where closed_on is null"
        )
    if not parts:
        return None
    return read_frame(con, "select distinct * from (" + " union all ".join(parts) + ")")


def raw_accounts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame | None:
    """The newest raw version up to the as-of date of every account, deleted ones included:
    account_id, stripe_customer_id (None: no raw accounts loaded)."""
    if not table_exists(con, "raw", "app_db__accounts"):
        return None
    return read_frame(
        con,
        """
        select account_id, stripe_customer_id from raw.app_db__accounts
        where _drop_date <= ?
        qualify row_number() over (
            partition by account_id order by _drop_date desc, _loaded_at desc, _line desc) = 1
        """,
        [as_of],
    )


def raw_subscription_versions(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, since: dt.date
) -> pl.DataFrame | None:
    """The raw subscription rows a day from `since` to the as-of date can be judged on: every row
    of the drops dated in that range, and each subscription's newest row before it (None: no raw
    subscriptions loaded)."""
    if not table_exists(con, "raw", "stripe__subscriptions"):
        return None
    return read_frame(
        con,
        """
        select id, customer, status, _drop_date, _line from raw.stripe__subscriptions
        where _drop_date between ? and ?
        union all
        (
            select id, customer, status, _drop_date, _line from raw.stripe__subscriptions
            where _drop_date < ?
            qualify row_number() over (
                partition by id order by _drop_date desc, _loaded_at desc, _line desc) = 1
        )
        """,
        [since, as_of, since],
    )


def read_live_book_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """Rules 18 and 19 and rule 16's daily rates: their evidence by name."""
    covered = rules["r19_delivered_day_covered"]
    # The independent side of rule 18 judges the as-of date and the days before it; the day before
    # the first judged one is read too (a churned account's terminal day).
    lookback = int(rules["r18_live_book"]["lookback_days"])
    return {
        "live_book_rows_in_window": live_book_rows_in_window(con, as_of, lookback),
        "raw_accounts": raw_accounts(con, as_of),
        "raw_subscription_versions": raw_subscription_versions(
            con, as_of, as_of - dt.timedelta(days=lookback + 1)
        ),
        "rows_outside_live_book": rows_outside_live_book(con, as_of),
        "portfolio_units": portfolio_units(con),
        "scored_share_by_day": scored_share_by_day(
            con,
            as_of,
            covered["lookback_days"],
            list(rules["r08_freshness"]["required_sources"]),
        ),
        "daily_rate_denominator_counts": daily_rate_denominator_counts(
            con, rules["r16_no_defaulted_inputs"].get("daily_rate_denominators", {})
        ),
    }
