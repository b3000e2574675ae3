"""The state commits with its drop: a crash between the two is resolved at the next start."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.extract.state import StateStore


def _store_with_pending(tmp_path: Path, drop_manifest_id: str | None) -> StateStore:
    source = tmp_path / "app_db"
    source.mkdir()
    (source / "_extract_state.json").write_text(json.dumps({"mark": "old"}))
    store = StateStore(source)
    store.write_pending({"mark": "new"}, "2026-11-21", "id-of-new")
    if drop_manifest_id is not None:  # the crash came after the drop was renamed into place
        drop = source / "2026-11-21"
        drop.mkdir()
        (drop / "_manifest.json").write_text(json.dumps({"extraction_id": drop_manifest_id}))
    return store


def test_a_pending_state_whose_drop_is_in_place_is_completed(tmp_path: Path) -> None:
    store = _store_with_pending(tmp_path, "id-of-new")
    assert store.load() == {"mark": "new"}
    assert not store.pending_path.exists()


def test_a_pending_state_without_its_drop_is_discarded(tmp_path: Path) -> None:
    store = _store_with_pending(tmp_path, None)
    assert store.load() == {"mark": "old"}
    assert not store.pending_path.exists()


def test_a_drop_of_another_extraction_does_not_complete_it(tmp_path: Path) -> None:
    store = _store_with_pending(tmp_path, "id-of-someone-else")
    assert store.load() == {"mark": "old"}
