"""Ticketing contracts: Zendesk Support API objects (tickets, satisfaction ratings, organizations).

`ingest/ticketing.py` turns each parsed object into its raw row; these contracts check the typed frames.
"""

from __future__ import annotations

import polars as pl

from data_contracts.contracts import (
    Contract,
    FrameRule,
    at_least,
    between,
    contract,
    enum,
    non_empty,
    not_earlier,
)

TICKET_STATUS = ("new", "open", "pending", "hold", "solved", "closed")
TICKET_PRIORITY = ("urgent", "high", "normal", "low")
TICKET_TYPE = ("problem", "incident", "question", "task")
SATISFACTION_SCORE = ("good", "bad", "offered", "unoffered")

CONTRACTS: dict[str, Contract] = {
    "tickets": contract(
        "ticketing__tickets",
        required=("id", "status", "created_at", "updated_at"),
        rules={
            "id": [at_least(1)],
            "status": [enum(TICKET_STATUS)],
            "priority": [enum(TICKET_PRIORITY)],
            "type": [enum(TICKET_TYPE)],
            "reply_time_in_minutes_calendar": [at_least(0)],
            "full_resolution_time_in_minutes_calendar": [at_least(0)],
        },
        frame_rules=[
            FrameRule(
                "ticketing.tickets.updated_after_created",
                pl.col("updated_at") >= pl.col("created_at"),
                "updated_at",
                "updated_at must not be before created_at",
            ),
            not_earlier("ticketing.tickets", "created_at", "solved_at", "solved_after_created"),
        ],
        happened=("created_at", "updated_at", "solved_at"),
        version="updated_at",
    ),
    "satisfaction_ratings": contract(
        "ticketing__satisfaction_ratings",
        required=("id", "ticket_id", "created_at"),
        rules={
            "id": [at_least(1)],
            "ticket_id": [at_least(1)],
            "score": [enum(SATISFACTION_SCORE)],
            "rating": [between(1, 5)],
        },
        frame_rules=[
            FrameRule(
                "ticketing.satisfaction_ratings.score_or_rating",
                pl.col("score").is_not_null() | pl.col("rating").is_not_null(),
                "score",
                "a rating needs a score (good, bad, offered, unoffered) or a rating 1–5",
            )
        ],
        happened=("created_at", "updated_at"),
        version="updated_at",
    ),
    "organizations": contract(
        "ticketing__organizations",
        required=("id", "created_at"),
        rules={"id": [at_least(1)], "external_id": [non_empty()]},
        happened=("created_at", "updated_at"),
        version="updated_at",
    ),
}

FILE_TABLES = {t: (t,) for t in CONTRACTS}
OBJECT_OF_FILE: dict[str, str | None] = {
    "tickets": None,
    "satisfaction_ratings": None,
    "organizations": None,
}
