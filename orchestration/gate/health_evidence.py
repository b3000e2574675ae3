"""The evidence of the health rules (4, 5, 16 and rule 12's health-input part), read from the build
database and the health-score configuration.

Rules 4 and 16 read the health tables a slice of accounts at a time into a `HealthTally`; rule 12
reads only the sampled accounts' rows, and of the event-like tables only the days their windows
reach (the filters run in DuckDB), so the memory needed does not grow with the number of accounts
or events.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from orchestration.config import CONFIG_DIR, load_health_config_mapping
from orchestration.gate.reading import column_names, table_or_none
from orchestration.warehouse_io import read_frame, table_exists
from transforms.gate.health_rules import (
    HealthInputsNotBuilt,
    HealthInputsSample,
    HealthTally,
    tally_health,
)
from transforms.gate.independent_health import HEALTH_INPUTS, HEALTH_LOOKBACK_DAYS
from transforms.gate.results import Absent
from transforms.gate.sampling import sample_accounts

#: Rows of a health table the gate holds at once for rules 4 and 16 (one row per account and day:
#: 3.2M at 10k accounts, ~32M at 100k, so the tables are read a slice of accounts at a time).
HEALTH_ROWS_PER_SLICE = 2_000_000


def _health_frame(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, wanted: list[str], where: str = "true"
) -> pl.DataFrame | None:
    """The columns of a health table that rules 4 and 16 read, for the rows `where` selects.
    features_used_30d, a list, is read as whether it is present: rule 16 asks only that."""
    if not table_exists(con, schema, table):
        return None
    present = set(column_names(con, schema, table))
    columns = [
        'features_used_30d is not null as "features_used_30d"'
        if name == "features_used_30d"
        else f'"{name}"'
        for name in dict.fromkeys(wanted)
        if name in present
    ]
    frame = read_frame(con, f'select {", ".join(columns)} from {schema}."{table}" where {where}')
    # rule 16 reads a missing list as NULL, not False
    if "features_used_30d" in frame.columns:
        frame = frame.with_columns(
            pl.when(pl.col("features_used_30d")).then(True).alias("features_used_30d")
        )
    return frame


def health_tally(
    con: duckdb.DuckDBPyConnection,
    health_config: dict | None,
    rows_per_slice: int = HEALTH_ROWS_PER_SLICE,
) -> HealthTally | None:
    """Rules 4 and 16 over marts.health_scores_daily and intermediate.int_account_daily_metrics, a
    slice of accounts (hash of account_id) at a time, so the memory they take does not grow with
    the number of accounts. None when no health scores are built."""
    if not table_exists(con, "marts", "health_scores_daily"):
        return None
    components = (health_config or {}).get("components", {})
    score_columns = ["account_id", "as_of_date", "coverage", "config_version"] + [
        f"{name}_score" for name in components
    ]
    metric_columns = ["account_id", "as_of_date", "plan", "features_used_30d"] + [
        metric for spec in components.values() for metric in spec["metrics"]
    ]
    with_inputs = health_config is not None and table_exists(
        con, "intermediate", "int_account_daily_metrics"
    )
    window_days = (
        read_frame(con, "select distinct as_of_date from intermediate.int_account_daily_metrics")[
            "as_of_date"
        ]
        if with_inputs
        else None
    )
    rows = con.execute("select count(*) from marts.health_scores_daily").fetchone()[0]
    slices = max(1, -(-rows // rows_per_slice))
    tally = HealthTally()
    for index in range(slices):
        where = f"hash(account_id) % {slices} = {index}"
        scores = _health_frame(con, "marts", "health_scores_daily", score_columns, where)
        metrics = (
            _health_frame(con, "intermediate", "int_account_daily_metrics", metric_columns, where)
            if with_inputs
            else None
        )
        tally.add(tally_health(scores, metrics, health_config, window_days))
    return tally


#: The staged tables rule 12 recomputes the health inputs from.
HEALTH_INPUT_SOURCES = [
    "stg_app_db__accounts_with_deleted",
    "stg_app_db__users",
    "stg_app_db__events",
    "stg_app_db__nps_responses",
    "stg_app_db__cs_activities",
    "stg_ticketing__organizations",
    "stg_ticketing__tickets",
    "stg_ticketing__satisfaction_ratings",
    "stg_stripe__customers",
    "stg_stripe__subscriptions",
    "stg_stripe__invoices",
    "stg_stripe__charges",
    "stg_stripe__subscription_versions",
    "stg_stripe__subscription_item_versions",
]
#: The sampled accounts, as a DuckDB list parameter.
MINE = "(select unnest(?::varchar[]))"


def _window_start(as_of: dt.date, days: int) -> dt.datetime:
    """The first instant of the last `days` days up to the as-of date."""
    return dt.datetime.combine(as_of - dt.timedelta(days=days - 1), dt.time())


def _day_end(as_of: dt.date) -> dt.datetime:
    """Midnight after the as-of date."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())


