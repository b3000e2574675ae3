"""Time the daily health step (issue #28: "read, score, trends, write" for one day) at a size given
in accounts, on a copy of a real build warehouse scaled up, and print the figures.

Run: .venv/bin/python benchmarks/bench_health_day.py [--source BUILD_DB] [--accounts N]

The source is a build database a `csw run` wrote (default: the demo's,
data/warehouse/build/warehouse.duckdb). Its latest day of `int_account_daily_metrics`, the
`health_scores_daily` rows of the trend lookback before it, and its tickets are copied into a
scratch DuckDB file with every account repeated under new ids until at least N accounts of the live
book (the accounts scored) are on the day; the accounts outside it come along, as in a real day.
Then the step the `health_scores_daily` asset runs for a daily run (orchestration/assets/health.py:
read the ticket texts, `score_days` for the one day) runs three times, timed in its parts.
The scratch file holds the lookback window of history only; a real warehouse's older days add to
the table the day is written into, not to what is read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.assets.daily_metrics import read_metrics, read_ticket_texts
from orchestration.assets.health import read_earlier_scores, score_days
from orchestration.config import load_churn_signals_config, load_health_config
from orchestration.warehouse_io import replace_days
from transforms.health import scores_with_trends
from transforms.health_inputs import with_config_metrics
from transforms.population import live_book


def build_scratch(source: Path, target: Path, accounts: int, lookback: int) -> tuple[dt.date, int]:
    """The scaled copy; returns the day and the number of copies of each account."""
    con = duckdb.connect(str(target))
    con.execute(f"attach '{source}' as src (read_only)")
    day = con.execute(
        "select max(as_of_date) from src.intermediate.int_account_daily_metrics"
    ).fetchall()[0][0]
    live = con.execute(
        "select count(*) from src.intermediate.int_account_daily_metrics "
        "where as_of_date = ? and in_live_book",
        [day],
    ).fetchall()[0][0]
    copies = -(-accounts // live)
    for schema in ("intermediate", "transforms", "staging"):
        con.execute(f"create schema {schema}")
    renamed = "account_id || '~' || lpad(cast(i as varchar), 5, '0')"
    con.execute(
        f"""
        create table intermediate.int_account_daily_metrics as
        select * replace ({renamed} as account_id)
        from src.intermediate.int_account_daily_metrics, range(?) as r(i)
        where as_of_date = ?
        order by account_id
        """,
        [copies, day],
    )
    # the history the trends read, in date order as the daily runs append it
    con.execute(
        f"""
        create table transforms.health_scores_daily as
        select * replace ({renamed} as account_id)
        from src.transforms.health_scores_daily, range(?) as r(i)
        where as_of_date >= ? and as_of_date <= ?
        order by as_of_date, account_id
        """,
        [copies, day - dt.timedelta(days=lookback), day],
    )
    con.execute(
        f"""
        create table staging.stg_ticketing__organizations as
        select * replace (organization_id || '~' || i as organization_id, {renamed} as account_id)
        from src.staging.stg_ticketing__organizations, range(?) as r(i)
        """,
        [copies],
    )
    con.execute(
        """
        create table staging.stg_ticketing__tickets as
        select * replace (organization_id || '~' || i as organization_id)
        from src.staging.stg_ticketing__tickets, range(?) as r(i)
        """,
        [copies],
    )
    con.close()
    return day, copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=Path("data/warehouse/build/warehouse.duckdb")
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    args = parser.parse_args()
    health_config, signal_config = load_health_config(), load_churn_signals_config()
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir) / "scaled.duckdb"
        started = time.perf_counter()
        day, copies = build_scratch(
            args.source, scratch, args.accounts, health_config.trend_lookback_days
        )
        con = duckdb.connect(str(scratch))
        rows = con.execute(
            "select count(*) from intermediate.int_account_daily_metrics"
        ).fetchall()[0][0]
        history = con.execute("select count(*) from transforms.health_scores_daily").fetchall()
        tickets = con.execute("select count(*) from staging.stg_ticketing__tickets").fetchall()
        print(
            f"health day step: {rows:,} accounts on {day} ({copies:,} copies of each source "
            f"account), {history[0][0]:,} history rows, {tickets[0][0]:,} tickets; "
            f"scaled copy built in {time.perf_counter() - started:.1f} s"
        )
        for attempt in range(1, 4):
            t0 = time.perf_counter()
            texts = read_ticket_texts(con)
            t1 = time.perf_counter()
            written = score_days(con, [day], texts, health_config, signal_config)
            t2 = time.perf_counter()
            print(
                f"run {attempt}: {t2 - t0:.2f} s for {written:,} scores (ticket texts "
                f"{t1 - t0:.2f} s, score_days: read, score, trends, write {t2 - t1:.2f} s)"
            )
        # where score_days' time goes (the same calls, one at a time)
        t0 = time.perf_counter()
        metrics = read_metrics(con, [day])
        earlier = read_earlier_scores(con, [day], health_config)
        t1 = time.perf_counter()
        ready = with_config_metrics(live_book(metrics), texts, health_config, signal_config)
        t2 = time.perf_counter()
        scored = scores_with_trends(ready, earlier, health_config)
        t3 = time.perf_counter()
        replace_days(con, "transforms", "health_scores_daily", scored, [day])
        t4 = time.perf_counter()
        print(
            f"parts: read the day and the lookback {t1 - t0:.2f} s, inputs {t2 - t1:.2f} s, "
            f"score and trends {t3 - t2:.2f} s, write {t4 - t3:.2f} s"
        )
        con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak resident memory of the process: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
