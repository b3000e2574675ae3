"""Rules 13, 14, 15 and 17 of the publish gate: what a published table must carry, and must not.

Pure judges: the anomalies as of the run (audit.anomalies), the published tables and the e-mail
scan of their text columns in, results out.
"""

from __future__ import annotations

import polars as pl

from transforms.gate.results import RuleResult, not_applicable

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


def outliers_investigated(anomalies: pl.DataFrame) -> list[RuleResult]:
    """Rule 13: WARN while any anomaly is open (not annotated in the reviewed annotations file)."""
    rule = "r13_outliers_investigated"
    open_ = anomalies.filter(pl.col("status") == "open")
    by_kind = open_.group_by("kind").len().sort("kind")
    kinds = ", ".join(f"{k} {n}" for k, n in by_kind.iter_rows())
    return [
        RuleResult(
            rule,
            "audit.anomalies",
            "warn" if open_.height else "pass",
            f"{open_.height} open of {anomalies.height} anomalies"
            + (f" ({kinds})" if kinds else ""),
            "warn on any open anomaly",
            "anomalies await review in config/anomaly_annotations.yml"
            if open_.height
            else "every anomaly reviewed",
        )
    ]


def confidence_intervals(
    tables: dict[str, pl.DataFrame], rates: dict[str, list[str]]
) -> list[RuleResult]:
    """Rule 14: every published sample-based rate has interval columns, filled wherever the rate is.

    `rates` maps "table.rate" to its [low, high] columns; `tables` holds the published tables present.
    """
    rule = "r14_confidence_intervals"
    results: list[RuleResult] = []
    for name, (low, high) in sorted(rates.items()):
        table, rate = name.rsplit(".", 1)
        if table not in tables:
            results.append(not_applicable(rule, name, f"{table} not built"))
            continue
        frame = tables[table]
        absent = [c for c in (rate, low, high) if c not in frame.columns]
        if absent:
            results.append(
                RuleResult(
                    rule,
                    name,
                    "fail",
                    f"missing columns {', '.join(absent)}",
                    "error on a rate without interval columns",
                    "a sample-based rate must publish its confidence interval",
                )
            )
            continue
        unfilled = frame.filter(
            pl.col(rate).is_not_null() & (pl.col(low).is_null() | pl.col(high).is_null())
        ).height
        results.append(
            RuleResult(
                rule,
                name,
                "fail" if unfilled else "pass",
                f"{unfilled} of {frame.height} rows with a rate and no interval",
                "error on a rate without its interval",
                "rate published without its confidence interval"
                if unfilled
                else "every rate has its interval",
            )
        )
    return results


def period_comparison(
    tables: dict[str, pl.DataFrame], periods: dict[str, dict]
) -> list[RuleResult]:
    """Rule 15: every KPI row has its period bounds and the previous period's value (or NULL with a
    reason), and a change is called significant only with its test.

    `periods` maps a table to {start, end, previous, previous_reason (optional), change (optional),
    significant (optional), p_value (optional)}.
    """
    rule = "r15_period_comparison"
    results: list[RuleResult] = []
    for table, spec in sorted(periods.items()):
        if table not in tables:
            results.append(not_applicable(rule, table, f"{table} not built"))
            continue
        frame = tables[table]
        wanted = [spec["start"], spec["end"], spec["previous"]] + [
            spec[k] for k in ("previous_reason", "change", "significant", "p_value") if spec.get(k)
        ]
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            results.append(
                RuleResult(
                    rule,
                    table,
                    "fail",
                    f"missing columns {', '.join(absent)}",
                    "error on a KPI row without period bounds or previous value",
                    "KPI rows must carry their period and the previous period's value",
                )
            )
            continue
        no_period = frame.filter(pl.col(spec["start"]).is_null() | pl.col(spec["end"]).is_null())
        unexplained = pl.col(spec["previous"]).is_null()
        if spec.get("previous_reason"):
            unexplained = unexplained & pl.col(spec["previous_reason"]).is_null()
        no_previous = frame.filter(unexplained)
        untested = 0
        if spec.get("significant"):
            untested = frame.filter(
                pl.col(spec["significant"]).fill_null(False) & pl.col(spec["p_value"]).is_null()
            ).height
        failed = no_period.height + no_previous.height + untested
        results.append(
            RuleResult(
                rule,
                table,
                "fail" if failed else "pass",
                f"{no_period.height} rows without period bounds, {no_previous.height} without previous "
                f"value or reason, {untested} called significant without a test, of {frame.height}",
                "error on any such row",
                "KPI rows lack period bounds or the previous period's value"
                if failed
                else "every row has its period and the previous period's value",
            )
        )
    return results
