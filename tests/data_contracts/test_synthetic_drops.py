"""The default synthetic extracts through ingest: nothing lost, and quarantine = injected violations.

The generator logs each flaw it injects (kind, source, drop_date, file, line, record_id); the kinds
ending in "malformed" break a contract, so those lines, and only those, must be quarantined.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.loader import ingest_source_drop
from ingest.sources import SOURCES


@pytest.mark.slow
def test_synthetic_drops_nothing_lost_and_quarantine_matches_flaws(tmp_path: Path) -> None:
    from synthetic import generate_drops

    out = tmp_path / "extracts"
    generate_drops(out, accounts=300, months=14, seed=7)
    flaws_files = sorted(tmp_path.rglob("flaws.csv"))
    assert flaws_files, "the generator writes flaws.csv next to the drops"
    flaws = pl.read_csv(flaws_files[0], infer_schema=False)

    con = duckdb.connect()
    loaded_at = dt.datetime(2030, 1, 1)
    for source in SOURCES:
        source_dir = out / source
        if not source_dir.is_dir():
            continue
        for drop in sorted(p for p in source_dir.iterdir() if p.is_dir()):
            ingest_source_drop(con, source, out, dt.date.fromisoformat(drop.name), loaded_at)

    assert con.execute(
        "SELECT count(*) FROM audit.ingest_log WHERE rows_read <> rows_loaded + rows_quarantined"
    ).fetchall() == [(0,)]
    quarantined = {
        (s, d.isoformat(), f, line)
        for s, d, f, line in con.execute(
            "SELECT source, drop_date, file, line FROM raw.quarantine"
        ).fetchall()
    }
    expected = {
        (r["source"], r["drop_date"], r["file"], int(r["line"]))
        for r in flaws.filter(pl.col("kind").str.ends_with("malformed")).iter_rows(named=True)
    }
    assert quarantined == expected
