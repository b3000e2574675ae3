"""Threshold comparisons (NULL never holds, 1e-9 relative slack) and display rounding."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.comparisons import holds, round_half_away


def _holds(values: list[float | None], op: str, threshold: float) -> list[bool]:
    series = pl.Series("v", values, dtype=pl.Float64)
    return pl.select(holds(pl.lit(series), op, threshold)).to_series().to_list()


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        # values: 0.6 − 1e-7 (really below), 0.1+0.2+0.3 = 0.6000000000000001 (0.6 in floats
        # noise), 0.6, 0.6 + 1e-7 (really above), NULL
        ("<", [True, False, False, False, False]),
        ("<=", [True, True, True, False, False]),
        (">", [False, False, False, True, False]),
        (">=", [False, True, True, True, False]),
        ("==", [False, True, True, False, False]),
    ],
)
def test_holds_compares_within_1e_9_and_never_on_null(op: str, expected: list[bool]) -> None:
    values = [0.6 - 1e-7, 0.1 + 0.2 + 0.3, 0.6, 0.6 + 1e-7, None]
    assert _holds(values, op, 0.6) == expected


def test_unknown_operator_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown comparison operator"):
        holds(pl.col("x"), "=>", 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (79.5, 0, 80.0),
        (78.5, 0, 79.0),  # half away from zero, not to even (78)
        (79.49999999999999, 0, 80.0),  # float noise around an exact half
        (79.4, 0, 79.0),
        (-2.5, 0, -3.0),
        (0.125, 2, 0.13),
        (0.30434782608695654, 2, 0.3),
    ],
)
def test_round_half_away(value: float, decimals: int, expected: float) -> None:
    assert pl.select(round_half_away(pl.lit(value), decimals)).item() == expected
