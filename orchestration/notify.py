"""Delivering marts.cs_events to a webhook: `csw notify` and the csw_notify_sensor's job.

Reads the events of the published file only (never the build database): the publish step runs only
after every blocking check of the gate passed, so a blocked run leaves nothing new to deliver. Each
event is posted once per endpoint, oldest first, signed (transforms/events.py), with urllib3's Retry
doing the backoff on 5xx, connection errors and timeouts until `give_up_after_seconds`. Each
delivery is appended to `<warehouse>/notify/deliveries.jsonl` (fsynced) as soon as the endpoint
answered 2xx, so a crash loses at most the record of the one event in flight; that event, and one
whose timeout is retried after the endpoint took it, can arrive twice: receivers dedupe by
`event_id`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from transforms.events import (
    DeliveryConfig,
    PublicationRef,
    event_document,
    request_body,
    signature,
)

SECRET_ENV = "CSW_WEBHOOK_SECRET"
STATE_DIR = "notify"
STATE_FILE = "deliveries.jsonl"
PUBLISHED_VERDICTS = ("published", "published with warnings")


class NotifyUsageError(Exception):
    """Delivery cannot start as asked (no publication, no secret): nothing was sent."""


class NotifyRefused(Exception):
    """The endpoint answered 4xx: a setting to fix (URL, secret, payload shape); the run stopped."""


class NotifyGaveUp(Exception):
    """The endpoint kept failing or never answered until the give-up time; the run stopped."""


class NotifyBusy(Exception):
    """Another delivery to this warehouse is running."""


@dataclass(frozen=True)
class DeliveryReport:
    """What one run delivered: counts, and the publication it read."""

    publication: PublicationRef | None
    delivered: int
    already_delivered: int
    too_old: int


class _RetryUntil(Retry):
    """urllib3's Retry with a wall-clock limit: exhausted once `deadline` (monotonic) has passed,
    and never sleeping past it."""

    deadline: float = float("inf")

    def new(self, **kw: Any) -> _RetryUntil:
        retry = super().new(**kw)
        retry.deadline = self.deadline
        return retry

    def is_exhausted(self) -> bool:
        return time.monotonic() >= self.deadline or super().is_exhausted()

    def get_backoff_time(self) -> float:
        return max(0.0, min(super().get_backoff_time(), self.deadline - time.monotonic()))


def endpoint_key(url: str) -> str:
    """The endpoint's key in the state file: a hash, since webhook URLs (Slack's) are secrets."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def endpoint_label(url: str) -> str:
    """The endpoint as messages name it: scheme and host, never the secret path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def state_path(warehouse_dir: Path) -> Path:
    """The delivery log: beside the warehouse, never in the published file."""
    return warehouse_dir / STATE_DIR / STATE_FILE


def delivered_ids(warehouse_dir: Path, url: str) -> set[str]:
    """Event ids already delivered to `url` (a torn last line from a crash is ignored)."""
    path = state_path(warehouse_dir)
    if not path.exists():
        return set()
    key = endpoint_key(url)
    ids: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("endpoint") == key:
            ids.add(record["event_id"])
    return ids


def _record(warehouse_dir: Path, url: str, document: dict, status: int) -> None:
    path = state_path(warehouse_dir)
    line = json.dumps(
        {
            "endpoint": endpoint_key(url),
            "endpoint_label": endpoint_label(url),
            "event_id": document["event_id"],
            "event_type": document["event_type"],
            "occurred_on": document["occurred_on"],
            "publication_run_id": document["publication"]["run_id"],
            "status": status,
            "delivered_at": dt.datetime.now(dt.UTC).isoformat(),
        }
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


@contextmanager
def _delivery_lock(warehouse_dir: Path) -> Iterator[None]:
    lock_path = warehouse_dir / STATE_DIR / ".notify.lock"
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise NotifyBusy(
                f"another csw notify is delivering from {warehouse_dir}; run again when it ends"
            ) from exc
        yield


def published_events(published_db: Path) -> tuple[PublicationRef, list[dict[str, Any]]]:
    """The publication's own record and its events, oldest first, from the published file only."""
    if not published_db.exists():
        raise NotifyUsageError(
            f"no publication at {published_db}: run `csw run` first; nothing was sent"
        )
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        rows = con.execute(
            "select run_id, as_of_date, published_at, verdict from audit.publications "
            "order by published_at desc limit 1"
        ).fetchall()
        if not rows or rows[0][3] not in PUBLISHED_VERDICTS:
            raise NotifyUsageError(
                f"{published_db} holds no publication the gate passed "
                f"(audit.publications: {rows[0][3] if rows else 'empty'}); nothing was sent"
            )
        publication = PublicationRef(rows[0][0], rows[0][1], rows[0][2])
        has_events = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'cs_events'"
        ).fetchall()[0][0]
        if not has_events:
            return publication, []
        cursor = con.execute("select * from marts.cs_events order by occurred_on, event_id")
        names = [column[0] for column in cursor.description]
        events = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return publication, events


