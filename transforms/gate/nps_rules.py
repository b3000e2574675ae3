"""Rules 1, 9 and 10 of the publish gate: the NPS formula reproduced, samples large enough, surveys answered.

Rule 1 compares marts.nps_summary (transforms/nps.py) with audit.nps_independent_check (dbt SQL
straight from the staged responses). The two share no code, so agreement means something.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.results import RuleResult, Status, listed, not_applicable

FORMULA_RULE = "r01_nps_formula"
KEYS = ("period_type", "period_start", "segment")
COUNTS = ("responses", "promoters", "passives", "detractors")
#: NPS agreement: |published − independent| ≤ REL_TOL · max(1, |published|, |independent|); the
#: floor of 1 point keeps an NPS of exactly 0 comparable (a purely relative test cannot be).
REL_TOL = 1e-9
FORMULA_THRESHOLD = f"counts equal; NPS within {REL_TOL:g} relative"


def _require(frame: pl.DataFrame, name: str) -> None:
    """Stop with the columns rule 1 needs when a side lacks them."""
    missing = [c for c in (*KEYS, *COUNTS, "nps") if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing} needed by rule 1; it has {frame.columns}")


def _key_text(row: dict) -> str:
    """A period × segment row named as a result's target shows it."""
    return f"{row['period_type']} {row['period_start']} {row['segment']}"


def _row_problems(row: dict) -> list[str]:
    """How one period × segment row present on both sides differs: its counts, and its NPS where
    the published one is a number."""
    problems = [
        f"{c} {row[f'{c}_published']} vs {row[f'{c}_independent']}"
        for c in COUNTS
        if row[f"{c}_published"] != row[f"{c}_independent"]
    ]
    published_nps, independent_nps = row["nps_published"], row["nps_independent"]
    if published_nps is None:
        return problems
    if independent_nps is None:
        problems.append(f"nps {published_nps!r} vs NULL")
    elif abs(published_nps - independent_nps) > REL_TOL * max(
        1.0, abs(published_nps), abs(independent_nps)
    ):
        problems.append(
            f"nps {published_nps!r} vs {independent_nps!r} "
            f"(difference {published_nps - independent_nps:.3g})"
        )
    return problems


def nps_formula(
    published: pl.DataFrame | None, independent: pl.DataFrame | None
) -> list[RuleResult]:
    """Rule 1: per period_type × period_start × segment, counts equal and NPS equal within 1e-9.

    Rows with no responses on either side are not compared (the independent SQL has no row for a
    period without responses, the published table a row of zeros). The NPS is compared wherever
    the published one is a number (reportable); a published NPS without a counterpart fails. One
    `fail` per mismatching row with both sides' figures, then a summary row; `not_applicable` when
    neither side has a response, or when either table is not built (None).
    """
    if published is None:
        return [not_applicable(FORMULA_RULE, "marts.nps_summary", "no NPS summary built")]
    if independent is None:
        return [
            not_applicable(
                FORMULA_RULE,
                "marts.nps_summary",
                "no independent NPS recomputation available",
            )
        ]
    _require(published, "published")
    _require(independent, "independent")
    keys = list(KEYS)
    left = published.select(
        *keys, *[pl.col(c).alias(f"{c}_published") for c in (*COUNTS, "nps")]
    ).filter(pl.col("responses_published") > 0)
    right = independent.select(
        *keys, *[pl.col(c).alias(f"{c}_independent") for c in (*COUNTS, "nps")]
    ).filter(pl.col("responses_independent") > 0)
    if left.is_empty() and right.is_empty():
        return [
            RuleResult(
                FORMULA_RULE,
                "nps_summary",
                "not_applicable",
                "0 responses",
                FORMULA_THRESHOLD,
                "no NPS responses: there is no NPS to verify",
            )
        ]
    joined = left.join(right, on=keys, how="full", coalesce=True).sort(keys)
    results: list[RuleResult] = []
    compared_nps = 0
    for row in joined.iter_rows(named=True):
        target = f"nps_summary[{_key_text(row)}]"
        if row["responses_published"] is None or row["responses_independent"] is None:
            side = "published" if row["responses_independent"] is None else "independent"
            other = "independent" if side == "published" else "published"
            results.append(
                RuleResult(
                    FORMULA_RULE,
                    target,
                    "fail",
                    f"{side}: {row[f'responses_{side}']} responses; {other}: no row",
                    FORMULA_THRESHOLD,
                    f"responses in the {side} NPS that the {other} computation does not have",
                )
            )
            continue
        problems = _row_problems(row)
        if row["nps_published"] is not None:
            compared_nps += 1
        if problems:
            results.append(
                RuleResult(
                    FORMULA_RULE,
                    target,
                    "fail",
                    "published vs independent: " + "; ".join(problems),
                    FORMULA_THRESHOLD,
                    "the published NPS figures differ from the independent SQL computation",
                )
            )
    failed = len(results)
    results.append(
        RuleResult(
            FORMULA_RULE,
            "nps_summary",
            "fail" if failed else "pass",
            f"{joined.height} period × segment rows with responses, {compared_nps} NPS compared, "
            f"{failed} mismatching",
            FORMULA_THRESHOLD,
            "the published NPS equals the independent SQL computation"
            if not failed
            else "the published NPS differs from the independent SQL computation",
        )
    )
    return results


