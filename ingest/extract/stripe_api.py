"""`csw extract stripe`: customers, subscriptions, invoices, charges, refunds and coupons through
Stripe's official Python library, written one object per line exactly as the API returns it.

- Objects whose state keeps changing (customers, subscriptions, coupons) are listed whole on every
  extraction; a customer listed before and gone now is written as Stripe shows a deleted one,
  `{"id": …, "object": "customer", "deleted": true}`.
- Invoices, charges and refunds are listed by `created` from the previous extraction's newest one,
  less an overlap (an object can become visible a little after its `created` second); ids the
  previous extraction already wrote within the overlap are skipped. Those still able to change
  (draft/open/uncollectible invoices, pending charges and refunds) are remembered and retrieved
  again on the next extraction until they settle.
- Lists embed the first ten of an invoice's lines or a subscription's items; the rest are paged in
  so the written object holds them all (`has_more` is then false).
- 429 (rate limited), 5xx and connection errors are retried with exponential backoff (the library
  itself retries neither a 429 nor, by default, anything); paging resumes after the last object
  received, so nothing is written twice.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stripe

from ingest.extract.drop_writer import DropWriter
from ingest.extract.errors import ExtractError, SourceUnavailable

SOURCE = "stripe"
PAGE_SIZE = 100  # the API's maximum
OVERLAP_SECONDS = 3600
MAX_ATTEMPTS = 6
# Statuses after which an object no longer changes in ways the warehouse reads.
UNSETTLED = {
    "invoices": {"draft", "open", "uncollectible"},
    "charges": {"pending"},
    "refunds": {"pending", "requires_action"},
}


@dataclass(frozen=True)
class _Kind:
    name: str  # the file stem
    incremental: bool
    list_params: dict[str, Any]


KINDS = (
    _Kind("customers", False, {}),
    _Kind("subscriptions", False, {"status": "all"}),
    _Kind("coupons", False, {}),
    _Kind("invoices", True, {}),
    _Kind("charges", True, {}),
    _Kind("refunds", True, {}),
)


@dataclass
class StripeExtraction:
    drop_dir: Path
    row_counts: dict[str, int]


class _Api:
    """The library's calls with our retries and plain errors around them."""

    def __init__(
        self,
        client: stripe.StripeClient,
        retry_delay: float,
        say: Callable[[str], None],
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.client = client
        self.retry_delay = retry_delay
        self.say = say
        self.page_size = page_size

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """`fn()`, retried on rate limits, server errors and lost connections."""
        attempt = 0
        while True:
            try:
                return fn()
            except stripe.StripeError as exc:
                attempt += 1
                self._wait_or_raise(what, exc, attempt)

    def list_all(self, kind: str, params: dict[str, Any]) -> Iterator[Any]:
        """Every object of a list, auto-paged; after a failure, paging resumes after the last one."""
        service = getattr(self.client.v1, kind)
        last_id: str | None = None
        attempt = 0
        while True:
            page_params = {**params, "limit": self.page_size}
            if last_id is not None:
                page_params["starting_after"] = last_id
            try:
                for obj in service.list(params=page_params).auto_paging_iter():
                    last_id, attempt = obj["id"], 0
                    yield obj
                return
            except stripe.StripeError as exc:
                attempt += 1
                self._wait_or_raise(kind, exc, attempt)

    def _wait_or_raise(self, what: str, exc: stripe.StripeError, attempt: int) -> None:
        status = exc.http_status
        if isinstance(exc, stripe.AuthenticationError):
            raise ExtractError(
                f"Stripe refused the API key in STRIPE_API_KEY ({exc.user_message or exc}). "
                "Set a secret or restricted key of the account, with read access."
            ) from exc
        if isinstance(exc, stripe.PermissionError):
            raise ExtractError(
                f"the Stripe key may not read {what} ({exc.user_message or exc}); give the "
                "restricted key read access to customers, subscriptions, invoices, charges, "
                "refunds and coupons."
            ) from exc
        retryable = isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError) or (
            status is not None and (status == 429 or status >= 500)
        )
        if not retryable:
            raise exc
        if attempt >= MAX_ATTEMPTS:
            reason = "rate limited (429)" if status == 429 else str(exc).strip() or str(status)
            raise SourceUnavailable(
                f"Stripe kept failing on {what} after {MAX_ATTEMPTS} attempts: {reason}. "
                "Nothing was written; run the extraction again later."
            ) from exc
        delay = self.retry_delay * 2 ** (attempt - 1)
        self.say(f"stripe {what}: {status or 'no answer'}, retrying in {delay:.2f}s")
        time.sleep(delay)


