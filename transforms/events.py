"""Events for workflow tools (metrics.md §13): the body each webhook receives and its signature.

Pure: an event row and its publication in, the JSON body or the signature out. The delivery itself
(HTTP, retries, the state file) is orchestration/notify.py; the events are marts.cs_events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FORMATS = ("json", "slack")
SIGNATURE_PREFIX = "sha256="


@dataclass(frozen=True)
class DeliveryConfig:
    """How `csw notify` talks to an endpoint (config/events.yml, delivery)."""

    connect_timeout_seconds: float
    read_timeout_seconds: float
    backoff_factor_seconds: float
    backoff_max_seconds: float
    give_up_after_seconds: float
    max_event_age_days: int
    version: str


@dataclass(frozen=True)
class PublicationRef:
    """The publication an event was read from: its run id and as-of date."""

    run_id: str
    as_of_date: dt.date
    published_at: dt.datetime


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def event_document(event: Mapping[str, Any], publication: PublicationRef) -> dict[str, Any]:
    """The event as n8n's Webhook node (or any endpoint) receives it: flat fields, the id first."""
    return {
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "occurred_on": _plain(event["occurred_on"]),
        "account_id": event["account_id"],
        "csm_id": event["csm_id"],
        "observed_value": event["observed_value"],
        "operator": event["operator"],
        "threshold": event["threshold"],
        "detail": event["detail"],
        "cause": event["cause"],
        "source_table": event["source_table"],
        "publication": {
            "run_id": publication.run_id,
            "as_of_date": publication.as_of_date.isoformat(),
            "published_at": publication.published_at.isoformat(),
        },
    }


def slack_message(document: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message for the event: `text` (required by Slack) and the
    event's id, which Slack ignores and the receiver's logs keep."""
    observed = document["observed_value"]
    threshold = document["threshold"]
    reading = ""
    if observed is not None:
        reading = f" — observed {observed:g}"
        if threshold is not None:
            reading += f" ({document['operator']} {threshold:g})"
    csm = document["csm_id"] or "no CSM assigned"
    text = (
        f"*{document['event_type']}* · account `{document['account_id']}` · {csm} · "
        f"{document['occurred_on']}{reading}\n{document['detail'] or ''}"
    ).rstrip()
    return {"text": text, "event_id": document["event_id"]}


def request_body(document: Mapping[str, Any], body_format: str) -> bytes:
    """The bytes posted for one event in `body_format` (json or slack): compact, keys in order."""
    if body_format not in FORMATS:
        raise ValueError(f"unknown format {body_format!r}: one of {', '.join(FORMATS)}")
    payload = slack_message(document) if body_format == "slack" else dict(document)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """X-CSW-Signature: HMAC-SHA256 over `<timestamp>.<body>` with the shared secret, as sha256=<hex>."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()
