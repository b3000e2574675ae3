"""A drop's manifest: row counts compared with the files, the synthetic flag and extraction time kept."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ingest.loader import ingest_source_drop
from tests.ingest.drops import D1, T1, write


def test_manifest_mismatch_is_reported_and_synthetic_flag_kept(tmp_path: Path, con) -> None:
    write(tmp_path, "fx_rates", D1, "fx_rates.csv", "date,currency,rate\n2025-03-04,EUR,1.08\n")
    manifest = {
        "extracted_at": "2025-03-05T06:00:00Z",
        "row_counts": {"fx_rates.csv": 2},
        "synthetic": True,
    }
    write(tmp_path, "fx_rates", D1, "_manifest.json", json.dumps(manifest))
    result = ingest_source_drop(con, "fx_rates", tmp_path, D1, T1)
    assert result.synthetic
    assert [f.file for f in result.manifest_mismatches] == ["fx_rates.csv"]
    assert con.execute(
        "SELECT rows_read, manifest_rows, manifest_mismatch, synthetic, extracted_at, status "
        "FROM audit.ingest_log"
    ).fetchall() == [(1, 2, True, True, dt.datetime(2025, 3, 5, 6, 0), "loaded")]
