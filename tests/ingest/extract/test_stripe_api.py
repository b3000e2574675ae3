"""`csw extract stripe` against a local server replaying Stripe's list pages (`has_more`,
`starting_after`) built from Stripe's own published example objects, with a 429 and a 500 mid-way."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ingest.extract.errors import ExtractError, SourceUnavailable
from ingest.extract.stripe_api import extract_stripe
from orchestration.cli import main
from tests.ingest.extract.replay_server import Failure, ReplayServer

# shared/ sits beside the repository (CI's clone and /work/main alike).
_RELATIVE = "shared/reference/real_inputs/stripe_openapi_fixtures/fixtures3.json"
FIXTURES = next(
    (
        p
        for p in (Path(__file__).resolve().parents[4] / _RELATIVE, Path("/work") / _RELATIVE)
        if p.is_file()
    ),
    Path("/work") / _RELATIVE,
)
KEY = "sk_test_replay"
KINDS = {
    "customers": "customer",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "charges": "charge",
    "refunds": "refund",
    "coupons": "coupon",
}


def _examples() -> dict[str, dict]:
    if not FIXTURES.is_file():
        pytest.fail(f"Stripe's example objects are expected at {FIXTURES}")
    return json.loads(FIXTURES.read_text())["resources"]


class FakeStripe:
    """Objects per list, newest first as Stripe lists them, served a page at a time."""

    def __init__(self, counts: dict[str, int]) -> None:
        examples = _examples()
        self.objects: dict[str, list[dict]] = {}
        for kind, n in counts.items():
            base = examples[KINDS[kind]]
            made = []
            for i in range(n):
                obj = copy.deepcopy(base)
                obj["id"] = f"{base['id']}_{i:03d}"
                obj["created"] = 1_760_000_000 + 600 * i
                made.append(obj)
            self.objects[kind] = sorted(made, key=lambda o: -o["created"])
        self.extra_lines: dict[str, list[dict]] = {}

    def route(self, path: str, query: dict[str, list[str]], headers: dict[str, str]):
        if headers.get("Authorization") != f"Bearer {KEY}":
            return 401, {}, {"error": {"type": "invalid_request_error",
                                       "message": "Invalid API Key provided: sk_test_****oops"}}  # fmt: skip
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if len(parts) == 3 and parts[2] == "lines":
            return (
                200,
                {},
                self._page(f"/v1/invoices/{parts[1]}/lines", self.extra_lines[parts[1]], query),
            )
        if parts[0] == "subscription_items":
            return 200, {}, self._page("/v1/subscription_items", [], query)
        kind = parts[0]
        if len(parts) == 2:
            found = [o for o in self.objects[kind] if o["id"] == parts[1]]
            if not found:
                return (
                    404,
                    {},
                    {"error": {"type": "invalid_request_error", "message": "No such object"}},
                )
            return 200, {}, found[0]
        rows = self.objects[kind]
        if "created[gte]" in query:
            rows = [o for o in rows if o["created"] >= int(query["created[gte]"][0])]
        return 200, {}, self._page(f"/v1/{kind}", rows, query)

    @staticmethod
    def _page(url: str, rows: list[dict], query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query.get("limit", ["10"])[0])
        after = query.get("starting_after", [None])[0]
        start = 0 if after is None else [o["id"] for o in rows].index(after) + 1
        page = rows[start : start + limit]
        return {"object": "list", "url": url, "has_more": start + limit < len(rows), "data": page}


def _lines(drop: Path, kind: str) -> list[dict]:
    return [json.loads(line) for line in (drop / f"{kind}.jsonl").read_text().splitlines()]


def _run(server: ReplayServer, out: Path, day: int, **kwargs: Any):
    return extract_stripe(
        KEY, out, dt.date(2026, 11, day), api_base=server.url, retry_delay=0.01, page_size=2,
        **kwargs,
    )  # fmt: skip


def test_every_object_once_through_a_429_and_a_500(tmp_path: Path) -> None:
    fake = FakeStripe({k: 5 for k in KINDS})
    failures = [
        Failure("/v1/customers", 2, 429, body={"error": {"type": "rate_limit_error"}}),
        Failure("/v1/invoices", 3, 500, body={"error": {"type": "api_error"}}),
    ]
    with ReplayServer(fake.route, failures) as server:
        result = _run(server, tmp_path, 20)

    for kind in KINDS:
        written = _lines(result.drop_dir, kind)
        assert [o["id"] for o in written] == [o["id"] for o in fake.objects[kind]], kind
        assert written == fake.objects[kind], f"{kind} not written exactly as served"
    manifest = json.loads((result.drop_dir / "_manifest.json").read_text())
    assert manifest["row_counts"] == {f"{k}.jsonl": 5 for k in KINDS}
    assert manifest["synthetic"] is False
    statuses = [(entry.path, entry.status) for entry in server.log]
    assert ("/v1/customers", 429) in statuses and ("/v1/invoices", 500) in statuses
    # The request after the 429 asked for the page after the last customer received, once.
    after_429 = server.log[[e.status for e in server.log].index(429) + 1]
    assert after_429.query["starting_after"] == [fake.objects["customers"][1]["id"]]
    assert [e.query["limit"] for e in server.log if e.path == "/v1/subscriptions"] == [["2"]] * 3
    assert [e.query.get("status") for e in server.log if e.path == "/v1/subscriptions"] == [
        ["all"]
    ] * 3


def test_the_next_extraction_takes_new_and_changed_objects_once(tmp_path: Path) -> None:
    fake = FakeStripe({k: 3 for k in KINDS})
    open_invoice = fake.objects["invoices"][0]
    open_invoice["status"] = "open"
    for invoice in fake.objects["invoices"][1:]:
        invoice["status"] = "paid"
    with ReplayServer(fake.route) as server:
        _run(server, tmp_path, 20)
        # Later: the open invoice is paid, a new invoice is created, a customer is deleted.
        open_invoice["status"] = "paid"
        new_invoice = copy.deepcopy(fake.objects["invoices"][1])
        new_invoice["id"], new_invoice["created"] = "in_new_001", 1_760_010_000
        fake.objects["invoices"].insert(0, new_invoice)
        gone = fake.objects["customers"].pop()
        second = _run(server, tmp_path, 21)

    invoices = _lines(second.drop_dir, "invoices")
    assert sorted(i["id"] for i in invoices) == sorted(["in_new_001", open_invoice["id"]])
    assert {i["id"]: i["status"] for i in invoices}[open_invoice["id"]] == "paid"
    assert _lines(second.drop_dir, "charges") == []  # all were read the first time
    customers = _lines(second.drop_dir, "customers")
    assert customers[-1] == {"id": gone["id"], "object": "customer", "deleted": True}
    assert len(customers) == 3  # customers are listed whole every time: two left, one deleted


def test_invoice_lines_beyond_the_embedded_page_are_paged_in(tmp_path: Path) -> None:
    fake = FakeStripe({"invoices": 1, **{k: 0 for k in KINDS if k != "invoices"}})
    invoice = fake.objects["invoices"][0]
    first_line = invoice["lines"]["data"][0]
    invoice["lines"]["has_more"] = True
    more = []
    for i in range(3):
        line = copy.deepcopy(first_line)
        line["id"] = f"il_more_{i}"
        more.append(line)
    fake.extra_lines[invoice["id"]] = [first_line, *more]
    with ReplayServer(fake.route) as server:
        result = _run(server, tmp_path, 20)
    [written] = _lines(result.drop_dir, "invoices")
    assert [line["id"] for line in written["lines"]["data"]] == [
        first_line["id"], "il_more_0", "il_more_1", "il_more_2",
    ]  # fmt: skip
    assert written["lines"]["has_more"] is False


def test_a_refused_key_is_named_and_leaves_no_drop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    fake = FakeStripe({k: 1 for k in KINDS})
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_wrong")
    with ReplayServer(fake.route) as server, pytest.raises(SystemExit) as exit_info:
        main(["extract", "stripe", "--out", str(tmp_path), "--api-base", server.url])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "Stripe refused the API key in STRIPE_API_KEY" in err and "Traceback" not in err
    assert [p for p in (tmp_path / "stripe").iterdir() if p.is_dir()] == []


def test_rate_limits_that_never_end_and_timeouts_give_up_cleanly(tmp_path: Path) -> None:
    fake = FakeStripe({k: 1 for k in KINDS})
    always_429 = [Failure("/v1/customers", n, 429) for n in range(1, 20)]
    with ReplayServer(fake.route, always_429) as server, pytest.raises(SourceUnavailable) as caught:
        _run(server, tmp_path, 20)
    assert "rate limited (429)" in caught.value.message and caught.value.exit_code == 4
    stalls = [Failure("/v1/customers", n, 0, stall_seconds=1.0) for n in range(1, 20)]
    with ReplayServer(fake.route, stalls) as server, pytest.raises(ExtractError) as caught:
        _run(server, tmp_path, 20, timeout=0.2)
    assert caught.value.exit_code == 4 and "Nothing was written" in caught.value.message
    assert [p for p in (tmp_path / "stripe").iterdir() if p.is_dir()] == []


def test_ingest_reads_every_extracted_object(tmp_path: Path) -> None:
    """The drop is one the loader already reads: every line of every file loaded or quarantined
    (Stripe's examples hold placeholder values the contracts reject on purpose), none ignored."""
    import duckdb

    from ingest.loader import ingest_source_drop

    fake = FakeStripe({k: 2 for k in KINDS})
    with ReplayServer(fake.route) as server:
        _run(server, tmp_path, 20)
    result = ingest_source_drop(
        duckdb.connect(), "stripe", tmp_path, dt.date(2026, 11, 20), dt.datetime(2026, 11, 21, 6)
    )
    read = {f.file: f.rows_read for f in result.files if f.status != "missing_file"}
    assert read == {f"{k}.jsonl": 2 for k in KINDS}
    assert all(f.rows_loaded + f.rows_quarantined == f.rows_read for f in result.files)
    assert not result.manifest_mismatches and not result.ignored_files
