"""Rows per second extracting the application database from PostgreSQL (`csw extract app-db`).

    .venv/bin/python benchmarks/bench_extract.py [--accounts 10000 --months 12] [--work DIR]
        [--dsn postgresql://…]

Generates the synthetic drops (kept under --work, reused when present), starts a throwaway
PostgreSQL server (the tests' helper) unless --dsn is given, loads every app_db drop but the last
into it, then times in a child process (so its peak memory is the extraction's alone) the first,
full extraction, table by table; then applies the last drop and times the incremental extraction,
which reads every table's row versions to find the new ones. Prints the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from synthetic import generate_drops  # noqa: E402
from synthetic.postgres import apply_app_db_drop, create_app_tables, drop_dates  # noqa: E402


def _peak_rss_mib() -> float:
    """This process's peak resident memory. Not getrusage: Linux keeps ru_maxrss across exec, so
    a child would report the parent's peak (the loader's) when that was higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(dsn: str, out: Path, day: str) -> None:
    """Run one extraction and print per-table times and the process's peak memory as JSON."""
    from ingest.extract.app_db import extract_app_db

    marks: list[tuple[str, float]] = [("start", time.perf_counter())]
    result = extract_app_db(
        dsn,
        out,
        dt.date.fromisoformat(day),
        progress=lambda m: marks.append((m.split(":")[0].split()[-1], time.perf_counter())),
    )
    marks.append(("end", time.perf_counter()))
    per_table = {marks[i][0]: marks[i][1] - marks[i - 1][1] for i in range(1, len(marks) - 1)}
    print(
        json.dumps(
            {
                "mode": result.mode,
                "rows": result.row_counts,
                "seconds": per_table,
                "total_seconds": marks[-1][1] - marks[0][1],
                "peak_rss_mib": _peak_rss_mib(),
            }
        )
    )


def _extract(dsn: str, out: Path, day: dt.date) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", dsn, str(out), day.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _report(label: str, figures: dict) -> None:
    events = figures["rows"]["events.parquet"]
    seconds = figures["seconds"]["events.parquet"]
    total_rows = sum(figures["rows"].values())
    print(
        f"{label}: events {events:,} rows in {seconds:.1f} s ({events / seconds:,.0f} rows/s); "
        f"all tables {total_rows:,} rows in {figures['total_seconds']:.1f} s; "
        f"peak resident memory {figures['peak_rss_mib']:.0f} MiB"
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench_extract")
    parser.add_argument("--dsn", default=None, help="an empty database (default: start a server)")
    args = parser.parse_args()

    files = args.work / f"{args.accounts}x{args.months}" / "extracts"
    if not (files / "app_db").is_dir():
        start = time.perf_counter()
        # No injected flaws: a database's typed columns and keys could not hold them.
        generate_drops(files, accounts=args.accounts, months=args.months, seed=7, flaw_rate=0.0)
        print(f"generated {files} in {time.perf_counter() - start:.1f} s")
    dates = drop_dates(files)
    server = None
    dsn = args.dsn
    if dsn is None:
        from tests.ingest.extract.pg_server import PostgresServer

        server = PostgresServer().start()
        dsn = server.create_database("bench")
    try:
        out = args.work / f"{args.accounts}x{args.months}" / f"extracted-{int(time.time())}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            create_app_tables(conn)
            start = time.perf_counter()
            for day in dates[:-1]:
                apply_app_db_drop(conn, files / "app_db" / day.isoformat())
            print(
                f"loaded {len(dates) - 1} drops into PostgreSQL in {time.perf_counter() - start:.1f} s"
            )
            conn.execute("vacuum analyze")
        _report("full extraction", _extract(dsn, out, dates[-2]))
        with psycopg.connect(dsn, autocommit=True) as conn:
            apply_app_db_drop(conn, files / "app_db" / dates[-1].isoformat())
        _report("incremental extraction (one day's changes)", _extract(dsn, out, dates[-1]))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