def _sampled_app_db(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, sample: list[str]
) -> dict[str, pl.DataFrame]:
    """The sampled accounts' rows of the application database within their windows."""
    end = _day_end(as_of)
    return {
        "accounts": read_frame(
            con,
            "select account_id, stripe_customer_id, plan, plan_conversation_limit, created_at "
            f"from staging.stg_app_db__accounts_with_deleted where account_id in {MINE}",
            [sample],
        ),
        # The windows reach back 60 days; the last login may be older (any date up to the day).
        "events": read_frame(
            con,
            "select account_id, user_id, feature_key, event_type, occurred_at "
            f"from staging.stg_app_db__events where account_id in {MINE} and occurred_at < ? "
            "and (occurred_at >= ? or event_type = 'login')",
            [sample, end, _window_start(as_of, HEALTH_LOOKBACK_DAYS["events"])],
        ),
        "nps_responses": read_frame(
            con,
            "select account_id, score, submitted_at from staging.stg_app_db__nps_responses "
            f"where account_id in {MINE} and submitted_at >= ? and submitted_at < ?",
            [sample, _window_start(as_of, HEALTH_LOOKBACK_DAYS["nps"]), end],
        ),
        "cs_activities": read_frame(
            con,
            "select account_id, activity_type, occurred_at from staging.stg_app_db__cs_activities "
            f"where account_id in {MINE} and occurred_at >= ? and occurred_at < ?",
            [sample, _window_start(as_of, HEALTH_LOOKBACK_DAYS["activities"]), end],
        ),
    }


def _sampled_helpdesk(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, sample: list[str]
) -> dict[str, pl.DataFrame]:
    """The sampled accounts' organisations, and their tickets and ratings within the windows."""
    organizations = read_frame(
        con,
        "select organization_id, account_id from staging.stg_ticketing__organizations "
        f"where account_id in {MINE}",
        [sample],
    )
    organization_ids = organizations["organization_id"].to_list()
    ratings = read_frame(
        con,
        """
        select ticket_id, organization_id, rating, created_at
        from staging.stg_ticketing__satisfaction_ratings
        where created_at >= ? and created_at < ?
            and (organization_id in (select unnest(?::bigint[]))
                 or ticket_id in (select ticket_id from staging.stg_ticketing__tickets
                                  where organization_id in (select unnest(?::bigint[]))))
        """,
        [
            _window_start(as_of, HEALTH_LOOKBACK_DAYS["tickets"]),
            _day_end(as_of),
            organization_ids,
            organization_ids,
        ],
    )
    tickets = read_frame(
        con,
        "select ticket_id, organization_id, created_at, solved_at, priority, is_escalated "
        "from staging.stg_ticketing__tickets where organization_id in (select unnest(?::bigint[])) "
        "or ticket_id in (select unnest(?::bigint[]))",
        [organization_ids, ratings["ticket_id"].to_list()],
    )
    return {"organizations": organizations, "tickets": tickets, "ratings": ratings}


