"""RAW_TABLES.md is what the raw layout renders to."""

from __future__ import annotations

from data_contracts.raw_tables_doc import DOC_PATH, render


def test_raw_tables_doc_matches_the_layout() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render()
