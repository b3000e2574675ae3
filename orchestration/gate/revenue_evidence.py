"""The evidence of the revenue rules (2, 3, 6, 7 and rule 12's MRR part), read from the build database.

Rule 6 reads the raw Stripe invoices (not the models) and values what they billed; rule 12 reads
staged Stripe objects for the independent path and the dbt outputs it checks; the other rules
read the revenue marts, the metric registry and the columns the dbt yml marks metrics.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl

from orchestration.gate.reading import column_names, table_or_none
from orchestration.warehouse_io import read_frame, replace_table, table_exists
from transforms.gate.billing_rules import reconcile_with_billing
from transforms.gate.independent_billing import billed_mrr
from transforms.gate.mrr_sample_rules import MrrRecomputationInputs
from transforms.gate.results import Absent


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


def built_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every column of the build database as "schema.table.column" (a column not built is not
    published, so rule 2 asks only these to be registered)."""
    return {
        ".".join(row)
        for row in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall()
    }


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
        org_columns = column_names(con, "staging", "stg_ticketing__organizations")
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


def _raw(con: duckdb.DuckDBPyConnection, table: str, columns: str, as_of: dt.date) -> pl.DataFrame:
    """A raw table's rows of the drops dated up to the as-of date."""
    return read_frame(con, f"select {columns} from raw.{table} where _drop_date <= ?", [as_of])


def billing_reconciliation(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, tolerance_cents: float
) -> tuple[pl.DataFrame | None, list[str]]:
    """Rule 6's evidence: every published customer-month against what Stripe billed, derived
    from the raw invoices (transforms/gate/independent_billing.py), and the customers with revenue
    that Stripe does not know; (None, []) before the revenue mart is built. The customer-months
    that do not reconcile are written to audit.revenue_stripe_disagreements (published)."""
    if not table_exists(con, "marts", "mrr_monthly"):
        return None, []
    published = read_frame(
        con,
        "select stripe_customer_id as customer_id, month, valuation_date, mrr "
        "from marts.mrr_monthly where stripe_customer_id is not null",
    )
    currencies = con.execute("select distinct reporting_currency from marts.mrr_monthly").fetchall()
    reporting = currencies[0][0] if len(currencies) == 1 else "USD"
    billed = billed_mrr(
        _raw(con, "stripe__invoices", "id, customer, subscription, status, created, "
             "_drop_date, _file, _line", as_of),
        _raw(con, "stripe__invoice_lines", "invoice_id, id, type, parent_type, amount, "
             "discount_amount, currency, period_start, period_end, proration, subscription, "
             "subscription_item, _drop_date, _file, _line", as_of),
        _raw(con, "stripe__subscriptions", "id, customer, status, start_date, ended_at, "
             "trial_end, _drop_date, _line", as_of),
        _raw(con, "fx_rates__fx_rates", "date, currency, rate, _drop_date, _line", as_of),
        sorted(set(published.select("month", "valuation_date").iter_rows())),
        as_of,
        reporting,
    )  # fmt: skip
    comparison = reconcile_with_billing(published, billed, tolerance_cents)
    replace_table(
        con,
        "audit",
        "revenue_stripe_disagreements",
        comparison.filter(pl.col("status") != "agrees").with_columns(as_of_date=pl.lit(as_of)),
    )
    unknown = read_frame(
        con,
        """
        select distinct m.stripe_customer_id from marts.mrr_monthly m
        where m.mrr > 0 and m.stripe_customer_id not in
            (select customer_id from staging.stg_stripe__customers)
        """,
    )["stripe_customer_id"].to_list()
    return comparison, unknown


#: What rule 12 reads for MRR: the staged Stripe objects and accounts, the dbt intermediate and the
#: mart.
MRR_RECOMPUTATION_TABLES = [
    ("staging", "stg_stripe__subscription_versions"),
    ("staging", "stg_stripe__subscription_item_versions"),
    ("staging", "stg_stripe__subscription_discount_versions"),
    ("staging", "stg_stripe__customer_discount_versions"),
    ("staging", "stg_stripe__coupons"),
    ("staging", "stg_stripe__invoices"),
    ("staging", "stg_stripe__invoice_lines"),
    ("staging", "stg_fx_rates__fx_rates"),
    ("staging", "stg_app_db__accounts_with_deleted"),
    ("intermediate", "int_customer_mrr_monthly"),
    ("marts", "mrr_monthly"),
]


