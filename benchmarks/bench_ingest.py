"""Time ingest of the default synthetic drops (2000 accounts × 24 months) and print the figures.

    .venv/bin/python benchmarks/bench_ingest.py [--accounts 2000 --months 24]

Generates the drops into a temporary folder, then ingests every drop of every source into a fresh
DuckDB file with the real loader, timing generation and ingest separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb

from ingest.loader import ingest_source_drop
from ingest.sources import SOURCES
from synthetic import generate_drops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "extracts"
        start = time.perf_counter()
        summary = generate_drops(out, accounts=args.accounts, months=args.months)
        generated = time.perf_counter() - start
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        loaded_at = dt.datetime(2026, 11, 24, 6)
        rows = 0
        start = time.perf_counter()
        for drop_date in summary.drop_dates:
            for source in SOURCES:
                result = ingest_source_drop(con, source, out, drop_date, loaded_at)
                rows += sum(f.rows_read for f in result.files)
        ingested = time.perf_counter() - start
        con.close()
    print(
        f"accounts={args.accounts} months={args.months} drops={len(summary.drop_dates)} events={summary.n_events}"
    )
    print(f"generate: {generated:.1f} s")
    print(f"ingest:   {ingested:.1f} s for {rows} rows ({rows / ingested:,.0f} rows/s)")


if __name__ == "__main__":
    main()
