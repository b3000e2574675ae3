"""The publish gate: every implemented rule of validation.md as a blocking asset check before publish.

The `audit/gate` asset runs after every model; its checks are part of the same step, so they cannot be
left out of a run that reaches publish. Results go to audit.check_results (published with the marts).
"""

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import yaml

from orchestration.config import CONFIG_DIR
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, table_exists
from transforms import validation
from transforms.validation import RuleResult

GATE_KEY = dg.AssetKey(["audit", "gate"])
RULES = {
    "r01_nps_formula": "NPS formula correct, recomputed independently (validation rule 1)",
    "r02_churn_method_documented": "Churn method and metric definitions documented; MRR identity (rule 2)",
    "r03_cohort_coverage": "Retention cohorts account for every paying customer once (rule 3)",
    "r04_health_weights": "Health-score factors and weights documented (rule 4)",
    "r05_health_calibration": "Health score calibrated monthly (rule 5)",
    "r06_revenue_source": "Published revenue reconciles to Stripe (rule 6)",
    "r07_cross_source": "Cross-source reconciliation (rule 7)",
    "r08_freshness": "Data freshness < 24 h (validation rule 8)",
    "r09_nps_sample_size": "Never report NPS with n < 30 (rule 9)",
    "r10_response_rate": "Survey response rate (rule 10)",
    "r11_nothing_lost": "Numbers reconciled with the source; nothing lost (validation rule 11)",
    "r12_sample_verification": "Independent recomputation of 10+ accounts and monthly totals (rule 12)",
    "r13_outliers_investigated": "Outliers listed in audit.anomalies and reviewed (rule 13)",
    "r14_confidence_intervals": "Sample-based rates carry confidence intervals (rule 14)",
    "r15_period_comparison": "KPI rows carry period bounds and the previous value (rule 15)",
    "r16_no_defaulted_inputs": "No metric computed from a defaulted input (rule 16)",
    "r17_personal_data": "Personal data stays out of published marts (validation rule 17)",
}
GX_CHECK = "gx_suites"


def load_gate_config(path: Path = CONFIG_DIR / "validation.yml") -> dict:
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the gate's thresholds: {exc}") from exc
    missing = sorted(set(RULES) - set(config.get("rules", {})))
    if missing:
        raise ValueError(f"{path}: no thresholds for rules {', '.join(missing)}")
    return config


def _table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> pl.DataFrame | None:
    if not table_exists(con, schema, name):
        return None
    return read_frame(con, f'select * from {schema}."{name}"')


def email_hits(con: duckdb.DuckDBPyConnection, schemas: list[str]) -> pl.DataFrame:
    """Rows per published text column whose value holds an e-mail address."""
    columns = con.execute(
        """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in (select unnest(?::varchar[])) and data_type = 'VARCHAR'
        order by 1, 2, 3
        """,
        [schemas],
    ).fetchall()
    rows = []
    for schema, table, column in columns:
        count = con.execute(
            f'select count(*) from {schema}."{table}" where regexp_matches("{column}", ?)',
            [validation.EMAIL_PATTERN],
        ).fetchall()[0][0]
        rows.append({"table": f"{schema}.{table}", "column": column, "rows": count})
    return pl.DataFrame(rows, schema={"table": pl.String, "column": pl.String, "rows": pl.Int64})


def _columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [row[0] for row in rows]


def metric_columns_from_manifest(built: set[str]) -> list[str]:
    """Every "model.column" marked `meta: {metric: true}` in the dbt yml (from the parsed manifest),
    among the built columns `built` ("schema.table.column": a column not built is not published)."""
    from orchestration.assets.dbt import ensure_manifest

    manifest = json.loads(ensure_manifest().read_text())
    found = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        name = node.get("alias") or node["name"]
        for column, spec in node.get("columns", {}).items():
            if f"{node['schema']}.{name}.{column}" not in built:
                continue
            meta = {**(spec.get("meta") or {}), **((spec.get("config") or {}).get("meta") or {})}
            if meta.get("metric") is True:
                found.append(f"{name}.{column}")
    return sorted(found)


