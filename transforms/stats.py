"""Interval estimates and significance tests for the sample-based rates the warehouse publishes.

Definitions follow metrics.md §7: Wilson score intervals for rates of counts, the adjusted-Wald
interval for NPS (Rocks 2016) and a two-sample z-test on the adjusted NPS for period-over-period
change. Each statistic comes twice: a scalar function for one figure and a Polars-expression
builder that computes it for every row of a frame at once. Both follow the same formulas and are
tested against the same hand-worked numbers.

Scales: proportions are in [0, 1]; NPS figures and their bounds are in points, [-100, 100].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

#: z for a two-sided 95% interval, as metrics.md fixes it (not the unrounded 1.959964…).
Z_95 = 1.96
#: Significance level of the change test (p < 0.05 is "significant").
ALPHA_95 = 0.05

_SUPPORTED_CONFIDENCE = {0.95: Z_95}


def z_for_confidence(confidence: float) -> float:
    """The z used for intervals at this confidence level; only 0.95 is defined by the spec."""
    for level, z in _SUPPORTED_CONFIDENCE.items():
        if math.isclose(confidence, level, rel_tol=0, abs_tol=1e-12):
            return z
    raise ValueError(
        f"confidence {confidence!r} is not supported: metrics.md defines intervals at 0.95 "
        "(z = 1.96); set `confidence: 0.95` in the configuration"
    )


# --------------------------------------------------------------------------- scalar versions


@dataclass(frozen=True)
class Interval:
    """A two-sided interval; both bounds None when the statistic is undefined (no observations)."""

    low: float | None
    high: float | None


@dataclass(frozen=True)
class AdjustedNps:
    """Adjusted-Wald NPS of one sample on the proportion scale: NPS′ in [-1, 1] and its Var′."""

    nps: float
    variance: float


@dataclass(frozen=True)
class NpsChange:
    """Two-period change test on the adjusted NPS: Δ (points), its SE (points), Z and two-sided p."""

    delta: float
    standard_error: float
    z: float
    p_value: float
    significant: bool


def _check_counts(n: int, **parts: int) -> None:
    if n < 0:
        raise ValueError(f"sample size must be ≥ 0, got n={n}")
    for name, value in parts.items():
        if value < 0 or value > n:
            raise ValueError(f"{name}={value} must lie between 0 and n={n}")
    if sum(parts.values()) > n:
        raise ValueError(f"{' + '.join(parts)} = {sum(parts.values())} exceeds n={n}")


def wilson_interval(successes: int, n: int, z: float = Z_95) -> Interval:
    """Wilson score interval for the proportion successes/n; undefined (None, None) when n = 0."""
    _check_counts(n, successes=successes)
    if n == 0:
        return Interval(None, None)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # The bounds are 0 and 1 exactly at k = 0 and k = n; clamp the float residue.
    return Interval(max(0.0, centre - half_width), min(1.0, centre + half_width))


def nps(promoters: int, detractors: int, n: int) -> float | None:
    """Net promoter score in points, 100·(P − D)/n, unrounded; None without responses."""
    _check_counts(n, promoters=promoters, detractors=detractors)
    if n == 0:
        return None
    return 100 * (promoters - detractors) / n


def adjusted_nps(promoters: int, detractors: int, n: int) -> AdjustedNps | None:
    """NPS′ and Var′ of the adjusted-Wald method (n′ = n + 3, ¾ added to P and D); None if n = 0."""
    _check_counts(n, promoters=promoters, detractors=detractors)
    if n == 0:
        return None
    n_adj = n + 3
    p_promoters = (promoters + 0.75) / n_adj
    p_detractors = (detractors + 0.75) / n_adj
    nps_adj = p_promoters - p_detractors
    variance = (p_promoters + p_detractors - nps_adj * nps_adj) / n_adj
    return AdjustedNps(nps_adj, variance)


def nps_interval(promoters: int, detractors: int, n: int, z: float = Z_95) -> Interval:
    """Adjusted-Wald interval for NPS in points, 100·(NPS′ ± z·√Var′), clipped to [-100, 100]."""
    adjusted = adjusted_nps(promoters, detractors, n)
    if adjusted is None:
        return Interval(None, None)
    half_width = z * math.sqrt(adjusted.variance)
    # Near-unanimous samples push the Wald bound past ±1, a value NPS cannot take.
    return Interval(
        max(-100.0, 100 * (adjusted.nps - half_width)),
        min(100.0, 100 * (adjusted.nps + half_width)),
    )


def normal_two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard-normal statistic: 2·(1 − Φ(|z|)) = erfc(|z|/√2)."""
    return math.erfc(abs(z) / math.sqrt(2))