def _session(config: DeliveryConfig, deadline: float) -> requests.Session:
    retry = _RetryUntil(
        total=None,
        connect=10_000,
        read=10_000,
        status=10_000,
        other=0,
        redirect=0,
        allowed_methods=None,  # POST too: the receiver dedupes by event_id
        status_forcelist=tuple(range(500, 600)),
        backoff_factor=config.backoff_factor_seconds,
        backoff_max=config.backoff_max_seconds,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    retry.deadline = deadline
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def post_event(url: str, body: bytes, event_id: str, secret: str, config: DeliveryConfig) -> int:
    """POST one event with its signature, retrying until it is answered 2xx (its status is
    returned) or the give-up time passes (NotifyGaveUp); 4xx raises NotifyRefused."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-CSW-Event-Id": event_id,
        "X-CSW-Timestamp": timestamp,
        "X-CSW-Signature": signature(secret, timestamp, body),
    }
    started = time.monotonic()
    with _session(config, started + config.give_up_after_seconds) as session:
        try:
            response = session.post(
                url,
                data=body,
                headers=headers,
                # never one attempt longer than the whole give-up time
                timeout=(
                    min(config.connect_timeout_seconds, config.give_up_after_seconds),
                    min(config.read_timeout_seconds, config.give_up_after_seconds),
                ),
            )
        except requests.RequestException as exc:
            raise NotifyGaveUp(
                f"{endpoint_label(url)} could not be reached or never answered for event "
                f"{event_id} within {config.give_up_after_seconds:g} s "
                f"({type(exc).__name__}); run again later"
            ) from exc
    if response.status_code >= 500:
        raise NotifyGaveUp(
            f"{endpoint_label(url)} kept answering {response.status_code} for event {event_id} "
            f"for {config.give_up_after_seconds:g} s; run again later"
        )
    if response.status_code >= 300:
        raise NotifyRefused(
            f"{endpoint_label(url)} refused event {event_id} with {response.status_code} "
            f"({response.text[:200]!r}): check the URL, the secret and --format"
        )
    return response.status_code


def deliver(
    warehouse_dir: Path,
    url: str,
    body_format: str,
    config: DeliveryConfig,
    secret: str | None = None,
    say: Callable[[str], None] = print,
) -> DeliveryReport:
    """Deliver every event of the publication not yet delivered to `url`, oldest first; stops at
    the first event the endpoint does not take (the next run starts again there)."""
    secret = secret if secret is not None else os.environ.get(SECRET_ENV)
    if not secret:
        raise NotifyUsageError(
            f"set {SECRET_ENV} to the secret the endpoint checks signatures with; nothing was sent"
        )
    published_db = warehouse_dir / "published" / "analytics.duckdb"
    publication, events = published_events(published_db)
    (warehouse_dir / STATE_DIR).mkdir(parents=True, exist_ok=True)
    with _delivery_lock(warehouse_dir):
        done = delivered_ids(warehouse_dir, url)
        oldest = publication.as_of_date - dt.timedelta(days=config.max_event_age_days)
        pending = [e for e in events if e["event_id"] not in done and e["occurred_on"] > oldest]
        too_old = sum(1 for e in events if e["event_id"] not in done and e["occurred_on"] <= oldest)
        delivered = 0
        for event in pending:
            document = event_document(event, publication)
            body = request_body(document, body_format)
            try:
                status = post_event(url, body, event["event_id"], secret, config)
            except (NotifyGaveUp, NotifyRefused) as exc:
                left = len(pending) - delivered
                raise type(exc)(
                    f"{exc}. Delivered {delivered} of {len(pending)} new events; {left} left "
                    f"for the next run (delivery log: {state_path(warehouse_dir)})"
                ) from exc
            _record(warehouse_dir, url, document, status)
            delivered += 1
    say(
        f"delivered {delivered} new events to {endpoint_label(url)} from the publication of "
        f"{publication.as_of_date} (run {publication.run_id}); {len(done)} delivered before; "
        f"{too_old} older than {config.max_event_age_days} days not sent"
    )
    return DeliveryReport(publication, delivered, len(done), too_old)
