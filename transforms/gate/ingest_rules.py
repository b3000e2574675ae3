"""Rules 8 and 11 of the publish gate: data fresh from every source, nothing lost on the way in.

Pure judges of the ingest log (audit.ingest_log), the quarantine and staged-against-raw row counts.
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


LOADED_STATUSES = ("loaded", "replaced", "unchanged")
R11 = "r11_nothing_lost"


def latest_ingests(ingest_log: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The files of each source's drop as its latest ingest saw them (drops up to `as_of`): an
    ingest logs every file of the drop at one load time, so earlier ingests are history."""
    dated = ingest_log.filter((pl.col("drop_date") <= as_of) & (pl.col("status") != "missing_drop"))
    return dated.filter(
        pl.col("loaded_at") == pl.col("loaded_at").max().over("source", "drop_date")
    )


def _lost_reason(row: dict) -> str | None:
    """Why a file's rows count as lost, or None."""
    if row["status"] == "missing_file":
        if row["manifest_rows"] is None:
            return None  # not extracted, and nothing declared it (sources.md)
        return f"declared by the manifest ({row['manifest_rows']} rows) but not read: " + (
            row["message"] or "missing from the drop"
        )
    if row["status"] not in LOADED_STATUSES:
        return None
    if row["rows_read"] != row["rows_loaded"] + row["rows_quarantined"]:
        return "rows read differ from rows loaded + quarantined"
    if row["manifest_rows"] is not None and row["manifest_rows"] != row["rows_read"]:
        return f"the manifest declares {row['manifest_rows']} rows, the file has {row['rows_read']}"
    return None


def nothing_lost(
    ingest_log: pl.DataFrame, as_of: dt.date, warn_on_quarantine: bool = True
) -> list[RuleResult]:
    """Rule 11: every file of every drop accounted for, as each drop's latest ingest saw it: rows
    read = loaded + quarantined, the manifest's count agrees, and every file the manifest declares
    was read (a missing or misnamed declared file is lost). Files no table reads are named (WARN).

    `ingest_log` has source, drop_date, file, status, rows_read, rows_loaded, rows_quarantined,
    manifest_rows, message and loaded_at.
    """
    files = latest_ingests(ingest_log, as_of)
    threshold = (
        "error on any loss; warn on any quarantine" if warn_on_quarantine else "error on any loss"
    )
    if files.is_empty():
        return [
            RuleResult(
                R11, "all files", "not_applicable", "0 files", threshold, "no file ingested yet"
            )
        ]
    results: list[RuleResult] = []
    for row in files.sort("source", "drop_date", "file").iter_rows(named=True):
        target = f"{row['source']}/{row['drop_date']}/{row['file']}"
        reason = _lost_reason(row)
        if reason is not None:
            observed = (
                f"read {row['rows_read']}, loaded {row['rows_loaded']}, quarantined "
                f"{row['rows_quarantined']}, manifest {row['manifest_rows']}"
            )
            results.append(RuleResult(R11, target, "fail", observed, threshold, reason))
        elif row["status"] == "ignored_file":
            declared = row["manifest_rows"]
            observed = "not read" + (f"; the manifest declares {declared} rows" if declared else "")
            message = (
                f"{row['file']}: no table reads a file of this name; it stays in the drop unread "
                "(a misnamed file: rename it and run again)"
            )
            results.append(RuleResult(R11, target, "warn", observed, threshold, message))
    loaded = files.filter(pl.col("status").is_in(LOADED_STATUSES))
    lost = sum(r.status == "fail" for r in results)
    quarantined = int(loaded["rows_quarantined"].sum() or 0)
    status: Status = "warn" if warn_on_quarantine and quarantined > 0 else "pass"
    results.append(
        RuleResult(
            R11,
            "all files",
            "fail" if lost else status,
            f"{loaded.height} files, {int(loaded['rows_read'].sum() or 0)} rows read, "
            f"{quarantined} quarantined, {lost} unreconciled",
            threshold,
            f"{quarantined} rows quarantined (see audit.quarantine_summary)"
            if quarantined
            else "every row loaded",
        )
    )
    return results


