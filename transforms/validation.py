"""The publish gate's rules as pure functions: frames in, one result per rule and target out.

Each rule of ../shared/spec/validation.md that is implemented here returns `RuleResult`s; the
orchestration layer reads the frames from the build database, records the results in
audit.check_results and blocks publication on any ERROR.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

Status = Literal["pass", "warn", "fail", "not_applicable"]


@dataclass(frozen=True)
class RuleResult:
    rule: str
    target: str
    status: Status
    observed: str
    threshold: str
    message: str

    @property
    def blocks(self) -> bool:
        return self.status == "fail"


def freshness(
    ingest_log: pl.DataFrame,
    as_of: dt.date,
    required_sources: list[str],
    warn_hours: float,
    error_hours: float,
) -> list[RuleResult]:
    """Rule 8: hours from the end of each source's latest delivered drop to the end of the as-of date.

    `ingest_log` has at least source, drop_date, status; `missing_drop` rows are not deliveries.
    """
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


EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"


def personal_data(hits: pl.DataFrame) -> list[RuleResult]:
    """Rule 17: `hits` has table, column, rows (rows whose text holds an e-mail address) for every text column scanned."""
    threshold = "error on any"
    offending = hits.filter(pl.col("rows") > 0).sort("table", "column")
    results = [
        RuleResult(
            "r17_personal_data",
            f"{row['table']}.{row['column']}",
            "fail",
            f"{row['rows']} rows with an e-mail address",
            threshold,
            "published text must carry no e-mail address (redact to [email])",
        )
        for row in offending.iter_rows(named=True)
    ]
    results.append(
        RuleResult(
            "r17_personal_data",
            "all text columns",
            "fail" if results else "pass",
            f"{hits.height} columns scanned, {offending.height} with addresses",
            threshold,
            "no e-mail address in published text"
            if not results
            else "e-mail addresses in published text",
        )
    )
    return results
