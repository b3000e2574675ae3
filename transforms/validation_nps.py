"""Validation rule 1: the published NPS equals a second, independent computation (validation.md).

`published` is marts.nps_summary (transforms/nps.py), `independent` is audit.nps_independent_check
(dbt SQL straight from the staged responses). The two share no code, so agreement means something.
"""

from __future__ import annotations

import polars as pl

from transforms.validation import RuleResult

RULE = "r01_nps_formula"
KEYS = ("period_type", "period_start", "segment")
COUNTS = ("responses", "promoters", "passives", "detractors")
#: NPS agreement: |published − independent| ≤ REL_TOL · max(1, |published|, |independent|); the
#: floor of 1 point keeps an NPS of exactly 0 comparable (a purely relative test cannot be).
REL_TOL = 1e-9
THRESHOLD = f"counts equal; NPS within {REL_TOL:g} relative"


def _require(frame: pl.DataFrame, name: str) -> None:
    missing = [c for c in (*KEYS, *COUNTS, "nps") if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing} needed by rule 1; it has {frame.columns}")


def _key_text(row: dict) -> str:
    return f"{row['period_type']} {row['period_start']} {row['segment']}"


def nps_formula(published: pl.DataFrame, independent: pl.DataFrame) -> list[RuleResult]:
    """Rule 1: per period_type × period_start × segment, counts equal and NPS equal within 1e-9.

    Rows with no responses on either side are not compared (the independent SQL has no row for a
    period without responses, the published table a row of zeros). The NPS is compared wherever
    the published one is a number (reportable); a published NPS without a counterpart fails. One
    `fail` per mismatching row with both sides' figures, then a summary row; `not_applicable` when
    neither side has a response.
    """
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
                RULE,
                "nps_summary",
                "not_applicable",
                "0 responses",
                THRESHOLD,
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
                    RULE,
                    target,
                    "fail",
                    f"{side}: {row[f'responses_{side}']} responses; {other}: no row",
                    THRESHOLD,
                    f"responses in the {side} NPS that the {other} computation does not have",
                )
            )
            continue
        problems = [
            f"{c} {row[f'{c}_published']} vs {row[f'{c}_independent']}"
            for c in COUNTS
            if row[f"{c}_published"] != row[f"{c}_independent"]
        ]
        published_nps, independent_nps = row["nps_published"], row["nps_independent"]
        if published_nps is not None:
            compared_nps += 1
            if independent_nps is None:
                problems.append(f"nps {published_nps!r} vs NULL")
            elif abs(published_nps - independent_nps) > REL_TOL * max(
                1.0, abs(published_nps), abs(independent_nps)
            ):
                problems.append(
                    f"nps {published_nps!r} vs {independent_nps!r} "
                    f"(difference {published_nps - independent_nps:.3g})"
                )
        if problems:
            results.append(
                RuleResult(
                    RULE,
                    target,
                    "fail",
                    "published vs independent: " + "; ".join(problems),
                    THRESHOLD,
                    "the published NPS figures differ from the independent SQL computation",
                )
            )
    failed = len(results)
    results.append(
        RuleResult(
            RULE,
            "nps_summary",
            "fail" if failed else "pass",
            f"{joined.height} period × segment rows with responses, {compared_nps} NPS compared, "
            f"{failed} mismatching",
            THRESHOLD,
            "the published NPS equals the independent SQL computation"
            if not failed
            else "the published NPS differs from the independent SQL computation",
        )
    )
    return results
