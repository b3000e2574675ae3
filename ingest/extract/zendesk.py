"""`csw extract ticketing`: Zendesk tickets (with their metric sets), organisations and
satisfaction ratings through the incremental export APIs, written as the API returns them.

- Tickets: the cursor-based incremental export (`/api/v2/incremental/tickets/cursor.json`, with
  `include=metric_sets`); each ticket gets its side-loaded metric set as `metric_set`, the shape
  ingest reads. The `after_cursor` of the last page is the state: the next extraction continues
  from it.
- Organisations: the time-based incremental export; its `end_time` is the state.
- Satisfaction ratings have no incremental export: they are listed with cursor pagination from
  the newest `updated_at` of the previous extraction, less an overlap (Zendesk: the newest
  `updated_at` wins, so a rating seen twice across drops is harmless).
- An export may repeat an object within one run (updated while being exported): the drop keeps
  its newest version once.
- 429 waits for `Retry-After`; 5xx and timeouts are retried with backoff, repeating the same page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ingest.extract.drop_writer import DropWriter
from ingest.extract.errors import ExtractError, SourceUnavailable

SOURCE = "ticketing"
ENV_EMAIL, ENV_API_TOKEN, ENV_OAUTH = "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN"
MAX_ATTEMPTS = 6
MAX_RETRY_AFTER_SECONDS = 300
RATINGS_OVERLAP_SECONDS = 3600
PAGE_SIZE = 100


@dataclass
class ZendeskExtraction:
    drop_dir: Path
    row_counts: dict[str, int]


def credentials_from_env() -> httpx.Auth | dict[str, str]:
    """An OAuth bearer token, or e-mail plus API token, from the environment."""
    oauth = os.environ.get(ENV_OAUTH)
    if oauth:
        return {"Authorization": f"Bearer {oauth}"}
    email, token = os.environ.get(ENV_EMAIL), os.environ.get(ENV_API_TOKEN)
    if email and token:
        return httpx.BasicAuth(f"{email}/token", token)
    raise ExtractError(
        f"no Zendesk credentials: set {ENV_EMAIL} and {ENV_API_TOKEN} (an API token of an admin), "
        f"or {ENV_OAUTH}"
    )


class _Client:
    def __init__(
        self,
        base_url: str,
        credentials: httpx.Auth | dict[str, str],
        timeout: float,
        retry_delay: float,
        say: Callable[[str], None],
    ) -> None:
        headers = credentials if isinstance(credentials, dict) else {}
        auth = None if isinstance(credentials, dict) else credentials
        self.http = httpx.Client(base_url=base_url, headers=headers, auth=auth, timeout=timeout)
        self.base_url = base_url
        self.retry_delay = retry_delay
        self.say = say

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self.http.get(path, params=params)
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                problem = f"{type(exc).__name__}: {exc}"
                wait = self.retry_delay * 2 ** (attempt - 1)
            else:
                if response.status_code == 200:
                    return response.json()
                self._refuse(path, response)
                problem = f"HTTP {response.status_code}"
                wait = self.retry_delay * 2 ** (attempt - 1)
                if response.status_code == 429:
                    wait = _retry_after(response, wait)
            if attempt == MAX_ATTEMPTS:
                raise SourceUnavailable(
                    f"Zendesk at {self.base_url} kept failing on {path} after {MAX_ATTEMPTS} "
                    f"attempts ({problem}). Nothing was written; run the extraction again later."
                )
            self.say(f"ticketing {path}: {problem}, retrying in {wait:.2f}s")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _refuse(self, path: str, response: httpx.Response) -> None:
        code = response.status_code
        if code == 401:
            raise ExtractError(
                f"Zendesk at {self.base_url} refused the credentials ({ENV_EMAIL} + "
                f"{ENV_API_TOKEN}, or {ENV_OAUTH}): {response.text[:200]}"
            )
        if code == 403:
            raise ExtractError(
                f"Zendesk at {self.base_url} does not let these credentials read {path}; the "
                "incremental export needs an admin's token."
            )
        if code == 404:
            raise ExtractError(
                f"Zendesk at {self.base_url} has no {path}: check --subdomain (or --base-url)."
            )
        if code != 429 and code < 500:
            raise ExtractError(f"Zendesk answered {code} to {path}: {response.text[:200]}")


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(float(response.headers["Retry-After"]), MAX_RETRY_AFTER_SECONDS)
    except (KeyError, ValueError):
        return default


def extract_zendesk(
    subdomain: str,
    credentials: httpx.Auth | dict[str, str],
    extracts_root: Path,
    drop_date: dt.date,
    *,
    base_url: str | None = None,
    timeout: float = 60.0,
    retry_delay: float = 2.0,
    progress: Callable[[str], None] = lambda _m: None,
) -> ZendeskExtraction:
    """Write `<extracts_root>/ticketing/<drop_date>/`; nothing is left behind if it fails."""
    client = _Client(
        base_url or f"https://{subdomain}.zendesk.com", credentials, timeout, retry_delay, progress
    )
    writer = DropWriter(extracts_root, SOURCE, drop_date)
    state = writer.open() or {}
    try:
        new_state = {
            "tickets": _write_newest(writer, "tickets", _tickets(client, state.get("tickets"))),
            "organizations": _write_newest(
                writer, "organizations", _organizations(client, state.get("organizations"))
            ),
            "satisfaction_ratings": _write_newest(
                writer, "satisfaction_ratings", _ratings(client, state.get("satisfaction_ratings"))
            ),
        }
        for name, rows in writer.row_counts.items():
            progress(f"ticketing {name}: {rows} objects")
        drop_dir = writer.commit(new_state, {"base_url": client.base_url})
    except BaseException:
        writer.abort()
        raise
    finally:
        client.http.close()
    return ZendeskExtraction(drop_dir, dict(writer.row_counts))


# Each export yields its objects, then (last) the state for the next extraction.
_Export = Iterator[dict[str, Any]]


def _tickets(client: _Client, state: dict[str, Any] | None) -> _Export:
    path = "/api/v2/incremental/tickets/cursor.json"
    cursor = (state or {}).get("after_cursor")
    while True:
        params = {"include": "metric_sets"}
        params.update({"cursor": cursor} if cursor else {"start_time": 1})
        page = client.get(path, params)
        metrics = {m.get("ticket_id"): m for m in page.get("metric_sets") or []}
        for ticket in page.get("tickets") or []:
            if ticket.get("id") in metrics:
                ticket["metric_set"] = metrics[ticket["id"]]
            yield ticket
        cursor = page.get("after_cursor") or cursor
        if page.get("end_of_stream") or not page.get("tickets"):
            yield {"__state__": {"after_cursor": cursor}}
            return


def _organizations(client: _Client, state: dict[str, Any] | None) -> _Export:
    path = "/api/v2/incremental/organizations.json"
    start = int((state or {}).get("end_time") or 1)
    while True:
        page = client.get(path, {"start_time": start})
        yield from page.get("organizations") or []
        end_time = page.get("end_time")
        if end_time is not None:
            start = int(end_time)
        if page.get("end_of_stream") or end_time is None:
            yield {"__state__": {"end_time": start}}
            return


def _ratings(client: _Client, state: dict[str, Any] | None) -> _Export:
    path = "/api/v2/satisfaction_ratings.json"
    newest = (state or {}).get("newest_updated_at")
    params: dict[str, Any] = {"page[size]": PAGE_SIZE}
    if newest:
        params["start_time"] = max(1, int(newest) - RATINGS_OVERLAP_SECONDS)
    seen_newest = newest
    while True:
        page = client.get(path, params)
        for rating in page.get("satisfaction_ratings") or []:
            stamp = _epoch(rating.get("updated_at"))
            if stamp is not None and (seen_newest is None or stamp > seen_newest):
                seen_newest = stamp
            yield rating
        meta = page.get("meta") or {}
        if not meta.get("has_more") or not meta.get("after_cursor"):
            yield {"__state__": {"newest_updated_at": seen_newest}}
            return
        params = {"page[size]": PAGE_SIZE, "page[after]": meta["after_cursor"]}
        if newest:
            params["start_time"] = max(1, int(newest) - RATINGS_OVERLAP_SECONDS)


def _epoch(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _write_newest(writer: DropWriter, name: str, export: _Export) -> dict[str, Any]:
    """Write each object once, in its newest version (by updated_at, else the later one seen)."""
    state: dict[str, Any] = {}
    best: dict[Any, tuple[str, int]] = {}  # id -> (updated_at, line in the spool)
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=writer.temp_dir) as spool:
        line_no = -1
        for obj in export:
            if "__state__" in obj:
                state = obj["__state__"]
                continue
            line_no += 1
            spool.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
            stamp = str(obj.get("updated_at") or "")
            kept = best.get(obj.get("id"))
            if kept is None or stamp >= kept[0]:
                best[obj.get("id")] = (stamp, line_no)
        keep = {line for _stamp, line in best.values()}
        spool.seek(0)
        with writer.path(f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for line_no, line in enumerate(spool):
                if line_no in keep:
                    out.write(line)
    writer.record(f"{name}.jsonl", len(keep))
    return state
