"""Application-database contracts: one table dump per file (CSV or Parquet), ISO-8601 UTC timestamps."""

from __future__ import annotations

import polars as pl

from data_contracts.contracts import (
    Contract,
    FrameRule,
    at_least,
    between,
    contract,
    enum,
    id_format,
    non_empty,
    not_earlier,
)

SEGMENT = ("self_serve", "smb", "mid_market", "enterprise")
PLAN = ("starter", "growth", "pro", "enterprise")
EVENT_TYPE = (
    "login",
    "feature_used",
    "conversation_handled",
    "conversation_automated",
    "blocked_feature_attempt",
)
ACTIVITY_TYPE = (
    "meeting_scheduled",
    "meeting_attended",
    "meeting_no_show",
    "outreach_sent",
    "outreach_answered",
    "qbr",
)
TASK_OUTCOME = ("done", "skipped", "no_response")


def _ids(*columns: str) -> dict:
    return {c: [non_empty()] for c in columns}


CONTRACTS: dict[str, Contract] = {
    "accounts": contract(
        "app_db__accounts",
        required=("account_id", "name", "segment", "plan", "created_at"),
        rules={
            **_ids("account_id", "csm_id"),
            "stripe_customer_id": [id_format(r"^cus_[A-Za-z0-9]+$", "a Stripe customer id cus_…")],
            "segment": [enum(SEGMENT)],
            "plan": [enum(PLAN)],
            "seats": [at_least(0)],
            "plan_conversation_limit": [at_least(0)],
        },
        frame_rules=[
            not_earlier("app_db.accounts", "created_at", "deleted_at", "deleted_after_created")
        ],
        happened=("created_at", "updated_at", "deleted_at"),
        version="updated_at",
    ),
    "users": contract(
        "app_db__users",
        required=("user_id", "account_id", "created_at"),
        rules=_ids("user_id", "account_id"),
        frame_rules=[
            FrameRule(
                "app_db.users.deactivated_after_created",
                pl.col("deactivated_at") >= pl.col("created_at"),
                "deactivated_at",
                "deactivated_at must not be before created_at",
            )
        ],
        happened=("created_at", "deactivated_at", "updated_at", "deleted_at"),
        version="updated_at",
    ),
    "events": contract(
        "app_db__events",
        required=("event_id", "account_id", "event_type", "occurred_at"),
        rules={**_ids("event_id", "account_id"), "event_type": [enum(EVENT_TYPE)]},
        happened=("occurred_at", "deleted_at"),
    ),
    "onboarding_steps": contract(
        "app_db__onboarding_steps",
        required=("account_id", "step_id"),
        rules=_ids("account_id", "step_id"),
        happened=("completed_at", "updated_at", "deleted_at"),
        version="updated_at",
    ),
    "nps_survey_sends": contract(
        "app_db__nps_survey_sends",
        required=("send_id", "account_id", "sent_at"),
        rules=_ids("send_id", "account_id"),
        happened=("sent_at", "deleted_at"),
    ),
    "nps_responses": contract(
        "app_db__nps_responses",
        required=("response_id", "account_id", "score", "submitted_at"),
        rules={**_ids("response_id", "account_id"), "score": [between(0, 10)]},
        frame_rules=[
            not_earlier(
                "app_db.nps_responses",
                "submitted_at",
                "followed_up_at",
                "followed_up_after_submitted",
            )
        ],
        happened=("submitted_at", "followed_up_at", "deleted_at"),
    ),
    "cs_activities": contract(
        "app_db__cs_activities",
        required=("activity_id", "account_id", "activity_type", "occurred_at"),
        rules={**_ids("activity_id", "account_id"), "activity_type": [enum(ACTIVITY_TYPE)]},
        happened=("occurred_at", "deleted_at"),
    ),
    "cs_tasks": contract(
        "app_db__cs_tasks",
        required=("task_id", "account_id", "csm_id", "playbook", "action_order", "created_at"),
        rules={
            **_ids("task_id", "account_id", "csm_id", "playbook"),
            "action_order": [at_least(1)],
            "outcome": [enum(TASK_OUTCOME)],
        },
        frame_rules=[
            not_earlier("app_db.cs_tasks", "created_at", "due_at", "due_after_created"),
            not_earlier("app_db.cs_tasks", "created_at", "completed_at", "completed_after_created"),
        ],
        happened=("created_at", "completed_at", "updated_at", "deleted_at"),
        scheduled=("due_at",),
        version="updated_at",
    ),
    "csms": contract(
        "app_db__csms", required=("csm_id",), rules=_ids("csm_id"), happened=("deleted_at",)
    ),
}

# Columns a file's header must have (sources.md lists them as "at least"); others are optional.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "account_id",
        "name",
        "stripe_customer_id",
        "segment",
        "plan",
        "csm_id",
        "created_at",
        "seats",
        "plan_conversation_limit",
        "advocacy_status",
    ),
    "users": ("user_id", "account_id", "email", "role", "created_at", "deactivated_at"),
    "events": ("event_id", "account_id", "user_id", "event_type", "feature_key", "occurred_at"),
    "onboarding_steps": ("account_id", "step_id", "program_id", "completed_at"),
    "nps_survey_sends": ("send_id", "account_id", "user_id", "sent_at", "trigger"),
    "nps_responses": (
        "response_id",
        "send_id",
        "account_id",
        "user_id",
        "score",
        "comment",
        "submitted_at",
        "followed_up_at",
    ),
    "cs_activities": ("activity_id", "account_id", "csm_id", "activity_type", "occurred_at"),
    "csms": ("csm_id", "name", "email"),
    "cs_tasks": (
        "task_id",
        "account_id",
        "csm_id",
        "playbook",
        "action_order",
        "created_at",
        "due_at",
        "completed_at",
        "outcome",
    ),
}