def nps_sample_size(
    summary: pl.DataFrame | None, min_responses: int, warn_responses: int, warn_quarter: int
) -> list[RuleResult]:
    """Rule 9: NPS is a number only with ≥ min_responses; warn below warn_responses (warn_quarter
    for quarters). `summary` has period_type, period_start, segment, responses, nps."""
    rule = "r09_nps_sample_size"
    target = "marts.nps_summary"
    if summary is None:
        return [not_applicable(rule, target, "no NPS summary built")]
    numbers = summary.filter(pl.col("nps").is_not_null())
    if summary.is_empty() or summary.get_column("responses").sum() == 0:
        return [not_applicable(rule, target, "no survey responses")]
    threshold = (
        f"error: a number with n < {min_responses}; warn: n < {warn_responses}, "
        f"< {warn_quarter} per quarter"
    )
    label = pl.format(
        "{} {} {}: n={}", "period_type", "period_start", "segment", "responses"
    ).alias("label")
    too_small = numbers.filter(pl.col("responses") < min_responses).select(label)
    small = numbers.filter(
        (pl.col("responses") >= min_responses)
        & (
            (pl.col("responses") < warn_responses)
            | ((pl.col("period_type") == "quarter") & (pl.col("responses") < warn_quarter))
        )
    ).select(label)
    if too_small.height:
        status: Status = "fail"
        rows = too_small.get_column("label").to_list()
    elif small.height:
        status = "warn"
        rows = small.get_column("label").to_list()
    else:
        status, rows = "pass", []
    return [
        RuleResult(
            rule,
            target,
            status,
            f"{numbers.height} NPS numbers; {too_small.height} with n < {min_responses}, "
            f"{small.height} small" + (f": {listed(rows, 3)}" if rows else ""),
            threshold,
            "NPS published from too few responses"
            if status == "fail"
            else "NPS from small samples"
            if status == "warn"
            else "every NPS number has a large enough sample",
        )
    ]


def survey_response_rate(
    summary: pl.DataFrame | None,
    as_of: dt.date,
    min_sends: int,
    error_below: float,
    warn_below: float,
) -> list[RuleResult]:
    """Rule 10: responses to a period's sends / those sends, where the period has ≥ min_sends sends.
    Only periods ended by the as-of date are rated: the sends of the days just past have had no
    time to be answered, so a period in progress would read as a collapse of the response rate.

    `summary` has period_type, period_start, period_end, segment, sends, responded_sends.
    """
    rule = "r10_response_rate"
    target = "marts.nps_summary"
    if summary is None:
        return [not_applicable(rule, target, "no NPS summary built")]
    if summary.is_empty() or summary.get_column("sends").sum() == 0:
        return [not_applicable(rule, target, "no survey sends")]
    rated = summary.filter(
        (pl.col("sends") >= min_sends) & (pl.col("period_end") <= as_of)
    ).with_columns(rate=pl.col("responded_sends") / pl.col("sends"))
    if rated.is_empty():
        return [not_applicable(rule, target, f"no ended period with ≥ {min_sends} sends")]
    threshold = (
        f"error < {error_below:.0%}, warn < {warn_below:.0%} (periods ended by the as-of date "
        f"with ≥ {min_sends} sends)"
    )
    label = pl.format(
        "{} {} {}: {}/{}", "period_type", "period_start", "segment", "responded_sends", "sends"
    ).alias("label")
    low = rated.filter(pl.col("rate") < error_below).select(label).get_column("label").to_list()
    weak = (
        rated.filter((pl.col("rate") >= error_below) & (pl.col("rate") < warn_below))
        .select(label)
        .get_column("label")
        .to_list()
    )
    status: Status = "fail" if low else "warn" if weak else "pass"
    rows = low or weak
    return [
        RuleResult(
            rule,
            target,
            status,
            f"{rated.height} periods rated; {len(low)} below {error_below:.0%}, {len(weak)} below "
            f"{warn_below:.0%}" + (f": {listed(rows, 3)}" if rows else ""),
            threshold,
            "survey response rate too low" if status != "pass" else "response rates adequate",
        )
    ]
