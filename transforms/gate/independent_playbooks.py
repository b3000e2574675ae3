"""Rule 21's second computation of the playbook completion rate, from the raw CRM task rows.

It shares nothing with transforms/risk_cases.py or the staging SQL: it takes the rows of
raw.app_db__cs_tasks as ingest loaded them (every version of every task, with its drop date and
line), keeps each task's newest version by its own reading of "newest" (latest drop, then latest
line), leaves out tasks deleted at the source, and counts per month of the due time and CSM the
tasks due by the end of the as-of date and those done by their due time. The Wilson interval is
worked out here again, not imported.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

Z = 1.96


def newest_task_versions(raw: pl.DataFrame) -> pl.DataFrame:
    """Each task's last delivered version (drop date, then line), without the deleted ones."""
    ranked = raw.sort("_drop_date", "_line")
    newest = ranked.group_by("task_id", maintain_order=True).last()
    return newest.filter(pl.col("deleted_at").is_null())


def completion_counts(raw: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """month, scope ('csm' or 'all'), csm_id, due, done_by_due, from the raw task rows."""
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    tasks = newest_task_versions(raw).filter(
        pl.col("due_at").is_not_null() & (pl.col("due_at") < cutoff)
    )
    on_time = (
        (pl.col("outcome") == "done")
        & pl.col("completed_at").is_not_null()
        & (pl.col("completed_at") <= pl.col("due_at"))
    )
    rows = tasks.select(
        pl.date(pl.col("due_at").dt.year(), pl.col("due_at").dt.month(), 1).alias("month"),
        pl.col("csm_id"),
        on_time.fill_null(False).cast(pl.Int64).alias("on_time"),
    )
    per_csm = rows.group_by("month", "csm_id").agg(
        pl.len().cast(pl.Int64).alias("due"), pl.col("on_time").sum().alias("done_by_due")
    )
    everyone = rows.group_by("month").agg(
        pl.len().cast(pl.Int64).alias("due"), pl.col("on_time").sum().alias("done_by_due")
    )
    return pl.concat(
        [
            per_csm.select("month", pl.lit("csm").alias("scope"), "csm_id", "due", "done_by_due"),
            everyone.select(
                "month",
                pl.lit("all").alias("scope"),
                pl.lit(None, pl.String).alias("csm_id"),
                "due",
                "done_by_due",
            ),
        ]
    )


def wilson(successes: int, n: int) -> tuple[float, float]:
    """The Wilson score 95% interval of successes / n (n > 0)."""
    p = successes / n
    spread = Z * Z / n
    middle = (p + spread / 2) / (1 + spread)
    half = Z * math.sqrt(p * (1 - p) / n + spread / (4 * n)) / (1 + spread)
    return max(0.0, middle - half), min(1.0, middle + half)