def nps_change_test(
    earlier: tuple[int, int, int],
    later: tuple[int, int, int],
    alpha: float = ALPHA_95,
) -> NpsChange | None:
    """Test the change in NPS from `earlier` to `later`, each (promoters, detractors, n).

    Δ = NPS′₂ − NPS′₁, SE = √(Var′₁ + Var′₂), Z = Δ/SE; None when either period has no responses.
    """
    first = adjusted_nps(*earlier)
    second = adjusted_nps(*later)
    if first is None or second is None:
        return None
    delta = second.nps - first.nps
    standard_error = math.sqrt(first.variance + second.variance)
    z = delta / standard_error
    p_value = normal_two_sided_p(z)
    return NpsChange(100 * delta, 100 * standard_error, z, p_value, p_value < alpha)


# --------------------------------------------------------------------------- vectorised versions


def _expr(column: str | pl.Expr) -> pl.Expr:
    return pl.col(column) if isinstance(column, str) else column


def wilson_interval_exprs(
    successes: str | pl.Expr, n: str | pl.Expr, z: float = Z_95
) -> tuple[pl.Expr, pl.Expr]:
    """(low, high) expressions of the Wilson interval per row; NULL where n is 0 or NULL."""
    k = _expr(successes).cast(pl.Float64)
    total = _expr(n).cast(pl.Float64)
    p = k / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half_width = z / denominator * (p * (1 - p) / total + z2 / (4 * total * total)).sqrt()
    defined = total > 0
    low = pl.when(defined).then((centre - half_width).clip(lower_bound=0.0))
    high = pl.when(defined).then((centre + half_width).clip(upper_bound=1.0))
    return low, high


def nps_expr(promoters: str | pl.Expr, detractors: str | pl.Expr, n: str | pl.Expr) -> pl.Expr:
    """NPS in points per row, 100·(P − D)/n, unrounded; NULL where n is 0 or NULL."""
    total = _expr(n).cast(pl.Float64)
    value = 100 * (_expr(promoters).cast(pl.Float64) - _expr(detractors).cast(pl.Float64)) / total
    return pl.when(total > 0).then(value)


def adjusted_nps_exprs(
    promoters: str | pl.Expr, detractors: str | pl.Expr, n: str | pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """(NPS′, Var′) expressions per row on the proportion scale; NULL where n is 0 or NULL."""
    total = _expr(n).cast(pl.Float64)
    n_adj = total + 3
    p_promoters = (_expr(promoters).cast(pl.Float64) + 0.75) / n_adj
    p_detractors = (_expr(detractors).cast(pl.Float64) + 0.75) / n_adj
    nps_adj = p_promoters - p_detractors
    variance = (p_promoters + p_detractors - nps_adj * nps_adj) / n_adj
    defined = total > 0
    return pl.when(defined).then(nps_adj), pl.when(defined).then(variance)


def nps_interval_exprs(
    promoters: str | pl.Expr, detractors: str | pl.Expr, n: str | pl.Expr, z: float = Z_95
) -> tuple[pl.Expr, pl.Expr]:
    """(low, high) expressions of the adjusted-Wald NPS interval in points, clipped to ±100."""
    nps_adj, variance = adjusted_nps_exprs(promoters, detractors, n)
    half_width = z * variance.sqrt()
    low = (100 * (nps_adj - half_width)).clip(lower_bound=-100.0)
    high = (100 * (nps_adj + half_width)).clip(upper_bound=100.0)
    return low, high


def nps_change_exprs(
    earlier_nps_adj: str | pl.Expr,
    earlier_variance: str | pl.Expr,
    later_nps_adj: str | pl.Expr,
    later_variance: str | pl.Expr,
    alpha: float = ALPHA_95,
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(Δ in points, two-sided p, significant) expressions from NPS′ and Var′ of two periods.

    Any NULL input gives NULL outputs, so rows without a comparable previous period stay NULL.
    """
    delta = _expr(later_nps_adj) - _expr(earlier_nps_adj)
    standard_error = (_expr(earlier_variance) + _expr(later_variance)).sqrt()
    p_value = ((delta / standard_error).abs() / math.sqrt(2)).erfc()
    return 100 * delta, p_value, p_value < alpha