def quarantine_within_bounds(
    ingest_log: pl.DataFrame | None,
    quarantine: pl.DataFrame | None,
    emptied: dict[str, str],
    as_of: dt.date,
    window_start: dt.date,
    max_share: float,
    min_rows: int,
) -> list[RuleResult]:
    """Rule 11 (quarantine half): a quarantine that takes more than `max_share` of a source's rows
    in the run's drops (`window_start` … `as_of`, judged from `min_rows` rows read), or that left
    a raw table with no row at all, blocks: published tables would turn "no data" into zeros.

    `quarantine` has source, drop_date, file, rule, rows (raw.quarantine grouped); `emptied` maps
    each raw table left empty while its files had rows quarantined to the file stem feeding it.
    """
    threshold = (
        f"error when > {max_share:.0%} of a source's rows in the run's drops (from {min_rows} "
        "rows read), or when a table is left empty"
    )
    if ingest_log is None:
        return [not_applicable(R11, "quarantine share", "nothing ingested")]
    files = latest_ingests(ingest_log, as_of).filter(
        pl.col("status").is_in(LOADED_STATUSES) & (pl.col("drop_date") >= window_start)
    )
    rules = _rules_by_file(quarantine)
    results: list[RuleResult] = []
    per_source = files.group_by("source").agg(
        pl.col("rows_read").sum().alias("read"), pl.col("rows_quarantined").sum().alias("bad")
    )
    for source, read, bad in per_source.sort("source").iter_rows():
        if not bad or read < min_rows or bad / read <= max_share:
            continue
        culprits = files.filter((pl.col("source") == source) & (pl.col("rows_quarantined") > 0))
        named = "; ".join(
            f"{r['drop_date']}/{r['file']} {r['rows_quarantined']} of {r['rows_read']}"
            + _rules_note(rules.get((source, r["drop_date"], r["file"])))
            for r in culprits.sort("drop_date", "file").iter_rows(named=True)
        )
        results.append(
            RuleResult(
                R11,
                f"{source} quarantine share",
                "fail",
                f"{bad} of {read} rows ({bad / read:.1%})",
                threshold,
                f"{source}: the contracts rejected {bad / read:.1%} of the rows of the drops "
                f"{window_start} … {as_of}: {named}",
            )
        )
    for table, stem in sorted(emptied.items()):
        culprits = files.filter(pl.col("file").str.starts_with(f"{stem}."))
        named = "; ".join(
            f"{r['source']}/{r['drop_date']}/{r['file']}"
            + _rules_note(rules.get((r["source"], r["drop_date"], r["file"])))
            for r in culprits.sort("drop_date").iter_rows(named=True)
        )
        results.append(
            RuleResult(
                R11,
                table,
                "fail",
                "0 rows loaded",
                threshold,
                f"{table} is empty: every row delivered was quarantined ({named or 'earlier drops'})",
            )
        )
    if not results:
        results.append(
            RuleResult(
                R11, "quarantine share", "pass", f"{files.height} files", threshold, "within bounds"
            )
        )
    return results


def _rules_by_file(quarantine: pl.DataFrame | None) -> dict[tuple, list[tuple[str, int]]]:
    if quarantine is None or quarantine.is_empty():
        return {}
    grouped: dict[tuple, list[tuple[str, int]]] = {}
    for row in quarantine.sort("rows", descending=True).iter_rows(named=True):
        key = (row["source"], row["drop_date"], row["file"])
        grouped.setdefault(key, []).append((row["rule"], row["rows"]))
    return grouped


def _rules_note(rules: list[tuple[str, int]] | None) -> str:
    if not rules:
        return ""
    return " (" + ", ".join(f"{rule} ×{rows}" for rule, rows in rules[:3]) + ")"


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
        return [not_applicable(R11, "all sources", "nothing ingested")]
    return nothing_lost(ingest_log, as_of, warn_on_quarantine) + staged_counts(staged)
