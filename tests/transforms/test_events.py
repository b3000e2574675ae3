"""The body and signature of an event (transforms/events.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from transforms.events import PublicationRef, event_document, request_body, signature

EVENT = {
    "event_id": "e1",
    "event_type": "nps_score_lte_6",
    "occurred_on": dt.date(2026, 11, 19),
    "account_id": "acc_000042",
    "csm_id": None,
    "cause": "resp_9",
    "observed_value": 3.0,
    "operator": "<=",
    "threshold": 6.0,
    "detail": "response resp_9",
    "source_table": "marts.nps_responses",
    "config_version": None,
    "as_of_date": dt.date(2026, 11, 20),
}
PUBLICATION = PublicationRef("run-7", dt.date(2026, 11, 20), dt.datetime(2026, 11, 21, 6, 5))


def test_the_signature_matches_openssl() -> None:
    # printf '%s' '1764900000.{"event_id":"e1"}' | openssl dgst -sha256 -hmac whsec_test
    expected = "9edcb66a34d6746e04d78c548acd7d9880fc91bf7490d53ebba7517f3b7f9293"
    assert signature("whsec_test", "1764900000", b'{"event_id":"e1"}') == f"sha256={expected}"


def test_the_json_body_carries_the_event_and_its_publication() -> None:
    body = json.loads(request_body(event_document(EVENT, PUBLICATION), "json"))
    assert body["event_id"] == "e1" and body["occurred_on"] == "2026-11-19"
    assert (body["observed_value"], body["operator"], body["threshold"]) == (3.0, "<=", 6.0)
    assert body["csm_id"] is None  # no CSM is not invented
    assert body["publication"] == {
        "run_id": "run-7",
        "as_of_date": "2026-11-20",
        "published_at": "2026-11-21T06:05:00",
    }


def test_the_slack_body_is_text_with_the_event_id() -> None:
    body = json.loads(request_body(event_document(EVENT, PUBLICATION), "slack"))
    assert set(body) == {"text", "event_id"}
    assert body["text"] == (
        "*nps_score_lte_6* · account `acc_000042` · no CSM assigned · 2026-11-19 — observed 3 (<= 6)"
        "\nresponse resp_9"
    )


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        request_body(event_document(EVENT, PUBLICATION), "xml")
