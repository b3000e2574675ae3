"""`csw extract ticketing` against a local server replaying Zendesk's incremental exports: the
cursor-based ticket export with side-loaded metric sets and `end_of_stream`, the time-based
organisation export, cursor-paginated satisfaction ratings; a 429 and a 500 mid-way."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ingest.extract.zendesk import extract_zendesk
from orchestration.cli import main
from tests.ingest.extract.replay_server import Failure, ReplayServer

TOKEN = {"Authorization": "Bearer zd-replay"}


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ticket(ticket_id: int, updated: int, status: str = "open") -> dict[str, Any]:
    return {
        "url": f"https://example.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id, "external_id": None, "via": {"channel": "email"},
        "created_at": _iso(1_760_000_000), "updated_at": _iso(updated), "type": "incident",
        "subject": f"Bot stops answering #{ticket_id}", "raw_subject": "Bot stops answering",
        "description": "Since the last release the bot stops after two messages.",
        "priority": "high", "status": status, "recipient": None, "requester_id": 20978392,
        "submitter_id": 20978392, "assignee_id": 235323, "organization_id": 509974,
        "group_id": 98738, "collaborator_ids": [], "follower_ids": [], "has_incidents": False,
        "is_public": True, "due_at": None, "tags": ["enterprise", "escalated"],
        "custom_fields": [], "satisfaction_rating": None, "sharing_agreement_ids": [],
        "generated_timestamp": updated,
    }  # fmt: skip


def _metric_set(ticket_id: int) -> dict[str, Any]:
    return {
        "url": f"https://example.zendesk.com/api/v2/ticket_metrics/{ticket_id + 1000}.json",
        "id": ticket_id + 1000, "ticket_id": ticket_id, "group_stations": 1,
        "assignee_stations": 1, "reopens": 0, "replies": 2,
        "reply_time_in_minutes": {"calendar": 42, "business": 30},
        "first_resolution_time_in_minutes": {"calendar": 300, "business": 200},
        "full_resolution_time_in_minutes": {"calendar": 320, "business": 210},
        "solved_at": None, "created_at": _iso(1_760_000_000), "updated_at": _iso(1_760_000_100),
    }  # fmt: skip


class FakeZendesk:
    def __init__(self) -> None:
        # The ticket export's change log: ticket 2 changes while the export runs.
        self.ticket_log = [_ticket(i, 1_760_000_000 + i) for i in range(1, 6)]
        self.ticket_log.append(_ticket(2, 1_760_000_100, status="solved"))
        self.organizations = [
            {"url": f"https://example.zendesk.com/api/v2/organizations/{i}.json", "id": i,
             "name": f"Org {i}", "external_id": f"acc_{i:05d}", "created_at": _iso(1_750_000_000),
             "updated_at": _iso(1_750_000_000 + 10 * i), "domain_names": [], "tags": []}
            for i in range(1, 6)
        ]  # fmt: skip
        self.ratings = [
            {"url": f"https://example.zendesk.com/api/v2/satisfaction_ratings/{i}.json", "id": i,
             "assignee_id": 235323, "group_id": 98738, "requester_id": 20978392, "ticket_id": i,
             "score": "good" if i % 2 else "bad", "comment": None,
             "created_at": _iso(1_760_000_000 + i), "updated_at": _iso(1_760_000_000 + i)}
            for i in range(1, 4)
        ]  # fmt: skip

    def route(self, path: str, query: dict[str, list[str]], headers: dict[str, str]):
        if headers.get("Authorization") != TOKEN["Authorization"]:
            return 401, {}, {"error": "Couldn't authenticate you"}
        if path.endswith("/incremental/tickets/cursor.json"):
            assert query["include"] == ["metric_sets"]
            start = int(query["cursor"][0][1:]) if "cursor" in query else 0
            page = self.ticket_log[start : start + 2]
            end = start + len(page)
            return 200, {}, {
                "tickets": page, "metric_sets": [_metric_set(t["id"]) for t in page],
                "after_cursor": f"c{end}", "before_cursor": f"c{start}",
                "after_url": f"{path}?cursor=c{end}", "end_of_stream": end >= len(self.ticket_log),
            }  # fmt: skip
        if path.endswith("/incremental/organizations.json"):
            start = int(query["start_time"][0])
            rows = [o for o in self.organizations if _epoch(o["updated_at"]) >= start][:2]
            more = len([o for o in self.organizations if _epoch(o["updated_at"]) >= start]) > 2
            end_time = _epoch(rows[-1]["updated_at"]) if rows else start
            return 200, {}, {
                "organizations": rows, "count": len(rows), "end_time": end_time,
                "next_page": f"{path}?start_time={end_time}", "end_of_stream": not more,
            }  # fmt: skip
        if path.endswith("/satisfaction_ratings.json"):
            size = int(query["page[size]"][0])
            after = int(query.get("page[after]", ["0"])[0])
            rows = [r for r in self.ratings if r["id"] > after][:size]
            has_more = bool(rows) and rows[-1]["id"] < self.ratings[-1]["id"]
            return 200, {}, {
                "satisfaction_ratings": rows,
                "meta": {"has_more": has_more, "after_cursor": str(rows[-1]["id"]) if rows else None},
                "links": {"next": None},
            }  # fmt: skip
        return 404, {}, {"error": "InvalidEndpoint"}


def _epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _lines(drop: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (drop / f"{name}.jsonl").read_text().splitlines()]


def _run(server: ReplayServer, out: Path, day: int):
    return extract_zendesk(
        "example", TOKEN, out, dt.date(2026, 11, day), base_url=server.url, retry_delay=0.01
    )


def test_every_object_once_through_a_429_and_a_500(tmp_path: Path) -> None:
    fake = FakeZendesk()
    failures = [
        Failure("/api/v2/incremental/tickets", 2, 429, headers={"Retry-After": "0"}),
        Failure("/api/v2/incremental/organizations", 2, 500),
    ]
    with ReplayServer(fake.route, failures) as server:
        result = _run(server, tmp_path, 20)

    tickets = {t["id"]: t for t in _lines(result.drop_dir, "tickets")}
    assert sorted(tickets) == [1, 2, 3, 4, 5]  # ticket 2 once, in its newest version
    assert tickets[2]["status"] == "solved"
    assert tickets[3]["metric_set"]["reply_time_in_minutes"] == {"calendar": 42, "business": 30}
    assert {k: v for k, v in tickets[4].items() if k != "metric_set"} == fake.ticket_log[3]
    organizations = _lines(result.drop_dir, "organizations")
    assert sorted(o["id"] for o in organizations) == [1, 2, 3, 4, 5]
    assert sorted(r["id"] for r in _lines(result.drop_dir, "satisfaction_ratings")) == [1, 2, 3]
    manifest = json.loads((result.drop_dir / "_manifest.json").read_text())
    assert manifest["row_counts"] == {
        "organizations.jsonl": 5, "satisfaction_ratings.jsonl": 3, "tickets.jsonl": 5,
    }  # fmt: skip
    statuses = [e.status for e in server.log]
    assert 429 in statuses and 500 in statuses
    # The page refused with 429 was asked for again with the same cursor.
    refused = statuses.index(429)
    assert server.log[refused + 1].query == server.log[refused].query


def test_the_next_extraction_continues_from_the_cursor(tmp_path: Path) -> None:
    fake = FakeZendesk()
    with ReplayServer(fake.route) as server:
        _run(server, tmp_path, 20)
        fake.ticket_log.append(_ticket(6, 1_760_000_200))
        fake.ticket_log.append(_ticket(4, 1_760_000_300, status="pending"))
        second = _run(server, tmp_path, 21)
        cursors = [e.query.get("cursor") for e in server.log if "tickets" in e.path]
    tickets = {t["id"]: t["status"] for t in _lines(second.drop_dir, "tickets")}
    assert tickets == {6: "open", 4: "pending"}
    assert ["c6"] in cursors  # the second extraction started where the first ended


def test_refused_credentials_are_named_and_leave_no_drop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("ZENDESK_OAUTH_TOKEN", raising=False)
    monkeypatch.setenv("ZENDESK_EMAIL", "admin@example.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "wrong")
    with ReplayServer(FakeZendesk().route) as server, pytest.raises(SystemExit) as exit_info:
        main(["extract", "ticketing", "--subdomain", "example", "--base-url", server.url,
              "--out", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "refused the credentials (ZENDESK_EMAIL + ZENDESK_API_TOKEN" in err
    assert "Traceback" not in err
    assert [p for p in (tmp_path / "ticketing").iterdir() if p.is_dir()] == []


def test_ingest_loads_the_extracted_drop(tmp_path: Path) -> None:
    """The drop is one the loader already reads: every object loaded, the metric set's figures in
    the ticket's columns."""
    import duckdb

    from ingest.loader import ingest_source_drop

    with ReplayServer(FakeZendesk().route) as server:
        _run(server, tmp_path, 20)
    con = duckdb.connect()
    result = ingest_source_drop(
        con, "ticketing", tmp_path, dt.date(2026, 11, 20), dt.datetime(2026, 11, 21, 6)
    )
    assert {f.file: (f.rows_read, f.rows_loaded) for f in result.files} == {
        "tickets.jsonl": (5, 5), "organizations.jsonl": (5, 5),
        "satisfaction_ratings.jsonl": (3, 3),
    }  # fmt: skip
    assert not result.manifest_mismatches and not result.ignored_files
    assert con.execute(
        "select reply_time_in_minutes_calendar, full_resolution_time_in_minutes_calendar "
        "from raw.ticketing__tickets where id = 3"
    ).fetchall() == [(42, 320)]
