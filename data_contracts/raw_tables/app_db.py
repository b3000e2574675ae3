"""Raw tables of the application database: one table dump per file (CSV or Parquet)."""

from __future__ import annotations

from data_contracts.raw_tables.layout import RawTable, column

_DELETED_AT = column("deleted_at", "TIMESTAMP", "set when the row was deleted at the source")
_UPDATED_AT = column("updated_at", "TIMESTAMP", "optional")

TABLES: tuple[RawTable, ...] = (
    RawTable(
        "app_db",
        "accounts",
        "accounts",
        ("account_id",),
        (
            column("account_id", "VARCHAR"),
            column("name", "VARCHAR"),
            column("stripe_customer_id", "VARCHAR", "cus_… or NULL"),
            column("segment", "VARCHAR", "self_serve, smb, mid_market, enterprise"),
            column("plan", "VARCHAR", "starter, growth, pro, enterprise"),
            column("csm_id", "VARCHAR"),
            column("created_at", "TIMESTAMP"),
            column("seats", "BIGINT", "≥ 0"),
            column("plan_conversation_limit", "BIGINT", "≥ 0"),
            column("advocacy_status", "VARCHAR"),
            _UPDATED_AT,
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "users",
        "users",
        ("user_id",),
        (
            column("user_id", "VARCHAR"),
            column("account_id", "VARCHAR"),
            column("email", "VARCHAR"),
            column("role", "VARCHAR"),
            column("created_at", "TIMESTAMP"),
            column("deactivated_at", "TIMESTAMP"),
            _UPDATED_AT,
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "events",
        "events",
        ("event_id",),
        (
            column("event_id", "VARCHAR"),
            column("account_id", "VARCHAR"),
            column("user_id", "VARCHAR"),
            column(
                "event_type",
                "VARCHAR",
                "login, feature_used, conversation_handled, conversation_automated, "
                "blocked_feature_attempt",
            ),
            column("feature_key", "VARCHAR"),
            column("occurred_at", "TIMESTAMP"),
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "onboarding_steps",
        "onboarding_steps",
        ("account_id", "step_id"),
        (
            column("account_id", "VARCHAR"),
            column("step_id", "VARCHAR"),
            column("program_id", "VARCHAR"),
            column("completed_at", "TIMESTAMP"),
            _UPDATED_AT,
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "nps_survey_sends",
        "nps_survey_sends",
        ("send_id",),
        (
            column("send_id", "VARCHAR"),
            column("account_id", "VARCHAR"),
            column("user_id", "VARCHAR"),
            column("sent_at", "TIMESTAMP"),
            column("trigger", "VARCHAR"),
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "nps_responses",
        "nps_responses",
        ("response_id",),
        (
            column("response_id", "VARCHAR"),
            column("send_id", "VARCHAR"),
            column("account_id", "VARCHAR"),
            column("user_id", "VARCHAR"),
            column("score", "BIGINT", "0–10"),
            column("comment", "VARCHAR"),
            column("submitted_at", "TIMESTAMP"),
            column("followed_up_at", "TIMESTAMP"),
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "cs_activities",
        "cs_activities",
        ("activity_id",),
        (
            column("activity_id", "VARCHAR"),
            column("account_id", "VARCHAR"),
            column("csm_id", "VARCHAR"),
            column(
                "activity_type",
                "VARCHAR",
                "meeting_scheduled, meeting_attended, meeting_no_show, outreach_sent, "
                "outreach_answered, qbr",
            ),
            column("occurred_at", "TIMESTAMP"),
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "cs_tasks",
        "cs_tasks",
        ("task_id",),
        (
            column("task_id", "VARCHAR"),
            column("account_id", "VARCHAR"),
            column("csm_id", "VARCHAR"),
            column("playbook", "VARCHAR", "a save playbook's trigger (config/risk_cases.yml)"),
            column("action_order", "BIGINT", "≥ 1: the playbook action the task is for"),
            column("created_at", "TIMESTAMP"),
            column("due_at", "TIMESTAMP"),
            column("completed_at", "TIMESTAMP"),
            column("outcome", "VARCHAR", "done, skipped, no_response; NULL while open"),
            _UPDATED_AT,
            _DELETED_AT,
        ),
    ),
    RawTable(
        "app_db",
        "csms",
        "csms",
        ("csm_id",),
        (
            column("csm_id", "VARCHAR"),
            column("name", "VARCHAR"),
            column("email", "VARCHAR"),
            _DELETED_AT,
        ),
    ),
)