def events_added_after(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The drop date after which the events' latest build added rows when that build was
    incremental (macros/incremental_events.sql), else None: the build re-derived every event."""
    if not table_exists(con, "staging", "stg_app_db__events__built"):
        return None
    if "added_after" not in _columns(con, "staging", "stg_app_db__events__built"):
        return None
    row = con.execute(
        "select build_mode, added_after from staging.stg_app_db__events__built"
    ).fetchone()
    return row[1] if row and row[0] == "incremental" else None


def staged_vs_raw_counts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Rows of each staging model against its raw table's distinct keys up to the as-of date (a key
    whose newest row carries deleted_at was deleted at the source: staging leaves it out, not lost).

    After an incremental build of the events, their comparison covers the event ids that build
    added (the ids in the raw drops dated after the build before it), the only staged rows it
    changed: ranking every raw event again each day cost as much as the build it checks."""
    from data_contracts.raw_tables import RAW_TABLES

    added_after = events_added_after(con)
    rows = []
    for raw_name, table in sorted(RAW_TABLES.items()):
        source, entity = raw_name.split("__", 1)
        model = f"stg_{source}__{entity}"
        if not table_exists(con, "staging", model) or not table_exists(con, "raw", raw_name):
            continue
        key = ", ".join(f'"{column}"' for column in table.key)
        label, scope, staged_scope, params = f"raw.{raw_name}", "", "", [as_of]
        if raw_name == "app_db__events" and added_after is not None:
            touched = (
                "select event_id from raw.app_db__events "
                f"where _drop_date > date '{added_after}' and _drop_date <= date '{as_of}'"
            )
            label = f"raw.{raw_name} (event ids in the drops after {added_after})"
            scope = f" and event_id in ({touched})"
            staged_scope = f" where event_id in ({touched})"
        if any(name == "deleted_at" for name, _, _ in table.all_columns):
            query = (
                f"select count(*) from (select deleted_at, row_number() over (partition by {key} "
                "order by _drop_date desc, _line desc) as newest "
                f"from raw.{raw_name} where _drop_date <= ?{scope}) "
                "where newest = 1 and deleted_at is null"
            )
        else:
            query = (
                f"select count(*) from (select distinct {key} from raw.{raw_name} "
                f"where _drop_date <= ?{scope})"
            )
        deduplicated = con.execute(query, params).fetchall()[0][0]
        staged = con.execute(f"select count(*) from staging.{model}{staged_scope}").fetchall()[0][0]
        rows.append(
            {
                "raw_table": label,
                "staging_model": model,
                "raw_deduplicated": deduplicated,
                "staged": staged,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "raw_table": pl.String,
            "staging_model": pl.String,
            "raw_deduplicated": pl.Int64,
            "staged": pl.Int64,
        },
    )


def _read_yaml(path: Path) -> dict | list | None:
    if not path.exists():
        return None
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc


def cross_source_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Rule 7's categories as (records in discrepancy, comparable records)."""
    categories: dict[str, tuple[int, int]] = {}
    if table_exists(con, "marts", "dim_accounts"):
        row = con.execute(
            """
            select
                count(*) filter (where stripe_customer_id is not null and not has_account
                                 and not coalesce(is_deleted_in_stripe, false)),
                count(*) filter (where stripe_customer_id is not null
                                 and not coalesce(is_deleted_in_stripe, false)),
                count(*) filter (where has_account and stripe_customer_id is not null
                                 and not is_known_to_stripe),
                count(*) filter (where has_account and stripe_customer_id is not null),
                count(*) filter (where has_account and billed_plan is not null and plan is distinct from billed_plan),
                count(*) filter (where has_account and billed_plan is not null)
            from marts.dim_accounts
            """
        ).fetchall()[0]
        categories["stripe customers with no account"] = (row[0], row[1])
        categories["accounts with a stripe_customer_id unknown to Stripe"] = (row[2], row[3])
        categories["plan in the database ≠ plan billed"] = (row[4], row[5])
    # An organisation whose account was deleted at the source had an account: it is history, not a
    # discrepancy. Account versions hold every account seen up to the as-of date, deleted ones too.
    accounts = (
        "stg_app_db__account_versions"
        if table_exists(con, "staging", "stg_app_db__account_versions")
        else "stg_app_db__accounts"
    )
    if table_exists(con, "staging", "stg_ticketing__organizations") and table_exists(
        con, "staging", accounts
    ):
        org_columns = _columns(con, "staging", "stg_ticketing__organizations")
        if "account_id" in org_columns:
            row = con.execute(
                f"""
                select count(*) filter (where not exists (
                           select 1 from staging.{accounts} a where a.account_id = o.account_id
                       )),
                       count(*)
                from staging.stg_ticketing__organizations o
                """
            ).fetchall()[0]
            categories["ticket organisations with no account"] = (row[0], row[1])
    return categories


def independent_revenue_check(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, sample_size: int
) -> list[RuleResult]:
    """Rule 12 on revenue: every month's MRR per customer recomputed in Polars from staging (months
    on or after the first drop from the versions, earlier ones from invoice history, metered items
    from their last invoiced amount), against the dbt intermediate and the mart: totals and churn
    counts of every month, the seeded sample in every month."""
    rule = "r12_sample_verification"
    needed = [
        ("staging", "stg_stripe__subscription_versions"),
        ("staging", "stg_stripe__subscription_item_versions"),
        ("staging", "stg_stripe__subscription_items"),
        ("staging", "stg_stripe__subscription_discount_versions"),
        ("staging", "stg_stripe__customer_discount_versions"),
        ("staging", "stg_stripe__coupons"),
        ("staging", "stg_stripe__invoices"),
        ("staging", "stg_stripe__invoice_lines"),
        ("staging", "stg_fx_rates__fx_rates"),
        ("intermediate", "int_customer_mrr_monthly"),
        ("marts", "mrr_monthly"),
    ]
    absent = [f"{s}.{n}" for s, n in needed if not table_exists(con, s, n)]
    if absent:
        return [
            validation.not_applicable(rule, "marts.mrr_monthly", f"absent: {', '.join(absent)}")
        ]
    currencies = con.execute("select distinct reporting_currency from marts.mrr_monthly").fetchall()
    if len(currencies) != 1:
        return [
            validation.not_applicable(
                rule, "marts.mrr_monthly", f"{len(currencies)} reporting currencies, expected one"
            )
        ]
    subscriptions = read_frame(
        con,
        "select subscription_id, customer_id, status, started_at, ended_at, trial_end_at, "
        "valid_from_drop, valid_to_drop from staging.stg_stripe__subscription_versions",
    )
    first_drop = subscriptions["valid_from_drop"].min()
    first_start = subscriptions["started_at"].min()
    if first_drop is None or first_start is None:
        return [validation.not_applicable(rule, "marts.mrr_monthly", "no staged Stripe versions")]
    items = read_frame(
        con,
        "select subscription_id, subscription_item_id, quantity, "
        "coalesce(cast(unit_amount as double), cast(unit_amount_decimal as double)) as unit_amount, "
        "recurring_interval, recurring_interval_count, recurring_usage_type, currency, "
        "valid_from_drop, valid_to_drop from staging.stg_stripe__subscription_item_versions",
    )
    discounts = pl.concat(
        [
            read_frame(
                con,
                f"""
                select d.parent_object, d.parent_id,
                       cast(coalesce(d.coupon_percent_off, c.percent_off) as double) as percent_off,
                       cast(coalesce(d.coupon_amount_off, c.amount_off) as double) as amount_off,
                       coalesce(d.coupon_duration, c.duration) as duration,
                       cast(coalesce(d.coupon_duration_in_months, c.duration_in_months) as bigint)
                           as duration_in_months,
                       d.started_at, d.ends_at, d.valid_from_drop, d.valid_to_drop
                from staging.{model} d
                left join staging.stg_stripe__coupons c on c.coupon_id = d.coupon_id
                """,
            )
            for model in (
                "stg_stripe__subscription_discount_versions",
                "stg_stripe__customer_discount_versions",
            )
        ]
    )
    invoice_lines = validation.independent_invoice_line_mrr(
        read_frame(
            con,
            "select invoice_id, subscription_id, status, created_at from staging.stg_stripe__invoices",
        ),
        read_frame(
            con,
            "select invoice_line_id, invoice_id, subscription_id, subscription_item_id, price_id, "
            "line_type, is_proration, recurring_interval, recurring_interval_count, currency, "
            "amount, discount_amount, period_start_at, period_end_at "
            "from staging.stg_stripe__invoice_lines",
        ),
        read_frame(
            con,
            "select subscription_item_id, recurring_interval, recurring_interval_count "
            "from staging.stg_stripe__subscription_items",
        ),
    )
    fx = read_frame(
        con,
        "select rate_date, currency, cast(rate_to_reporting as double) as rate_to_reporting "
        "from staging.stg_fx_rates__fx_rates",
    )
    # Every month from the first subscription's start to the as-of month, valued at its last day
    # (the as-of month at the as-of date).
    valuations: list[tuple[dt.date, dt.date]] = []
    month_start = first_start.date().replace(day=1)
    while month_start <= as_of:
        next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
        valuations.append((month_start, min(next_month - dt.timedelta(days=1), as_of)))
        month_start = next_month
    recomputed = {
        month: validation.independent_mrr(
            subscriptions,
            items,
            discounts,
            invoice_lines,
            fx,
            valuation,
            first_drop,
            currencies[0][0],
        )
        for month, valuation in valuations
    }
    as_of_month = as_of.replace(day=1)
    as_of_paying = recomputed[as_of_month].filter(
        ~pl.col("missing_rate") & (pl.col("mrr_minor") > 0)
    )
    sample = validation.sample_accounts(as_of_paying["customer_id"].to_list(), as_of, sample_size)
    intermediate_all = read_frame(
        con,
        "select month, customer_id, cast(mrr_minor as double) as mrr_minor "
        "from intermediate.int_customer_mrr_monthly",
    )
    published_all = read_frame(
        con,
        "select month, stripe_customer_id as customer_id, mrr from marts.mrr_monthly "
        "where stripe_customer_id is not null",
    )
    churned_by_month = (
        dict(con.execute("select month, logos_churned from marts.mrr_movements_monthly").fetchall())
        if table_exists(con, "marts", "mrr_movements_monthly")
        else {}
    )
    results: list[RuleResult] = []
    previous: set[str] = set()
    for this_month, _ in valuations:
        independent = recomputed[this_month]
        paying_now = set(independent.filter(pl.col("mrr_minor") > 0.5)["customer_id"])
        churned_published = churned_by_month.get(this_month)
        results += validation.sample_verification(
            independent,
            intermediate_all.filter(pl.col("month") == this_month).drop("month"),
            published_all.filter(pl.col("month") == this_month).drop("month"),
            None if churned_published is None else int(churned_published),
            None if churned_published is None else len(previous - paying_now),
            sample,
            this_month,
            min_sample=10,
        )
        previous = paying_now
    return results


def independent_health_check(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, sample_size: int
) -> list[RuleResult]:
    """Rule 12 on health inputs: the sampled accounts' inputs of the as-of day recomputed in Polars
    from staging. Only the sampled accounts' rows are read, and of the event-like tables only the
    days their windows reach (the filters run in DuckDB), so the memory needed does not grow with
    the number of accounts or events."""
    rule = "r12_sample_verification"
    target = "intermediate.int_account_daily_metrics sample"
    if not table_exists(con, "intermediate", "int_account_daily_metrics"):
        return [validation.not_applicable(rule, target, "no health inputs built yet")]
    needed = [
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
    absent = [f"staging.{name}" for name in needed if not table_exists(con, "staging", name)]
    if absent:
        return [validation.not_applicable(rule, target, f"absent: {', '.join(absent)}")]
    accounts = [
        row[0]
        for row in con.execute(
            "select account_id from intermediate.int_account_daily_metrics where as_of_date = ?",
            [as_of],
        ).fetchall()
    ]
    if len(accounts) < 10:
        return [validation.not_applicable(rule, target, "fewer than 10 accounts with inputs")]
    sample = validation.sample_accounts(accounts, as_of, sample_size)
    present = set(_columns(con, "intermediate", "int_account_daily_metrics"))
    missing = [c for c in validation.HEALTH_INPUTS if c not in present]
    if missing:
        return [
            validation.RuleResult(
                rule,
                f"{target}, {as_of}",
                "fail",
                f"columns absent: {', '.join(missing)}",
                "error on any mismatch",
                "int_account_daily_metrics lacks inputs rule 12 verifies",
            )
        ]
    published = read_frame(
        con,
        "select account_id, "
        + ", ".join(
            f'"{c}"'
            if c in ("plan", "subscription_state", "features_used_30d")
            else f'cast("{c}" as double) as "{c}"'
            for c in validation.HEALTH_INPUTS
        )
        + " from intermediate.int_account_daily_metrics "
        "where as_of_date = ? and account_id in (select unnest(?::varchar[]))",
        [as_of, sample],
    )

    def since(days: int) -> dt.datetime:
        return dt.datetime.combine(as_of - dt.timedelta(days=days - 1), dt.time())

    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    mine = "(select unnest(?::varchar[]))"
    account_rows = read_frame(
        con,
        "select account_id, stripe_customer_id, plan, plan_conversation_limit, created_at "
        f"from staging.stg_app_db__accounts_with_deleted where account_id in {mine}",
        [sample],
    )
    customers = [c for c in account_rows["stripe_customer_id"].to_list() if c is not None]
    organizations = read_frame(
        con,
        "select organization_id, account_id from staging.stg_ticketing__organizations "
        f"where account_id in {mine}",
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
            since(validation.HEALTH_LOOKBACK_DAYS["tickets"]),
            end,
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
    # The windows reach back 60 days; the last login may be older (any date up to the day).
    events = read_frame(
        con,
        "select account_id, user_id, feature_key, event_type, occurred_at "
        f"from staging.stg_app_db__events where account_id in {mine} and occurred_at < ? "
        "and (occurred_at >= ? or event_type = 'login')",
        [sample, end, since(validation.HEALTH_LOOKBACK_DAYS["events"])],
    )
    subscriptions = read_frame(
        con,
        "select subscription_id, customer_id, status, created_at, started_at, ended_at, trial_end_at, "
        "valid_from_drop, valid_to_drop from staging.stg_stripe__subscription_versions "
        "where subscription_id in ("
        "select subscription_id from staging.stg_stripe__subscription_versions "
        "where customer_id in (select unnest(?::varchar[])))",
        [customers],
    )

    def through(*models: str) -> dt.date | None:
        dates = [
            con.execute(f"select max(source_drop_date) from staging.{model}").fetchall()[0][0]
            for model in models
        ]
        return max((d for d in dates if d is not None), default=None)

    independent = validation.independent_health_inputs(
        as_of,
        account_rows,
        organizations,
        tickets,
        ratings,
        events,
        read_frame(
            con,
            "select account_id, score, submitted_at from staging.stg_app_db__nps_responses "
            f"where account_id in {mine} and submitted_at >= ? and submitted_at < ?",
            [sample, since(validation.HEALTH_LOOKBACK_DAYS["nps"]), end],
        ),
        read_frame(
            con,
            "select account_id, activity_type, occurred_at from staging.stg_app_db__cs_activities "
            f"where account_id in {mine} and occurred_at >= ? and occurred_at < ?",
            [sample, since(validation.HEALTH_LOOKBACK_DAYS["activities"]), end],
        ),
        read_frame(
            con,
            "select customer_id from staging.stg_stripe__customers "
            "where customer_id in (select unnest(?::varchar[]))",
            [customers],
        ),
        read_frame(
            con,
            "select customer_id, status, created_at from staging.stg_stripe__charges "
            "where customer_id in (select unnest(?::varchar[])) and created_at >= ? and created_at < ?",
            [customers, since(validation.HEALTH_LOOKBACK_DAYS["charges"]), end],
        ),
        subscriptions,
        read_frame(
            con,
            "select subscription_id, recurring_interval, recurring_interval_count, valid_from_drop, "
            "valid_to_drop from staging.stg_stripe__subscription_item_versions "
            "where subscription_id in (select unnest(?::varchar[]))",
            [subscriptions["subscription_id"].unique().to_list()],
        ),
        {
            "app_db": through(
                "stg_app_db__accounts_with_deleted", "stg_app_db__events", "stg_app_db__users"
            ),
            "stripe": through(
                "stg_stripe__customers", "stg_stripe__subscriptions", "stg_stripe__invoices"
            ),
            "ticketing": through("stg_ticketing__tickets", "stg_ticketing__organizations"),
            "stripe_first_drop": con.execute(
                "select min(valid_from_drop) from staging.stg_stripe__subscription_versions"
            ).fetchall()[0][0],
        },
    )
    return validation.health_inputs_verification(independent, published, sample, as_of)


def raw_duplicate_ids(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Ids delivered more than once in one drop (raw tables with a one-column key), for the drops
    dated up to the as-of date. A drop's duplicates cannot change once it is loaded, so they are
    kept in gate_state.raw_duplicate_ids, with each drop's row count and newest _loaded_at in
    gate_state.raw_duplicate_scans, and searched again only in the drops that are new, loaded again
    (ingest replaces a re-delivered drop's rows) or gone: grouping every raw event by id each day
    grew with the history (BENCHMARKS.md)."""
    from data_contracts.raw_tables import RAW_TABLES

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
            _columns(con, "staging", model)
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
        columns = _columns(con, "staging", "stg_app_db__events")
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
    anomalies = validation.detect_anomalies(
        mrr,
        negative_amounts,
        usage,
        duplicate_ids,
        settings["mrr_change_robust_z"],
        settings["usage_spike_ratio"],
        settings["usage_spike_min_events"],
    )
    return validation.close_annotated(anomalies, annotations).with_columns(as_of_date=pl.lit(as_of))


def _tables(con: duckdb.DuckDBPyConnection, names: set[str]) -> dict[str, pl.DataFrame]:
    """The published tables among `names` ("schema.table") that exist in the build database."""
    found = {}
    for name in sorted(names):
        schema, table = name.split(".", 1)
        if table_exists(con, schema, table):
            found[name] = read_frame(con, f'select * from {schema}."{table}"')
    return found


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
    present = set(_columns(con, schema, table))
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
) -> validation.HealthTally | None:
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
    tally = validation.HealthTally()
    for index in range(slices):
        where = f"hash(account_id) % {slices} = {index}"
        scores = _health_frame(con, "marts", "health_scores_daily", score_columns, where)
        metrics = (
            _health_frame(con, "intermediate", "int_account_daily_metrics", metric_columns, where)
            if with_inputs
            else None
        )
        tally.add(validation.tally_health(scores, metrics, health_config, window_days))
    return tally


def evaluate_rules(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, config: dict
) -> list[RuleResult]:
    """Run every rule against the build database as of a date (and write audit.anomalies)."""
    rules = config["rules"]
    ingest_log = _table(con, "audit", "ingest_log")
    results: list[RuleResult] = []

    # Rule 1: NPS recomputed by a second implementation (transforms.validation_nps) against the mart.
    nps_summary = _table(con, "marts", "nps_summary")
    independent_nps = _table(con, "audit", "nps_independent_check")
    try:
        from transforms import validation_nps
    except ImportError:
        validation_nps = None
    if nps_summary is None:
        results.append(
            validation.not_applicable(
                "r01_nps_formula", "marts.nps_summary", "no NPS summary built"
            )
        )
    elif independent_nps is None or validation_nps is None:
        results.append(
            validation.not_applicable(
                "r01_nps_formula", "marts.nps_summary", "no independent NPS recomputation available"
            )
        )
    else:
        results += validation_nps.nps_formula(nps_summary, independent_nps)

    registry = _table(con, "audit", "metric_registry")
    results += validation.churn_method_documented(
        metric_columns_from_manifest(
            {
                ".".join(row)
                for row in con.execute(
                    "select table_schema, table_name, column_name from information_schema.columns"
                ).fetchall()
            }
        ),
        set() if registry is None else set(registry["name"].to_list()),
        _table(con, "marts", "revenue_retention_monthly"),
        _table(con, "marts", "mrr_movements_monthly"),
    )
    mrr_monthly = _table(con, "marts", "mrr_monthly")
    results += validation.cohorts_consistent(mrr_monthly, _table(con, "marts", "revenue_cohorts"))

    health_config = _read_yaml(CONFIG_DIR / rules["r04_health_weights"]["config_file"])
    health = health_tally(con, health_config)
    results += validation.health_weights_documented(health_config, health)
    calibration = rules["r05_health_calibration"]
    results += validation.health_calibration(
        _table(con, "audit", "health_calibration"),
        as_of,
        calibration["warn_months_over"],
        calibration["error_months_over"],
        calibration["min_auc"],
    )

    if mrr_monthly is not None and table_exists(con, "intermediate", "int_customer_mrr_monthly"):
        published_by_month = read_frame(
            con, "select month, mrr_end as mrr from marts.mrr_movements_monthly"
        )
        stripe_by_month = read_frame(
            con,
            "select month, sum(round(mrr_minor / 100, 2)) as mrr "
            "from intermediate.int_customer_mrr_monthly group by month",
        )
        unknown = read_frame(
            con,
            """
            select distinct m.stripe_customer_id from marts.mrr_monthly m
            where m.mrr > 0 and m.stripe_customer_id not in
                (select customer_id from staging.stg_stripe__customers)
            """,
        )["stripe_customer_id"].to_list()
        results += validation.revenue_from_stripe(published_by_month, stripe_by_month, unknown)
    else:
        results += validation.revenue_from_stripe(None, None, [])

    cross = rules["r07_cross_source"]
    results += validation.cross_source(
        cross_source_counts(con), cross["warn_share_over"], cross["error_share_over"]
    )

    if ingest_log is None:
        for rule in ("r08_freshness", "r11_nothing_lost"):
            results.append(validation.not_applicable(rule, "all sources", "nothing ingested"))
    else:
        fresh = rules["r08_freshness"]
        results += validation.freshness(
            ingest_log,
            as_of,
            fresh["required_sources"],
            fresh["warn_hours_over"],
            fresh["error_hours_over"],
        )
        results += validation.nothing_lost(
            ingest_log, as_of, rules["r11_nothing_lost"]["warn_on_any_quarantine"]
        )
        results += validation.staged_counts(staged_vs_raw_counts(con, as_of))

    sample = rules["r09_nps_sample_size"]
    results += validation.nps_sample_size(
        nps_summary,
        sample["error_responses_under"],
        sample["warn_responses_under"],
        sample["warn_quarter_responses_under"],
    )
    rate = rules["r10_response_rate"]
    results += validation.survey_response_rate(
        nps_summary, rate["min_sends"], rate["error_rate_under"], rate["warn_rate_under"]
    )

    results += independent_revenue_check(
        con, as_of, rules["r12_sample_verification"]["sample_size"]
    )
    results += independent_health_check(con, as_of, rules["r12_sample_verification"]["sample_size"])

    outliers = rules["r13_outliers_investigated"]
    annotations = _read_yaml(CONFIG_DIR / outliers["annotations_file"]) or {}
    anomalies = build_anomalies(con, as_of, outliers, annotations.get("annotations") or [])
    con.execute("create schema if not exists audit")
    con.register("anomalies_frame", anomalies.to_arrow())
    con.execute("create or replace table audit.anomalies as select * from anomalies_frame")
    con.unregister("anomalies_frame")
    results += validation.outliers_investigated(anomalies)

    intervals = rules["r14_confidence_intervals"]["rates"]
    periods = rules["r15_period_comparison"]["tables"]
    defaults = rules["r16_no_defaulted_inputs"]["rate_inputs"]
    published = _tables(
        con,
        {name.rsplit(".", 1)[0] for name in [*intervals, *defaults]} | set(periods),
    )
    results += validation.confidence_intervals(published, intervals)
    results += validation.period_comparison(published, periods)
    results += validation.no_defaulted_inputs(published, defaults, health, None, health_config)
    results += validation.personal_data(email_hits(con, rules["r17_personal_data"]["schemas"]))
    return results


def record_results(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date, results: list[RuleResult]
) -> None:
    """Replace this run's rows in audit.check_results."""
    con.execute("create schema if not exists audit")
    con.execute(
        """
        create table if not exists audit.check_results (
            run_id varchar, as_of_date date, rule varchar, target varchar, status varchar, severity varchar,
            observed_value varchar, threshold varchar, message varchar, checked_at timestamp
        )
        """
    )
    con.execute("delete from audit.check_results where run_id = ?", [run_id])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.executemany(
        "insert into audit.check_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                as_of,
                r.rule,
                r.target,
                r.status,
                "ERROR" if r.status == "fail" else "WARN" if r.status == "warn" else None,
                r.observed,
                r.threshold,
                r.message,
                now,
            ]
            for r in results
        ],
    )


def run_gx_suites(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date, published_db: Path
) -> RuleResult:
    """Validate the tables to publish with the Great Expectations suites; write audit.gx_results and
    audit.gx_report (the offline HTML fragment) for this run."""
    # Imported here: Great Expectations takes seconds to import.
    from data_contracts.gx_suites import published_row_counts, validate_published_tables

    previous_counts: dict[str, int] | None = None
    if published_db.exists():
        with duckdb.connect(str(published_db), read_only=True) as published:
            last = (
                published.execute("select max(as_of_date) from audit.publications").fetchall()[0][0]
                if table_exists(published, "audit", "publications")
                else None
            )
        # Row counts compare with the last publication only when this run moves forward from it.
        if last is None or as_of >= last:
            previous_counts = published_row_counts(published_db)
    report = validate_published_tables(con, previous_counts=previous_counts)
    frame = report.to_frame().with_columns(run_id=pl.lit(run_id), as_of_date=pl.lit(as_of))
    con.execute("create schema if not exists audit")
    con.register("gx_frame", frame.to_arrow())
    con.execute("create table if not exists audit.gx_results as select * from gx_frame where false")
    con.execute("delete from audit.gx_results where run_id = ?", [run_id])
    con.execute("insert into audit.gx_results by name select * from gx_frame")
    con.unregister("gx_frame")
    con.execute("create table if not exists audit.gx_report (run_id varchar, html varchar)")
    con.execute("delete from audit.gx_report where run_id = ?", [run_id])
    con.execute("insert into audit.gx_report values (?, ?)", [run_id, report.to_html()])
    failures = report.failures
    failed_tables = sorted({f.table for f in failures})
    figures = [f"{f.table} {f.expectation}({f.column or ''}): {f.observed}" for f in failures[:3]]
    return RuleResult(
        GX_CHECK,
        ", ".join(failed_tables) if failed_tables else "published tables",
        "pass" if report.success else "fail",
        f"{len(failures)} failed expectations over {len(report.tables)} tables"
        + (f": {'; '.join(figures)}" if figures else ""),
        "error on any failed expectation",
        "Great Expectations suites failed (see audit.gx_results)"
        if failures
        else "every suite passed",
    )


def build_gate_asset(
    partitions_def: dg.PartitionsDefinition, upstream: list[dg.AssetsDefinition]
) -> dg.AssetsDefinition:
    deps = [key for assets_def in upstream for key in assets_def.keys]

    @dg.asset(
        key=GATE_KEY,
        deps=deps,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="audit",
        kinds={"duckdb", "polars"},
        pool="duckdb_writer",
        check_specs=[
            dg.AssetCheckSpec(name, asset=GATE_KEY, description=description, blocking=True)
            for name, description in {
                **RULES,
                GX_CHECK: "Great Expectations suites on the tables to publish",
            }.items()
        ],
        description="The publish gate's evidence: every implemented validation rule evaluated as of the run's "
        "date and recorded in audit.check_results; an ERROR blocks publish.",
    )
    def gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_gate_config()
        with warehouse.connect() as con:
            results = evaluate_rules(con, as_of, config)
            results.append(
                run_gx_suites(con, context.run_id, as_of, warehouse.settings.published_db)
            )
            record_results(con, context.run_id, as_of, results)
        yield dg.MaterializeResult(
            metadata={
                "as_of_date": as_of.isoformat(),
                "rules": len(RULES),
                "config_version": config["version"],
            }
        )
        for rule in [*RULES, GX_CHECK]:
            mine = [r for r in results if r.rule == rule]
            failed = [r for r in mine if r.status == "fail"]
            warned = [r for r in mine if r.status == "warn"]
            for r in failed + warned:
                log = context.log.error if r.status == "fail" else context.log.warning
                log(
                    f"{rule} [{r.target}] {r.status.upper()}: {r.message} (observed {r.observed}; {r.threshold})"
                )
            yield dg.AssetCheckResult(
                check_name=rule,
                asset_key=GATE_KEY,
                passed=not failed and not warned,
                severity=dg.AssetCheckSeverity.ERROR if failed else dg.AssetCheckSeverity.WARN,
                description="; ".join(
                    f"[{r.target}] {r.message} (observed {r.observed})" for r in failed + warned
                )
                or None,
                metadata={
                    "status": "fail"
                    if failed
                    else "warn"
                    if warned
                    else mine[0].status
                    if mine
                    else "pass",
                    "results": dg.MetadataValue.json(
                        [
                            {
                                "target": r.target,
                                "status": r.status,
                                "observed": r.observed,
                                "threshold": r.threshold,
                            }
                            for r in mine
                        ]
                    ),
                },
            )

    return gate