def _discount_versions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every version of the subscriptions' and customers' discounts, with their coupon's terms."""
    return pl.concat(
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


def mrr_recomputation_inputs(con: duckdb.DuckDBPyConnection) -> MrrRecomputationInputs | Absent:
    """Rule 12's MRR evidence: every staged Stripe object the independent path values, and the
    dbt outputs it checks (all months); Absent while a table is not built or the mart holds more
    than one reporting currency."""
    absent = [f"{s}.{n}" for s, n in MRR_RECOMPUTATION_TABLES if not table_exists(con, s, n)]
    if absent:
        return Absent(f"absent: {', '.join(absent)}")
    currencies = con.execute("select distinct reporting_currency from marts.mrr_monthly").fetchall()
    if len(currencies) != 1:
        return Absent(f"{len(currencies)} reporting currencies, expected one")
    subscriptions = read_frame(
        con,
        "select subscription_id, customer_id, status, started_at, ended_at, trial_end_at, "
        "valid_from_drop, valid_to_drop from staging.stg_stripe__subscription_versions",
    )
    items = read_frame(
        con,
        "select subscription_id, subscription_item_id, price_id, quantity, "
        "coalesce(cast(unit_amount as double), cast(unit_amount_decimal as double)) as unit_amount, "
        "recurring_interval, recurring_interval_count, recurring_usage_type, currency, "
        "valid_from_drop, valid_to_drop from staging.stg_stripe__subscription_item_versions",
    )
    return MrrRecomputationInputs(
        subscriptions=subscriptions,
        items=items,
        discounts=_discount_versions(con),
        invoices=read_frame(
            con,
            "select invoice_id, subscription_id, status, created_at from staging.stg_stripe__invoices",
        ),
        invoice_lines=read_frame(
            con,
            "select invoice_line_id, invoice_id, subscription_id, subscription_item_id, price_id, "
            "line_type, is_proration, currency, amount, discount_amount, quantity, unit_amount, "
            "unit_amount_decimal, period_start_at, period_end_at "
            "from staging.stg_stripe__invoice_lines",
        ),
        fx=read_frame(
            con,
            "select rate_date, currency, cast(rate_to_reporting as double) as rate_to_reporting "
            "from staging.stg_fx_rates__fx_rates",
        ),
        reporting_currency=currencies[0][0],
        intermediate=read_frame(
            con,
            "select month, customer_id, cast(mrr_minor as double) as mrr_minor "
            "from intermediate.int_customer_mrr_monthly",
        ),
        published=read_frame(
            con,
            "select month, stripe_customer_id as customer_id, account_id, mrr "
            "from marts.mrr_monthly where stripe_customer_id is not null",
        ),
        accounts=read_frame(
            con,
            "select account_id, stripe_customer_id, deleted_at "
            "from staging.stg_app_db__accounts_with_deleted",
        ),
        churned_by_month=(
            dict(
                con.execute(
                    "select month, logos_churned from marts.mrr_movements_monthly"
                ).fetchall()
            )
            if table_exists(con, "marts", "mrr_movements_monthly")
            else {}
        ),
    )


#: Rule 16 on revenue: amounts computed although an input they need is missing, per kind.
REVENUE_DEFAULT_CHECKS = {
    "metered item valued with no invoice": """
        select customer_id, valuation_date, subscription_item_id
        from intermediate.int_subscription_items_normalised_to_mrr
        where mrr_source = 'last_invoiced_amount' and invoice_line_id is null
            and mrr_minor is not null
    """,
    "price valued with no interval count": """
        select customer_id, valuation_date, subscription_item_id
        from intermediate.int_subscription_items_normalised_to_mrr
        where mrr_source in ('subscription_version', 'current_price')
            and recurring_interval is not null and recurring_interval_count is null
            and mrr_minor is not null
    """,
    "price valued with no quantity": """
        select customer_id, valuation_date, subscription_item_id
        from intermediate.int_subscription_items_normalised_to_mrr
        where mrr_source in ('subscription_version', 'current_price', 'proration_line')
            and coalesce(recurring_usage_type, 'licensed') <> 'metered'
            and quantity is null and mrr_minor is not null
    """,
    "customer total over an item with no amount": """
        select distinct c.customer_id, c.valuation_date, i.subscription_item_id
        from intermediate.int_customer_mrr_monthly c
        inner join intermediate.int_subscription_items_normalised_to_mrr i
            on i.customer_id = c.customer_id and i.month = c.month
        where i.mrr_minor is null and c.mrr_minor is not null
    """,
}


def revenue_defaults(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | Absent:
    """Rule 16's revenue evidence: per kind of REVENUE_DEFAULT_CHECKS, the item-dates whose amount
    was computed although an input is missing (kind, customer_id, valuation_date,
    subscription_item_id); Absent before the revenue models are built."""
    needed = ("int_subscription_items_normalised_to_mrr", "int_customer_mrr_monthly")
    if not all(table_exists(con, "intermediate", name) for name in needed):
        return Absent("the revenue intermediate models are not built")
    columns = column_names(con, "intermediate", "int_subscription_items_normalised_to_mrr")
    if not {"invoice_line_id", "recurring_interval_count", "quantity"} <= set(columns):
        return Absent("int_subscription_items_normalised_to_mrr lacks the inputs rule 16 checks")
    return pl.concat(
        [
            read_frame(con, query).select(
                pl.lit(kind).alias("kind"),
                pl.col("customer_id").cast(pl.String),
                pl.col("valuation_date").cast(pl.Date),
                pl.col("subscription_item_id").cast(pl.String),
            )
            for kind, query in REVENUE_DEFAULT_CHECKS.items()
        ]
    )


def read_revenue_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """The revenue rules' evidence by name: the metric columns and registry entries (rule 2), the
    revenue marts (None where not built), the published MRR against what Stripe billed (rule 6,
    its disagreements written to audit.revenue_stripe_disagreements), the cross-source counts
    (rule 7) and rule 12's MRR recomputation inputs."""
    registry = table_or_none(con, "audit", "metric_registry")
    comparison, unknown = billing_reconciliation(
        con, as_of, rules["r06_revenue_source"]["tolerance_cents"]
    )
    return {
        "metric_columns": metric_columns_from_manifest(built_columns(con)),
        "metric_registry_names": set() if registry is None else set(registry["name"].to_list()),
        "revenue_retention_monthly": table_or_none(con, "marts", "revenue_retention_monthly"),
        "mrr_movements_monthly": table_or_none(con, "marts", "mrr_movements_monthly"),
        "mrr_monthly": table_or_none(con, "marts", "mrr_monthly"),
        "revenue_cohorts": table_or_none(con, "marts", "revenue_cohorts"),
        "revenue_billing_comparison": comparison,
        "revenue_customers_unknown_to_stripe": unknown,
        "cross_source_counts": cross_source_counts(con),
        "mrr_recomputation_inputs": mrr_recomputation_inputs(con),
        "revenue_defaults": revenue_defaults(con),
    }