def _sampled_stripe(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, customers: list[str]
) -> dict[str, pl.DataFrame]:
    """The sampled accounts' Stripe customers, charges within the window, and every version of
    their subscriptions and subscription items."""
    subscriptions = read_frame(
        con,
        "select subscription_id, customer_id, status, created_at, started_at, ended_at, trial_end_at, "
        "valid_from_drop, valid_to_drop from staging.stg_stripe__subscription_versions "
        "where subscription_id in ("
        "select subscription_id from staging.stg_stripe__subscription_versions "
        "where customer_id in (select unnest(?::varchar[])))",
        [customers],
    )
    return {
        "stripe_customers": read_frame(
            con,
            "select customer_id from staging.stg_stripe__customers "
            "where customer_id in (select unnest(?::varchar[]))",
            [customers],
        ),
        "charges": read_frame(
            con,
            "select customer_id, status, created_at from staging.stg_stripe__charges "
            "where customer_id in (select unnest(?::varchar[])) and created_at >= ? and created_at < ?",
            [customers, _window_start(as_of, HEALTH_LOOKBACK_DAYS["charges"]), _day_end(as_of)],
        ),
        "subscriptions": subscriptions,
        "items": read_frame(
            con,
            "select subscription_id, recurring_interval, recurring_interval_count, valid_from_drop, "
            "valid_to_drop from staging.stg_stripe__subscription_item_versions "
            "where subscription_id in (select unnest(?::varchar[]))",
            [subscriptions["subscription_id"].unique().to_list()],
        ),
    }


def _covered_through(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dt.date | None]:
    """The newest drop each source delivered up to `as_of` (audit.ingest_log: a file loaded,
    unchanged or replaced, whatever it held: metrics.md "coverage"), and the first Stripe drop."""

    def through(source: str) -> dt.date | None:
        return con.execute(
            "select max(drop_date) from audit.ingest_log where source = ? and drop_date <= ? "
            "and status in ('loaded', 'unchanged', 'replaced')",
            [source, as_of],
        ).fetchall()[0][0]

    return {
        "app_db": through("app_db"),
        "stripe": through("stripe"),
        "ticketing": through("ticketing"),
        "stripe_first_drop": con.execute(
            "select min(valid_from_drop) from staging.stg_stripe__subscription_versions"
        ).fetchall()[0][0],
    }


def health_inputs_sample(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, sample_size: int
) -> HealthInputsSample | HealthInputsNotBuilt | Absent:
    """Rule 12's health evidence: the seeded sample of accounts with inputs on the as-of day,
    their published inputs and their staged rows; Absent while the inputs, a staged table or ten
    accounts are missing."""
    if not table_exists(con, "intermediate", "int_account_daily_metrics"):
        return Absent("no health inputs built yet")
    absent = [
        f"staging.{name}" for name in HEALTH_INPUT_SOURCES if not table_exists(con, "staging", name)
    ]
    if absent:
        return Absent(f"absent: {', '.join(absent)}")
    accounts = [
        row[0]
        for row in con.execute(
            "select account_id from intermediate.int_account_daily_metrics where as_of_date = ?",
            [as_of],
        ).fetchall()
    ]
    if len(accounts) < 10:
        return Absent("fewer than 10 accounts with inputs")
    sample = sample_accounts(accounts, as_of, sample_size)
    present = set(column_names(con, "intermediate", "int_account_daily_metrics"))
    missing = [c for c in HEALTH_INPUTS if c not in present]
    if missing:
        return HealthInputsNotBuilt(tuple(missing))
    published = read_frame(
        con,
        "select account_id, "
        + ", ".join(
            f'"{c}"'
            if c in ("plan", "subscription_state", "features_used_30d")
            else f'cast("{c}" as double) as "{c}"'
            for c in HEALTH_INPUTS
        )
        + " from intermediate.int_account_daily_metrics "
        "where as_of_date = ? and account_id in (select unnest(?::varchar[]))",
        [as_of, sample],
    )
    app_db = _sampled_app_db(con, as_of, sample)
    customers = [c for c in app_db["accounts"]["stripe_customer_id"].to_list() if c is not None]
    return HealthInputsSample(
        sample=sample,
        published=published,
        **app_db,
        **_sampled_helpdesk(con, as_of, sample),
        **_sampled_stripe(con, as_of, customers),
        covered_through=_covered_through(con, as_of),
    )


def read_health_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """The health rules' evidence by name: the health-score configuration as written (rule 4's
    `config_file`), the tally of the health tables (rules 4 and 16), the calibration runs (rule
    5) and rule 12's sample of health inputs."""
    health_config = load_health_config_mapping(
        CONFIG_DIR / rules["r04_health_weights"]["config_file"]
    )
    return {
        "health_config": health_config,
        "health_tally": health_tally(con, health_config),
        "health_calibration": table_or_none(con, "audit", "health_calibration"),
        "health_inputs_sample": health_inputs_sample(
            con, as_of, rules["r12_sample_verification"]["sample_size"]
        ),
    }
