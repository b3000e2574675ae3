"""The layout of every raw table ingest writes: one place that the DDL, the loaders and RAW_TABLES.md read.

Raw tables keep source values as the source gives them (Stripe unix seconds and minor units stay
integers); only CSV/Parquet/Zendesk timestamps are parsed to TIMESTAMP, which always means UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

LOAD_METADATA: tuple[tuple[str, str, str], ...] = (
    ("_drop_date", "DATE", "date of the drop folder the row came from"),
    ("_file", "VARCHAR", "file name inside the drop folder, e.g. customers.jsonl"),
    (
        "_line",
        "INTEGER",
        "JSONL: 1-based line; CSV: line in the file (header = 1); Parquet: 1-based row",
    ),
    ("_loaded_at", "TIMESTAMP", "when ingest loaded the row (UTC)"),
)
RAW_JSON = ("_raw_json", "VARCHAR", "the original JSON line, unchanged")


@dataclass(frozen=True)
class RawTable:
    """One raw table: where its rows come from and its columns (name, DuckDB type, meaning)."""

    source: str
    table: str
    file_stem: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str, str], ...]
    parent: str | None = None
    keep_raw_json: bool = False
    required_file: bool = True

    @property
    def name(self) -> str:
        return f"raw.{self.source}__{self.table}"

    @property
    def all_columns(self) -> tuple[tuple[str, str, str], ...]:
        extra = (RAW_JSON,) if self.keep_raw_json else ()
        return self.columns + extra + LOAD_METADATA

    def ddl(self) -> str:
        cols = ",\n  ".join(f'"{name}" {dtype}' for name, dtype, _ in self.all_columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"


def _c(name: str, dtype: str, doc: str = "") -> tuple[str, str, str]:
    return (name, dtype, doc)


_DELETED_AT = _c("deleted_at", "TIMESTAMP", "set when the row was deleted at the source")
_UPDATED_AT = _c("updated_at", "TIMESTAMP", "optional")

_STRIPE_DISCOUNT_COLS = (
    _c("parent_object", "VARCHAR", "customer, subscription, subscription_item or invoice"),
    _c("parent_id", "VARCHAR", "id of the object carrying the discount"),
    _c("discount_index", "INTEGER", "0 for the singular `discount`, 1.. for `discounts[]`"),
    _c("id", "VARCHAR", "discount id (di_…); a bare id when `discounts[]` is not expanded"),
    _c("coupon_id", "VARCHAR", "discount.coupon.id or discount.source.coupon (id or object)"),
    _c("coupon_percent_off", "DOUBLE", "when the coupon is expanded"),
    _c("coupon_amount_off", "BIGINT", "minor units, when the coupon is expanded"),
    _c("coupon_currency", "VARCHAR", ""),
    _c("coupon_duration", "VARCHAR", "once, repeating, forever"),
    _c("coupon_duration_in_months", "INTEGER", ""),
    _c("promotion_code", "VARCHAR", ""),
    _c("start", "BIGINT", "unix seconds"),
    _c("end", "BIGINT", "unix seconds"),
)

RAW_TABLES: dict[str, RawTable] = {}


def _register(t: RawTable) -> RawTable:
    RAW_TABLES[f"{t.source}__{t.table}"] = t
    return t


# ---------------------------------------------------------------- Stripe
_register(
    RawTable(
        "stripe",
        "customers",
        "customers",
        ("id",),
        (
            _c("id", "VARCHAR", "cus_…"),
            _c("deleted", "BOOLEAN", "true for a deletion record {id, object, deleted}"),
            _c("created", "BIGINT", "unix seconds"),
            _c("email", "VARCHAR"),
            _c("name", "VARCHAR"),
            _c("description", "VARCHAR"),
            _c("currency", "VARCHAR", "lower-case ISO code"),
            _c("balance", "BIGINT", "minor units"),
            _c("delinquent", "BOOLEAN"),
            _c("livemode", "BOOLEAN"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        keep_raw_json=True,
    )
)
_register(
    RawTable(
        "stripe",
        "subscriptions",
        "subscriptions",
        ("id",),
        (
            _c("id", "VARCHAR", "sub_…"),
            _c("customer", "VARCHAR", "cus_…"),
            _c("status", "VARCHAR", "incomplete … paused"),
            _c("currency", "VARCHAR"),
            _c("collection_method", "VARCHAR"),
            _c("created", "BIGINT"),
            _c("start_date", "BIGINT"),
            _c("billing_cycle_anchor", "BIGINT"),
            _c("current_period_start", "BIGINT", "pre-2025-03-31 API only; NULL otherwise"),
            _c("current_period_end", "BIGINT", "pre-2025-03-31 API only; NULL otherwise"),
            _c("trial_start", "BIGINT"),
            _c("trial_end", "BIGINT"),
            _c("cancel_at", "BIGINT"),
            _c("cancel_at_period_end", "BOOLEAN"),
            _c("canceled_at", "BIGINT"),
            _c("ended_at", "BIGINT"),
            _c("cancellation_reason", "VARCHAR", "cancellation_details.reason"),
            _c("cancellation_feedback", "VARCHAR", "cancellation_details.feedback"),
            _c("cancellation_comment", "VARCHAR", "cancellation_details.comment"),
            _c("pause_collection_behavior", "VARCHAR", "pause_collection.behavior"),
            _c("pause_collection_resumes_at", "BIGINT"),
            _c("latest_invoice", "VARCHAR", "id (or expanded object's id)"),
            _c("livemode", "BOOLEAN"),
            _c("item_count", "INTEGER", "number of items.data entries on the line"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        keep_raw_json=True,
    )
)
_register(
    RawTable(
        "stripe",
        "subscription_items",
        "subscriptions",
        ("subscription_id", "id"),
        (
            _c("subscription_id", "VARCHAR", "parent subscription (the line's id)"),
            _c("item_index", "INTEGER", "0-based position in items.data"),
            _c("id", "VARCHAR", "si_…"),
            _c("created", "BIGINT"),
            _c("quantity", "BIGINT"),
            _c("current_period_start", "BIGINT", "2025-03-31+ API; NULL in older shapes"),
            _c("current_period_end", "BIGINT", "2025-03-31+ API; NULL in older shapes"),
            _c("price_id", "VARCHAR", "items.data[].price.id"),
            _c("price_product", "VARCHAR"),
            _c("price_active", "BOOLEAN"),
            _c("price_currency", "VARCHAR"),
            _c("price_unit_amount", "BIGINT", "minor units; NULL for tiered/decimal prices"),
            _c("price_unit_amount_decimal", "VARCHAR", "as given"),
            _c("price_type", "VARCHAR", "one_time or recurring"),
            _c("price_billing_scheme", "VARCHAR"),
            _c("price_recurring_interval", "VARCHAR", "day, week, month, year"),
            _c("price_recurring_interval_count", "BIGINT"),
            _c("price_recurring_usage_type", "VARCHAR", "licensed or metered"),
            _c("price_nickname", "VARCHAR"),
            _c("price_lookup_key", "VARCHAR"),
            _c("plan_id", "VARCHAR", "legacy plan mirror of the price"),
            _c("plan_amount", "BIGINT"),
            _c("plan_currency", "VARCHAR"),
            _c("plan_interval", "VARCHAR"),
            _c("plan_interval_count", "BIGINT"),
            _c("plan_usage_type", "VARCHAR"),
            _c("metadata", "VARCHAR", "the item's metadata, JSON text"),
            _c(
                "price_metadata",
                "VARCHAR",
                "items.data[].price.metadata, JSON text (e.g. the plan name)",
            ),
        ),
        parent="subscriptions",
    )
)
_register(
    RawTable(
        "stripe",
        "invoices",
        "invoices",
        ("id",),
        (
            _c("id", "VARCHAR", "in_…"),
            _c("customer", "VARCHAR", "cus_…"),
            _c(
                "subscription",
                "VARCHAR",
                "`subscription` (older API) or parent.subscription_details.subscription (newer)",
            ),
            _c("status", "VARCHAR", "draft, open, paid, uncollectible, void"),
            _c("billing_reason", "VARCHAR"),
            _c("collection_method", "VARCHAR"),
            _c("currency", "VARCHAR"),
            _c("created", "BIGINT"),
            _c("period_start", "BIGINT"),
            _c("period_end", "BIGINT"),
            _c("due_date", "BIGINT"),
            _c("effective_at", "BIGINT"),
            _c("amount_due", "BIGINT"),
            _c("amount_paid", "BIGINT"),
            _c("amount_remaining", "BIGINT"),
            _c("subtotal", "BIGINT"),
            _c("total", "BIGINT"),
            _c("total_discount_amount", "BIGINT", "sum of total_discount_amounts[].amount"),
            _c("starting_balance", "BIGINT"),
            _c("ending_balance", "BIGINT"),
            _c("attempt_count", "BIGINT"),
            _c("attempted", "BOOLEAN"),
            _c("paid", "BOOLEAN", "older API only"),
            _c("number", "VARCHAR"),
            _c("finalized_at", "BIGINT", "status_transitions.finalized_at"),
            _c("paid_at", "BIGINT", "status_transitions.paid_at"),
            _c("voided_at", "BIGINT", "status_transitions.voided_at"),
            _c("marked_uncollectible_at", "BIGINT", "status_transitions.marked_uncollectible_at"),
            _c("livemode", "BOOLEAN"),
            _c("line_count", "INTEGER", "number of lines.data entries on the line"),
            _c("lines_has_more", "BOOLEAN", "lines.has_more: true means lines are incomplete"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        keep_raw_json=True,
    )
)
_register(
    RawTable(
        "stripe",
        "invoice_lines",
        "invoices",
        ("invoice_id", "id"),
        (
            _c("invoice_id", "VARCHAR", "parent invoice (the line's id)"),
            _c("line_index", "INTEGER", "0-based position in lines.data"),
            _c("id", "VARCHAR", "il_…, ii_… or sli_…"),
            _c("type", "VARCHAR", "older API: subscription / invoiceitem"),
            _c("parent_type", "VARCHAR", "newer API: parent.type"),
            _c("amount", "BIGINT", "minor units"),
            _c("currency", "VARCHAR"),
            _c("description", "VARCHAR"),
            _c("quantity", "BIGINT"),
            _c("period_start", "BIGINT"),
            _c("period_end", "BIGINT"),
            _c(
                "proration",
                "BOOLEAN",
                "`proration` or parent.(subscription_item|invoice_item)_details.proration",
            ),
            _c("discountable", "BOOLEAN"),
            _c("discount_amount", "BIGINT", "sum of discount_amounts[].amount (0 when none)"),
            _c(
                "subscription",
                "VARCHAR",
                "`subscription` or parent.(subscription_item|invoice_item)_details.subscription",
            ),
            _c(
                "subscription_item",
                "VARCHAR",
                "`subscription_item` or parent.subscription_item_details.subscription_item",
            ),
            _c(
                "invoice_item",
                "VARCHAR",
                "`invoice_item` or parent.invoice_item_details.invoice_item",
            ),
            _c("price_id", "VARCHAR", "`price` (object or id) or pricing.price_details.price"),
            _c("price_unit_amount", "BIGINT", "when `price` is an object"),
            _c("price_type", "VARCHAR", "when `price` is an object"),
            _c("price_recurring_interval", "VARCHAR", "when `price` is an object"),
            _c("price_recurring_interval_count", "BIGINT", "when `price` is an object"),
            _c("price_recurring_usage_type", "VARCHAR", "when `price` is an object"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        parent="invoices",
    )
)
for _parent_table, _stem in (
    ("customers", "customers"),
    ("subscriptions", "subscriptions"),
    ("invoices", "invoices"),
):
    _register(
        RawTable(
            "stripe",
            f"{_parent_table.rstrip('s')}_discounts",
            _stem,
            ("parent_object", "parent_id", "discount_index"),
            _STRIPE_DISCOUNT_COLS,
            parent=_parent_table,
        )
    )
_register(
    RawTable(
        "stripe",
        "charges",
        "charges",
        ("id",),
        (
            _c("id", "VARCHAR", "ch_… (py_… accepted)"),
            _c("customer", "VARCHAR"),
            _c("invoice", "VARCHAR", "older API only"),
            _c("payment_intent", "VARCHAR"),
            _c("amount", "BIGINT"),
            _c("amount_captured", "BIGINT"),
            _c("amount_refunded", "BIGINT"),
            _c("currency", "VARCHAR"),
            _c("status", "VARCHAR", "succeeded, pending, failed"),
            _c("paid", "BOOLEAN"),
            _c("captured", "BOOLEAN"),
            _c("refunded", "BOOLEAN"),
            _c("disputed", "BOOLEAN"),
            _c("failure_code", "VARCHAR"),
            _c("failure_message", "VARCHAR"),
            _c(
                "outcome_type",
                "VARCHAR",
                "authorized, manual_review, issuer_declined, blocked, invalid",
            ),
            _c("outcome_reason", "VARCHAR"),
            _c("outcome_network_status", "VARCHAR"),
            _c("outcome_seller_message", "VARCHAR"),
            _c("created", "BIGINT"),
            _c("description", "VARCHAR"),
            _c("livemode", "BOOLEAN"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        keep_raw_json=True,
    )
)
_register(
    RawTable(
        "stripe",
        "refunds",
        "refunds",
        ("id",),
        (
            _c("id", "VARCHAR", "re_… (pyr_… accepted)"),
            _c("charge", "VARCHAR"),
            _c("payment_intent", "VARCHAR"),
            _c("amount", "BIGINT"),
            _c("currency", "VARCHAR"),
            _c("status", "VARCHAR", "pending, requires_action, succeeded, failed, canceled"),
            _c("reason", "VARCHAR"),
            _c("created", "BIGINT"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        keep_raw_json=True,
        required_file=False,
    )
)
_register(
    RawTable(
        "stripe",
        "coupons",
        "coupons",
        ("id",),
        (
            _c("id", "VARCHAR", "free-form coupon id"),
            _c("name", "VARCHAR"),
            _c("percent_off", "DOUBLE", "0 < percent_off ≤ 100"),
            _c("amount_off", "BIGINT", "minor units"),
            _c("currency", "VARCHAR", "with amount_off"),
            _c("duration", "VARCHAR", "once, repeating, forever"),
            _c("duration_in_months", "INTEGER", "with duration=repeating"),
            _c("valid", "BOOLEAN"),
            _c("created", "BIGINT"),
            _c("redeem_by", "BIGINT"),
            _c("times_redeemed", "BIGINT"),
            _c("max_redemptions", "BIGINT"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        keep_raw_json=True,
        required_file=False,
    )
)
_register(
    RawTable(
        "stripe",
        "prices",
        "prices",
        ("id",),
        (
            _c("id", "VARCHAR", "price_…"),
            _c("product", "VARCHAR"),
            _c("active", "BOOLEAN"),
            _c("currency", "VARCHAR"),
            _c("unit_amount", "BIGINT"),
            _c("unit_amount_decimal", "VARCHAR"),
            _c("type", "VARCHAR", "one_time or recurring"),
            _c("billing_scheme", "VARCHAR"),
            _c("recurring_interval", "VARCHAR"),
            _c("recurring_interval_count", "BIGINT"),
            _c("recurring_usage_type", "VARCHAR"),
            _c("nickname", "VARCHAR"),
            _c("lookup_key", "VARCHAR"),
            _c("created", "BIGINT"),
            _c("metadata", "VARCHAR", "JSON text"),
        ),
        keep_raw_json=True,
        required_file=False,
    )
)

# ---------------------------------------------------------------- application database
_register(
    RawTable(
        "app_db",
        "accounts",
        "accounts",
        ("account_id",),
        (
            _c("account_id", "VARCHAR"),
            _c("name", "VARCHAR"),
            _c("stripe_customer_id", "VARCHAR", "cus_… or NULL"),
            _c("segment", "VARCHAR", "self_serve, smb, mid_market, enterprise"),
            _c("plan", "VARCHAR", "starter, growth, pro, enterprise"),
            _c("csm_id", "VARCHAR"),
            _c("created_at", "TIMESTAMP"),
            _c("seats", "BIGINT", "≥ 0"),
            _c("plan_conversation_limit", "BIGINT", "≥ 0"),
            _c("advocacy_status", "VARCHAR"),
            _UPDATED_AT,
            _DELETED_AT,
        ),
    )
)
_register(
    RawTable(
        "app_db",
        "users",
        "users",
        ("user_id",),
        (
            _c("user_id", "VARCHAR"),
            _c("account_id", "VARCHAR"),
            _c("email", "VARCHAR"),
            _c("role", "VARCHAR"),
            _c("created_at", "TIMESTAMP"),
            _c("deactivated_at", "TIMESTAMP"),
            _UPDATED_AT,
            _DELETED_AT,
        ),
    )
)
_register(
    RawTable(
        "app_db",
        "events",
        "events",
        ("event_id",),
        (
            _c("event_id", "VARCHAR"),
            _c("account_id", "VARCHAR"),
            _c("user_id", "VARCHAR"),
            _c(
                "event_type",
                "VARCHAR",
                "login, feature_used, conversation_handled, conversation_automated, "
                "blocked_feature_attempt",
            ),
            _c("feature_key", "VARCHAR"),
            _c("occurred_at", "TIMESTAMP"),
            _DELETED_AT,
        ),
    )
)
_register(
    RawTable(
        "app_db",
        "onboarding_steps",
        "onboarding_steps",
        ("account_id", "step_id"),
        (
            _c("account_id", "VARCHAR"),
            _c("step_id", "VARCHAR"),
            _c("program_id", "VARCHAR"),
            _c("completed_at", "TIMESTAMP"),
            _UPDATED_AT,
            _DELETED_AT,
        ),
    )
)
_register(
    RawTable(
        "app_db",
        "nps_survey_sends",
        "nps_survey_sends",
        ("send_id",),
        (
            _c("send_id", "VARCHAR"),
            _c("account_id", "VARCHAR"),
            _c("user_id", "VARCHAR"),
            _c("sent_at", "TIMESTAMP"),
            _c("trigger", "VARCHAR"),
            _DELETED_AT,
        ),
    )
)
_register(
    RawTable(
        "app_db",
        "nps_responses",
        "nps_responses",
        ("response_id",),
        (
            _c("response_id", "VARCHAR"),
            _c("send_id", "VARCHAR"),
            _c("account_id", "VARCHAR"),
            _c("user_id", "VARCHAR"),
            _c("score", "BIGINT", "0–10"),
            _c("comment", "VARCHAR"),
            _c("submitted_at", "TIMESTAMP"),
            _c("followed_up_at", "TIMESTAMP"),
            _DELETED_AT,
        ),
    )
)
_register(
    RawTable(
        "app_db",
        "cs_activities",
        "cs_activities",
        ("activity_id",),
        (
            _c("activity_id", "VARCHAR"),
            _c("account_id", "VARCHAR"),
            _c("csm_id", "VARCHAR"),
            _c(
                "activity_type",
                "VARCHAR",
                "meeting_scheduled, meeting_attended, meeting_no_show, outreach_sent, "
                "outreach_answered, qbr",
            ),
            _c("occurred_at", "TIMESTAMP"),
            _DELETED_AT,
        ),
    )
)
_register(
    RawTable(
        "app_db",
        "csms",
        "csms",
        ("csm_id",),
        (
            _c("csm_id", "VARCHAR"),
            _c("name", "VARCHAR"),
            _c("email", "VARCHAR"),
            _DELETED_AT,
        ),
    )
)

# ---------------------------------------------------------------- ticketing (Zendesk)
_register(
    RawTable(
        "ticketing",
        "tickets",
        "tickets",
        ("id",),
        (
            _c("id", "BIGINT"),
            _c("organization_id", "BIGINT"),
            _c("requester_id", "BIGINT"),
            _c("assignee_id", "BIGINT"),
            _c("group_id", "BIGINT"),
            _c("status", "VARCHAR", "new, open, pending, hold, solved, closed"),
            _c("priority", "VARCHAR", "urgent, high, normal, low or NULL"),
            _c("type", "VARCHAR", "problem, incident, question, task or NULL"),
            _c("subject", "VARCHAR"),
            _c("description", "VARCHAR"),
            _c("tags", "VARCHAR[]", "as given; `escalated` is one of them"),
            _c("created_at", "TIMESTAMP"),
            _c("updated_at", "TIMESTAMP"),
            _c("solved_at", "TIMESTAMP", "solved_at or metric_set.solved_at"),
            _c(
                "reply_time_in_minutes_calendar",
                "BIGINT",
                "(metric_set.)reply_time_in_minutes.calendar",
            ),
            _c(
                "full_resolution_time_in_minutes_calendar",
                "BIGINT",
                "(metric_set.)full_resolution_time_in_minutes.calendar",
            ),
        ),
        keep_raw_json=True,
    )
)
_register(
    RawTable(
        "ticketing",
        "satisfaction_ratings",
        "satisfaction_ratings",
        ("id",),
        (
            _c("id", "BIGINT"),
            _c("ticket_id", "BIGINT"),
            _c("organization_id", "BIGINT"),
            _c("requester_id", "BIGINT"),
            _c("assignee_id", "BIGINT"),
            _c("score", "VARCHAR", "good, bad, offered, unoffered (NULL when `rating` is used)"),
            _c("rating", "BIGINT", "1–5 (NULL when `score` is used)"),
            _c("comment", "VARCHAR"),
            _c("created_at", "TIMESTAMP"),
            _c("updated_at", "TIMESTAMP"),
        ),
        keep_raw_json=True,
    )
)
_register(
    RawTable(
        "ticketing",
        "organizations",
        "organizations",
        ("id",),
        (
            _c("id", "BIGINT"),
            _c("name", "VARCHAR"),
            _c("external_id", "VARCHAR", "the app_db account_id"),
            _c("created_at", "TIMESTAMP"),
            _c("updated_at", "TIMESTAMP"),
        ),
        keep_raw_json=True,
    )
)

# ---------------------------------------------------------------- FX
_register(
    RawTable(
        "fx_rates",
        "fx_rates",
        "fx_rates",
        ("date", "currency"),
        (
            _c("date", "DATE"),
            _c("currency", "VARCHAR", "3-letter ISO code as given"),
            _c("rate", "DOUBLE", "> 0; units of the reporting currency per 1 unit of `currency`"),
        ),
    )
)

QUARANTINE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("source", "VARCHAR", "stripe, app_db, ticketing, fx_rates"),
    ("drop_date", "DATE", ""),
    ("file", "VARCHAR", "file name inside the drop folder"),
    ("line", "INTEGER", "same numbering as raw _line"),
    ("record_id", "VARCHAR", "the record's key when it could be read"),
    ("rule", "VARCHAR", "first rule the row broke, e.g. stripe.subscriptions.status_enum"),
    ("column", "VARCHAR", "column of that rule (NULL for row-level rules)"),
    ("value", "VARCHAR", "offending value as text"),
    ("message", "VARCHAR", "every rule the row broke, human-readable"),
    ("rules", "VARCHAR[]", "every rule the row broke"),
    ("raw_text", "VARCHAR", "the original line / row (JSON text for CSV and Parquet rows)"),
    ("quarantined_at", "TIMESTAMP", "the load time of the ingest run"),
)

INGEST_LOG_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("source", "VARCHAR", ""),
    ("drop_date", "DATE", ""),
    ("file", "VARCHAR", "file name; expected name for missing_file; NULL for missing_drop"),
    ("rows_read", "BIGINT", "rows_read = rows_loaded + rows_quarantined"),
    ("rows_loaded", "BIGINT", ""),
    ("rows_quarantined", "BIGINT", ""),
    ("manifest_rows", "BIGINT", "row count the manifest declares for the file, NULL if none"),
    ("manifest_mismatch", "BOOLEAN", "manifest_rows is not NULL and differs from rows_read"),
    ("content_sha256", "VARCHAR", ""),
    ("status", "VARCHAR", "loaded, unchanged, replaced, missing_file, missing_drop"),
    ("synthetic", "BOOLEAN", "manifest's synthetic flag (false without manifest)"),
    ("extracted_at", "TIMESTAMP", "manifest's extracted_at"),
    ("loaded_at", "TIMESTAMP", ""),
    ("message", "VARCHAR", "details: manifest mismatch, replaced delivery, …"),
)


def _ddl(name: str, cols: tuple[tuple[str, str, str], ...]) -> str:
    body = ",\n  ".join(f'"{n}" {t}' for n, t, _ in cols)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n  {body}\n)"


def all_ddl() -> list[str]:
    """Idempotent DDL for every raw table, raw.quarantine and audit.ingest_log."""
    statements = ["CREATE SCHEMA IF NOT EXISTS raw", "CREATE SCHEMA IF NOT EXISTS audit"]
    statements += [t.ddl() for t in RAW_TABLES.values()]
    statements.append(_ddl("raw.quarantine", QUARANTINE_COLUMNS))
    statements.append(_ddl("audit.ingest_log", INGEST_LOG_COLUMNS))
    return statements


def tables_of(source: str) -> list[RawTable]:
    """The raw tables of a source, parents before their child tables."""
    return [t for t in RAW_TABLES.values() if t.source == source]
