"""Zendesk Support API objects (tickets, satisfaction ratings, organizations) flattened into raw rows.

Each `flatten_<object>` reports values of the wrong JSON type; the contracts of
data_contracts/ticketing.py then check the typed frames.
"""

from __future__ import annotations

from ingest.records import Flatten, RecordReader


def _metric(r: RecordReader, o: dict, name: str) -> int | None:
    """A ticket-metric field on the ticket itself or under a side-loaded `metric_set`."""
    metric = o.get(name)
    if metric is None and isinstance(o.get("metric_set"), dict):
        metric = o["metric_set"].get(name)
    column = f"{name}_calendar"
    if isinstance(metric, dict):
        return r.int_("tickets", column, metric.get("calendar"))
    return r.int_("tickets", column, metric)


def flatten_ticket(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A ticket as its row (metrics from the ticket or its side-loaded metric_set)."""
    t = "tickets"
    tags = o.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(x, str) for x in tags)):
        r.type_error(t, "tags", tags, "expected a list of strings")
        tags = None
    solved_at = o.get("solved_at")
    if solved_at is None and isinstance(o.get("metric_set"), dict):
        solved_at = o["metric_set"].get("solved_at")
    row = {
        "id": r.id_int(t, "id", o.get("id")),
        "organization_id": r.id_int(t, "organization_id", o.get("organization_id")),
        "requester_id": r.id_int(t, "requester_id", o.get("requester_id")),
        "assignee_id": r.id_int(t, "assignee_id", o.get("assignee_id")),
        "group_id": r.id_int(t, "group_id", o.get("group_id")),
        "status": r.str_(t, "status", o.get("status")),
        "priority": r.str_(t, "priority", o.get("priority")),
        "type": r.str_(t, "type", o.get("type")),
        "subject": r.str_(t, "subject", o.get("subject")),
        "description": r.str_(t, "description", o.get("description")),
        "tags": tags,
        "created_at": r.timestamp(t, "created_at", o.get("created_at")),
        "updated_at": r.timestamp(t, "updated_at", o.get("updated_at")),
        "solved_at": r.timestamp(t, "solved_at", solved_at),
        "reply_time_in_minutes_calendar": _metric(r, o, "reply_time_in_minutes"),
        "full_resolution_time_in_minutes_calendar": _metric(
            r, o, "full_resolution_time_in_minutes"
        ),
    }
    return {"tickets": [row]}


def flatten_satisfaction_rating(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """A satisfaction rating as its row."""
    t = "satisfaction_ratings"
    row = {
        "id": r.id_int(t, "id", o.get("id")),
        "ticket_id": r.id_int(t, "ticket_id", o.get("ticket_id")),
        "organization_id": r.id_int(t, "organization_id", o.get("organization_id")),
        "requester_id": r.id_int(t, "requester_id", o.get("requester_id")),
        "assignee_id": r.id_int(t, "assignee_id", o.get("assignee_id")),
        "score": r.str_(t, "score", o.get("score")),
        "rating": r.int_(t, "rating", o.get("rating")),
        "comment": r.str_(t, "comment", o.get("comment")),
        "created_at": r.timestamp(t, "created_at", o.get("created_at")),
        "updated_at": r.timestamp(t, "updated_at", o.get("updated_at")),
    }
    return {"satisfaction_ratings": [row]}


def flatten_organization(r: RecordReader, o: dict) -> dict[str, list[dict]]:
    """An organization as its row (an integer external_id read as text)."""
    t = "organizations"
    external_id = o.get("external_id")
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    row = {
        "id": r.id_int(t, "id", o.get("id")),
        "name": r.str_(t, "name", o.get("name")),
        "external_id": r.str_(t, "external_id", external_id),
        "created_at": r.timestamp(t, "created_at", o.get("created_at")),
        "updated_at": r.timestamp(t, "updated_at", o.get("updated_at")),
    }
    return {"organizations": [row]}


FLATTEN: dict[str, Flatten] = {
    "tickets": flatten_ticket,
    "satisfaction_ratings": flatten_satisfaction_rating,
    "organizations": flatten_organization,
}
