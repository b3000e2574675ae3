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


def _previous_compared(frame: pl.DataFrame, spec: dict) -> tuple[int, int, list[str]]:
    """Rule 15's comparison of each row's previous-period value with the previous period's own
    row of the same table (same `keys`; the row starting at `previous_start`, else the one ending
    the day before this one starts): (rows whose previous value differs from that row's
    `value`, rows carrying a previous value where no previous period's value exists, examples).
    A previous value that can be missing must be: NULL where the previous period's value is NULL
    or absent, except 0 before a series that `zero_before_first` starts from nothing."""
    keys = list(spec.get("keys") or [])
    start, end, previous, value = spec["start"], spec["end"], spec["previous"], spec["value"]
    first = pl.col(start).min().over(keys) if keys else pl.col(start).min()
    this = frame.with_columns(_first=pl.col(start) == first)
    if spec.get("previous_start"):
        this = this.with_columns(_previous_start=pl.col(spec["previous_start"]))
    earlier = frame.select(
        *keys,
        pl.col(start).alias("_earlier_start"),
        (pl.col(end).cast(pl.Date) + pl.duration(days=1)).alias("_after_end"),
        pl.col(value).alias("_earlier_value"),
        pl.lit(True).alias("_found"),
    )
    if spec.get("previous_start"):
        joined = this.join(
            earlier.drop("_after_end"),
            left_on=[*keys, "_previous_start"],
            right_on=[*keys, "_earlier_start"],
            how="left",
        )
    else:
        joined = this.join(
            earlier.drop("_earlier_start"),
            left_on=[*keys, start],
            right_on=[*keys, "_after_end"],
            how="left",
        )
    found = pl.col("_found").fill_null(False)
    mine, theirs = pl.col(previous).cast(pl.Float64), pl.col("_earlier_value").cast(pl.Float64)
    differs = found & (
        (mine.is_null() != theirs.is_null())
        | ((mine - theirs).abs() > 1e-9 * pl.max_horizontal(mine.abs(), theirs.abs(), pl.lit(1.0)))
    ).fill_null(False)
    zero_allowed = pl.col("_first") & pl.lit(bool(spec.get("zero_before_first"))) & (mine == 0)
    invented = ~found & mine.is_not_null() & ~zero_allowed.fill_null(False)
    examples = [
        ", ".join(f"{k} {r[k]}" for k in keys)
        + ("; " if keys else "")
        + f"{r[start]}: {previous} {r[previous]}, "
        + (
            "the previous period's " + f"{value} {r['_earlier_value']}"
            if r["_found"]
            else "no previous period's value"
        )
        for r in joined.filter(differs | invented).head(3).iter_rows(named=True)
    ]
    return joined.filter(differs).height, joined.filter(invented).height, examples


def period_comparison(
    tables: dict[str, pl.DataFrame], periods: dict[str, dict]
) -> list[RuleResult]:
    """Rule 15: every KPI row has its period bounds and the previous period's value (or NULL with a
    reason), and a change is called significant only with its test.

    `periods` maps a table to {start, end, previous, previous_reason (optional), change (optional),
    significant (optional), p_value (optional)} and, where the table holds the previous periods'
    rows, value, keys, previous_start and zero_before_first (optional: see `_previous_compared`):
    then each previous value is compared with what that period's row says, so that a previous
    value filled where there is none fails.
    """
    rule = "r15_period_comparison"
    results: list[RuleResult] = []
    for table, spec in sorted(periods.items()):
        if table not in tables:
            results.append(not_applicable(rule, table, f"{table} not built"))
            continue
        frame = tables[table]
        wanted = (
            [spec["start"], spec["end"], spec["previous"]]
            + [
                spec[k]
                for k in (
                    "previous_reason",
                    "change",
                    "significant",
                    "p_value",
                    "value",
                    "previous_start",
                )
                if spec.get(k)
            ]
            + list(spec.get("keys") or [])
        )
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
        differs, invented, examples = (
            _previous_compared(frame, spec) if spec.get("value") else (0, 0, [])
        )
        compared = (
            f", {differs} whose previous value is not the previous period's {spec['value']}, "
            f"{invented} with a previous value where that period has none"
            + (f": {'; '.join(examples)}" if examples else "")
            if spec.get("value")
            else ""
        )
        failed = no_period.height + no_previous.height + untested + differs + invented
        results.append(
            RuleResult(
                rule,
                table,
                "fail" if failed else "pass",
                f"{no_period.height} rows without period bounds, {no_previous.height} without previous "
                f"value or reason, {untested} called significant without a test, of {frame.height}"
                + compared,
                "error on any such row",
                "KPI rows lack period bounds or the previous period's value"
                if failed
                else "every row has its period and the previous period's value",
            )
        )
    return results
