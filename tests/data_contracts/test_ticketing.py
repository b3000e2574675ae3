"""The Zendesk contracts: a satisfaction rating needs a score or a rating of 1 to 5."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.loader import ingest_source_drop
from tests.ingest.drops import D1, T1, jsonl, write


def test_zendesk_ratings_accept_score_or_rating(tmp_path: Path) -> None:
    con = duckdb.connect()
    ratings = jsonl(
        {"id": 1, "ticket_id": 10, "score": "good", "created_at": "2025-03-04T10:00:00Z"},
        {"id": 2, "ticket_id": 11, "rating": 4, "created_at": "2025-03-04T10:00:00Z"},
        {"id": 3, "ticket_id": 12, "rating": 6, "created_at": "2025-03-04T10:00:00Z"},
        {"id": 4, "ticket_id": 13, "created_at": "2025-03-04T10:00:00Z"},
    )
    write(tmp_path, "ticketing", D1, "satisfaction_ratings.jsonl", ratings)
    ingest_source_drop(con, "ticketing", tmp_path, D1, T1)
    assert con.execute(
        "SELECT id, score, rating FROM raw.ticketing__satisfaction_ratings ORDER BY id"
    ).fetchall() == [(1, "good", None), (2, None, 4)]
    assert con.execute("SELECT line, rule FROM raw.quarantine ORDER BY line").fetchall() == [
        (3, "ticketing.satisfaction_ratings.rating_range"),
        (4, "ticketing.satisfaction_ratings.score_or_rating"),
    ]