def _dump(obj: Any) -> str:
    data = obj.to_dict(for_json=True) if hasattr(obj, "to_dict") else obj
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _complete_nested(api: _Api, kind: str, obj: Any) -> Any:
    """Page in the invoice lines or subscription items beyond the ten a list embeds."""
    data = obj.to_dict(for_json=True)
    if kind == "invoices":
        nested, fetch = data.get("lines"), lambda: api.client.v1.invoices.line_items
        params = {}
    elif kind == "subscriptions":
        nested, fetch = data.get("items"), lambda: api.client.v1.subscription_items
        params = {"subscription": data["id"]}
    else:
        return data
    if not isinstance(nested, dict) or not nested.get("has_more"):
        return data
    items = list(nested.get("data") or [])
    last = items[-1]["id"] if items else None
    while True:
        page_params = {**params, "limit": api.page_size}
        if last:
            page_params["starting_after"] = last
        if kind == "invoices":
            page = api.call(
                f"lines of {data['id']}",
                lambda p=page_params: fetch().list(data["id"], params=p),
            )
        else:
            page = api.call(f"items of {data['id']}", lambda p=page_params: fetch().list(params=p))
        items += [entry.to_dict(for_json=True) for entry in page.data]
        if not page.data or not page.has_more:
            break
        last = items[-1]["id"]
    nested["data"], nested["has_more"] = items, False
    return data


def extract_stripe(
    api_key: str,
    extracts_root: Path,
    drop_date: dt.date,
    *,
    api_base: str | None = None,
    timeout: float = 60.0,
    retry_delay: float = 1.0,
    page_size: int = PAGE_SIZE,
    progress: Callable[[str], None] = lambda _m: None,
) -> StripeExtraction:
    """Write `<extracts_root>/stripe/<drop_date>/`; nothing is left behind if it fails."""
    client = stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
    )
    api = _Api(client, retry_delay, progress, page_size)
    writer = DropWriter(extracts_root, SOURCE, drop_date)
    state = writer.open() or {}
    try:
        new_state: dict[str, Any] = {}
        for kind in KINDS:
            new_state[kind.name] = _extract_kind(api, writer, kind, state.get(kind.name) or {})
            progress(f"stripe {kind.name}.jsonl: {writer.row_counts[kind.name + '.jsonl']} objects")
        drop_dir = writer.commit(new_state, {"api_base": api_base or stripe.DEFAULT_API_BASE})
    except BaseException:
        writer.abort()
        raise
    return StripeExtraction(drop_dir, dict(writer.row_counts))


def _extract_kind(api: _Api, writer: DropWriter, kind: _Kind, previous: dict[str, Any]) -> dict:
    """Write one file; returns this kind's state for the next extraction."""
    seen: set[str] = set()
    written: list[str] = []
    newest = previous.get("newest_created")
    skip = set(previous.get("ids_in_overlap", [])) if kind.incremental else set()
    unsettled: dict[str, int] = {}
    created_of: dict[str, int] = {}
    params = dict(kind.list_params)
    if kind.incremental and newest is not None:
        params["created"] = {"gte": int(newest) - OVERLAP_SECONDS}
    path = writer.path(f"{kind.name}.jsonl")
    with path.open("w", encoding="utf-8") as out:

        def write(data: dict[str, Any]) -> None:
            seen.add(data["id"])
            written.append(data["id"])
            out.write(_dump(data) + "\n")
            created = data.get("created")
            created_of[data["id"]] = created
            if data.get("status") in UNSETTLED.get(kind.name, ()):
                unsettled[data["id"]] = created or 0

        service = getattr(api.client.v1, kind.name)
        was_unsettled = previous.get("unsettled", {})
        for obj in api.list_all(kind.name, params):
            object_id = obj["id"]
            if object_id in seen:
                continue
            if object_id in skip and object_id not in was_unsettled:
                # Written by the previous extraction and still inside the overlap window.
                created_of[object_id] = obj.to_dict().get("created")
                continue
            write(_complete_nested(api, kind.name, obj))
        for object_id in sorted(previous.get("unsettled", {})):
            if object_id in seen:
                continue
            try:
                obj = api.call(kind.name, lambda i=object_id: service.retrieve(i))
            except stripe.InvalidRequestError as exc:
                if exc.http_status == 404:
                    continue  # a draft invoice deleted since: nothing left to write
                raise
            write(_complete_nested(api, kind.name, obj))
        if kind.name == "customers":
            for gone in sorted(set(previous.get("ids", [])) - seen):
                written.append(gone)
                out.write(_dump({"id": gone, "object": "customer", "deleted": True}) + "\n")
    writer.record(f"{kind.name}.jsonl", len(written))
    state: dict[str, Any] = {}
    if kind.name == "customers":
        state["ids"] = sorted(seen)
    if kind.incremental:
        known = [c for c in created_of.values() if isinstance(c, int)]
        if newest is not None:
            known.append(int(newest))
        newest_now = max(known) if known else None
        state["newest_created"] = newest_now
        if newest_now is not None:
            cutoff = newest_now - OVERLAP_SECONDS
            state["ids_in_overlap"] = sorted(
                i for i, c in created_of.items() if isinstance(c, int) and c >= cutoff
            )
        state["unsettled"] = dict(sorted(unsettled.items()))
    return state
