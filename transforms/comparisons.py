"""Threshold comparisons as the spec defines them: NULL never satisfies a rule, and a computed rate
equal to its threshold within 1e-9 relative counts as equal (metrics.md, conventions).

Counts are integers, so the tolerance never changes their result; for rates and scores it keeps
a value like 0.6000000000000001 or 4.999999999999999 on the side of the threshold it really is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

Operator = Literal["<", "<=", ">", ">=", "=="]
OPERATORS: tuple[Operator, ...] = ("<", "<=", ">", ">=", "==")

RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ThresholdRule:
    """`name` holds for a row when `input op threshold` holds (never where the input is NULL)."""

    name: str
    input: str
    op: Operator
    threshold: float


def tolerance(threshold: float) -> float:
    """Absolute slack for comparing against `threshold`: 1e-9 relative, 1e-9 absolute near zero."""
    return RELATIVE_TOLERANCE * max(abs(threshold), 1.0)


def holds(value: pl.Expr, op: Operator, threshold: float) -> pl.Expr:
    """True where `value op threshold` holds, False where it does not or where value is NULL."""
    slack = tolerance(threshold)
    if op == "<":
        result = value < threshold - slack
    elif op == "<=":
        result = value <= threshold + slack
    elif op == ">":
        result = value > threshold + slack
    elif op == ">=":
        result = value >= threshold - slack
    elif op == "==":
        result = (value - threshold).abs() <= slack
    else:
        raise ValueError(f"unknown comparison operator {op!r}; expected one of {OPERATORS}")
    return result.fill_null(False)


def round_half_away(value: pl.Expr, decimals: int = 0) -> pl.Expr:
    """Round for display, half away from zero, after snapping float noise below 1e-9.

    79.5 → 80 and 79.4 → 79; a weighted mean that lands on 79.49999999999999 for an exact 79.5
    still shows 80, which is what comparing within 1e-9 means for a displayed figure.
    """
    return value.round(9, mode="half_to_even").round(decimals, mode="half_away_from_zero")
