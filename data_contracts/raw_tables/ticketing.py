"""Raw tables of the helpdesk (Zendesk Support): tickets, satisfaction ratings, organizations."""

from __future__ import annotations

from data_contracts.raw_tables.layout import RawTable, column

TABLES: tuple[RawTable, ...] = (
    RawTable(
        "ticketing",
        "tickets",
        "tickets",
        ("id",),
        (
            column("id", "BIGINT"),
            column("organization_id", "BIGINT"),
            column("requester_id", "BIGINT"),
            column("assignee_id", "BIGINT"),
            column("group_id", "BIGINT"),
            column("status", "VARCHAR", "new, open, pending, hold, solved, closed"),
            column("priority", "VARCHAR", "urgent, high, normal, low or NULL"),
            column("type", "VARCHAR", "problem, incident, question, task or NULL"),
            column("subject", "VARCHAR"),
            column("description", "VARCHAR"),
            column("tags", "VARCHAR[]", "as given; `escalated` is one of them"),
            column("created_at", "TIMESTAMP"),
            column("updated_at", "TIMESTAMP"),
            column("solved_at", "TIMESTAMP", "solved_at or metric_set.solved_at"),
            column(
                "reply_time_in_minutes_calendar",
                "BIGINT",
                "(metric_set.)reply_time_in_minutes.calendar",
            ),
            column(
                "full_resolution_time_in_minutes_calendar",
                "BIGINT",
                "(metric_set.)full_resolution_time_in_minutes.calendar",
            ),
        ),
        keep_raw_json=True,
    ),
    RawTable(
        "ticketing",
        "satisfaction_ratings",
        "satisfaction_ratings",
        ("id",),
        (
            column("id", "BIGINT"),
            column("ticket_id", "BIGINT"),
            column("organization_id", "BIGINT"),
            column("requester_id", "BIGINT"),
            column("assignee_id", "BIGINT"),
            column(
                "score", "VARCHAR", "good, bad, offered, unoffered (NULL when `rating` is used)"
            ),
            column("rating", "BIGINT", "1–5 (NULL when `score` is used)"),
            column("comment", "VARCHAR"),
            column("created_at", "TIMESTAMP"),
            column("updated_at", "TIMESTAMP"),
        ),
        keep_raw_json=True,
    ),
    RawTable(
        "ticketing",
        "organizations",
        "organizations",
        ("id",),
        (
            column("id", "BIGINT"),
            column("name", "VARCHAR"),
            column("external_id", "VARCHAR", "the app_db account_id"),
            column("created_at", "TIMESTAMP"),
            column("updated_at", "TIMESTAMP"),
        ),
        keep_raw_json=True,
    ),
)
