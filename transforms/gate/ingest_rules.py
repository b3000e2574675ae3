"""Rules 8 and 11 of the publish gate: data fresh from every source, nothing lost on the way in.

Pure judges of the ingest log (audit.ingest_log) and of staged-against-raw row counts.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.results import RuleResult, Status, not_applicable


def freshness(
    ingest_log: pl.DataFrame | None,
    as_of: dt.date,
    required_sources: list[str],
    warn_hours: float,
    error_hours: float,
) -> list[RuleResult]:
    """Rule 8: hours from the end of each source's latest delivered drop to the end of the as-of date.

    `ingest_log` has at least source, drop_date, status; `missing_drop` rows are not deliveries
    (None: nothing ingested yet).
    """
    if ingest_log is None:
        return [not_applicable("r08_freshness", "all sources", "nothing ingested")]
    delivered = ingest_log.filter(
        (pl.col("status") != "missing_drop") & (pl.col("drop_date") <= as_of)
    )
    latest = dict(delivered.group_by("source").agg(pl.col("drop_date").max()).iter_rows())
    threshold = f"warn > {warn_hours:g} h, error > {error_hours:g} h"
    results: list[RuleResult] = []
    for source in sorted(set(required_sources) | set(latest)):
        if source not in latest:
            results.append(
                RuleResult(
                    "r08_freshness",
                    source,
                    "fail",
                    "no drop",
                    threshold,
                    f"{source}: no drop delivered up to {as_of}",
                )
            )
            continue
        hours = (as_of - latest[source]).days * 24.0
        status: Status = "fail" if hours > error_hours else "warn" if hours > warn_hours else "pass"
        results.append(
            RuleResult(
                "r08_freshness",
                source,
                status,
                f"{hours:g} h",
                threshold,
                f"{source}: latest drop {latest[source]}, {hours:g} h before the end of {as_of}",
            )
        )
    return results


def nothing_lost(
    ingest_log: pl.DataFrame, as_of: dt.date, warn_on_quarantine: bool = True
) -> list[RuleResult]:
    """Rule 11: per file, rows read = rows loaded + rows quarantined, and the manifest's count agrees.

    `ingest_log` has source, drop_date, file, status, rows_read, rows_loaded, rows_quarantined,
    manifest_rows and loaded_at; only the latest delivery of each file counts (a re-ingest logs again).
    """
    files = (
        ingest_log.filter(
            (pl.col("drop_date") <= as_of)
            & pl.col("status").is_in(["loaded", "replaced", "unchanged"])
        )
        .sort("loaded_at")
        .unique(subset=["source", "drop_date", "file"], keep="last", maintain_order=True)
    )
    threshold = (
        "error on any loss; warn on any quarantine" if warn_on_quarantine else "error on any loss"
    )
    if files.is_empty():
        return [
            RuleResult(
                "r11_nothing_lost",
                "all files",
                "not_applicable",
                "0 files",
                threshold,
                "no file ingested yet",
            )
        ]
    lost = files.filter(
        (pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_quarantined"))
        | (pl.col("manifest_rows").is_not_null() & (pl.col("manifest_rows") != pl.col("rows_read")))
    )
    results: list[RuleResult] = []
    for row in lost.sort("source", "drop_date", "file").iter_rows(named=True):
        results.append(
            RuleResult(
                "r11_nothing_lost",
                f"{row['source']}/{row['drop_date']}/{row['file']}",
                "fail",
                f"read {row['rows_read']}, loaded {row['rows_loaded']}, quarantined {row['rows_quarantined']}, "
                f"manifest {row['manifest_rows']}",
                threshold,
                "rows read differ from rows loaded + quarantined, or from the manifest's count",
            )
        )
    totals = files.select(
        pl.len().alias("files"),
        pl.col("rows_read").sum().alias("read"),
        pl.col("rows_quarantined").sum().alias("quarantined"),
    ).row(0, named=True)
    quarantined = totals["quarantined"] or 0
    status: Status = "warn" if warn_on_quarantine and quarantined > 0 else "pass"
    results.append(
        RuleResult(
            "r11_nothing_lost",
            "all files",
            "fail" if not lost.is_empty() else status,
            f"{totals['files']} files, {totals['read']} rows read, {quarantined} quarantined, {lost.height} unreconciled",
            threshold,
            f"{quarantined} rows quarantined (see audit.quarantine_summary)"
            if quarantined
            else "every row loaded",
        )
    )
    return results


def staged_counts(counts: pl.DataFrame) -> list[RuleResult]:
    """Rule 11 (staging half): rows per staging model = raw rows after deduplication to the newest
    version per key. `counts` has raw_table, staging_model, raw_deduplicated, staged."""
    rule = "r11_nothing_lost"
    threshold = "error on any loss"
    results: list[RuleResult] = []
    for row in counts.sort("staging_model").iter_rows(named=True):
        if row["raw_deduplicated"] != row["staged"]:
            results.append(
                RuleResult(
                    rule,
                    f"staging.{row['staging_model']}",
                    "fail",
                    f"raw {row['raw_table']} deduplicated {row['raw_deduplicated']}, staged {row['staged']}",
                    threshold,
                    "staged rows differ from the raw rows after deduplication",
                )
            )
    results.append(
        RuleResult(
            rule,
            "staging models",
            "fail" if results else "pass",
            f"{counts.height} models compared, {len(results)} differ",
            threshold,
            "staging lost or invented rows" if results else "staged counts equal raw after dedup",
        )
    )
    return results


def nothing_lost_anywhere(
    ingest_log: pl.DataFrame | None,
    staged: pl.DataFrame | None,
    as_of: dt.date,
    warn_on_quarantine: bool = True,
) -> list[RuleResult]:
    """Rule 11 whole: every file's rows reconciled (`nothing_lost`), then every staging model
    against its raw rows (`staged_counts`); `not_applicable` while nothing is ingested (None)."""
    if ingest_log is None or staged is None:
        return [not_applicable("r11_nothing_lost", "all sources", "nothing ingested")]
    return nothing_lost(ingest_log, as_of, warn_on_quarantine) + staged_counts(staged)
