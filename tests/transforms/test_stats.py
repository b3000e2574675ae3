"""Wilson and adjusted-Wald NPS statistics against numbers worked out by hand.

Every expected value below is derived in the comments from the formulas of metrics.md §7 with
pencil-and-calculator arithmetic; the code under test is never used to produce one. The scalar and
the Polars-expression versions are checked against the same numbers.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import polars as pl
import pytest

from transforms import stats

REL = 1e-9


# 40 promoters, 35 passives, 25 detractors (n = 100):
#   NPS      = 100·(40 − 25)/100                       = 15
#   n′       = 100 + 3                                  = 103
#   p′P      = (40 + 0.75)/103 = 40.75/103               = 0.3956310680
#   p′D      = (25 + 0.75)/103 = 25.75/103               = 0.25 (exactly: 103/4 = 25.75)
#   NPS′     = p′P − p′D = 15/103                        = 0.1456310680
#   NPS′²    = 225/10609                                 = 0.0212084080
#   Var′     = (0.3956310680 + 0.25 − 0.0212084080)/103
#            = 0.6244226600/103                          = 0.006062355922
#   √Var′                                               = 0.0778611323
#   1.96·√Var′                                          = 0.1526078193
#   low      = 100·(0.1456310680 − 0.1526078193)         = −0.69767513
#   high     = 100·(0.1456310680 + 0.1526078193)         = 29.82388873
NPS_40_25 = (40, 25, 100)
ADJ_40_25 = 0.1456310680
VAR_40_25 = 0.006062355922
LOW_40_25 = -0.69767513
HIGH_40_25 = 29.82388873


def test_nps_point_estimate_is_unrounded_percentage_difference() -> None:
    assert stats.nps(*NPS_40_25) == 15.0
    # 100·(10 − 11)/30 = −3.3333…: kept unrounded, rounding happens only at display.
    assert stats.nps(10, 11, 30) == pytest.approx(-10 / 3, rel=REL)
    assert stats.nps(0, 0, 0) is None


def test_adjusted_wald_nps_components_for_40_35_25() -> None:
    adjusted = stats.adjusted_nps(*NPS_40_25)
    assert adjusted is not None
    assert adjusted.nps == pytest.approx(ADJ_40_25, abs=1e-10)
    assert adjusted.variance == pytest.approx(VAR_40_25, abs=1e-12)


def test_adjusted_wald_interval_for_40_35_25() -> None:
    interval = stats.nps_interval(*NPS_40_25)
    assert interval.low == pytest.approx(LOW_40_25, abs=1e-7)
    assert interval.high == pytest.approx(HIGH_40_25, abs=1e-7)


def test_nps_interval_second_sample_30_responses() -> None:
    # 15 promoters, 6 passives, 9 detractors (n = 30): n′ = 33
    #   p′P = 15.75/33 = 0.4772727273, p′D = 9.75/33 = 0.2954545455
    #   NPS′ = 6/33 = 0.1818181818, NPS′² = 0.0330578512
    #   Var′ = (0.4772727273 + 0.2954545455 − 0.0330578512)/33 = 0.7396694215/33 = 0.0224142249
    #   √Var′ = 0.1497138100, ×1.96 = 0.2934390675
    #   interval = 100·(0.1818181818 ∓ 0.2934390675) = [−11.16208857, 47.52572493]
    interval = stats.nps_interval(15, 9, 30)
    assert interval.low == pytest.approx(-11.16208857, abs=1e-7)
    assert interval.high == pytest.approx(47.52572493, abs=1e-7)


def test_nps_interval_is_clipped_to_the_scale() -> None:
    # 30 promoters of 30: p′P = 30.75/33 = 0.9318181818, p′D = 0.75/33 = 0.0227272727,
    # NPS′ = 30/33 = 0.9090909091, Var′ = (0.9545454545 − 0.8264462810)/33 = 0.0038817932,
    # √Var′ = 0.0623040384, high = 100·(0.9090909091 + 0.1221159153) = 103.12 → clipped to 100.
    # low = 100·(0.9090909091 − 0.1221159153) = 78.69749938 stays.
    interval = stats.nps_interval(30, 0, 30)
    assert interval.high == 100.0
    assert interval.low == pytest.approx(78.6974994, abs=1e-6)


def test_no_responses_gives_no_interval() -> None:
    assert stats.adjusted_nps(0, 0, 0) is None
    assert stats.nps_interval(0, 0, 0) == stats.Interval(None, None)


def test_counts_that_do_not_add_up_are_rejected() -> None:
    with pytest.raises(ValueError, match="exceeds n=10"):
        stats.nps(6, 5, 10)
    with pytest.raises(ValueError, match="between 0 and n"):
        stats.wilson_interval(11, 10)


# Change test, earlier period 40/35/25 as above (NPS′₁ = 0.1456310680, Var′₁ = 0.006062355922).
#
# Later period 55 promoters, 25 passives, 20 detractors (n = 100):
#   p′P = 55.75/103 = 0.5412621359, p′D = 20.75/103 = 0.2014563107
#   NPS′₂ = 35/103 = 0.3398058252, NPS′₂² = 1225/10609 = 0.1154679989
#   Var′₂ = (0.5412621359 + 0.2014563107 − 0.1154679989)/103 = 0.6272504477/103 = 0.006089810172
#   Δ = 35/103 − 15/103 = 20/103 = 0.1941747573 → 19.41747573 points
#   SE = √(0.006062355922 + 0.006089810172) = √0.012152166094 = 0.1102368636
#   Z = 0.1941747573/0.1102368636 = 1.76143216
#   p = 2·(1 − Φ(1.76143216)) = 2·(1 − 0.96091736) = 0.0781653 → not significant
def test_change_test_not_significant() -> None:
    change = stats.nps_change_test(NPS_40_25, (55, 20, 100))
    assert change is not None
    assert change.delta == pytest.approx(19.41747573, abs=1e-7)
    assert change.standard_error == pytest.approx(11.02368636, abs=1e-7)
    assert change.z == pytest.approx(1.76143216, abs=1e-7)
    assert change.p_value == pytest.approx(0.0781653, abs=1e-6)
    # Cross-check the erfc route against the normal CDF of the standard library.
    assert change.p_value == pytest.approx(2 * (1 - NormalDist().cdf(1.76143216)), abs=1e-8)
    assert change.significant is False


# Either side of p = 0.05, later periods with 20 detractors (n = 100):
#   57 promoters: p′P = 57.75/103 = 0.5606796117, NPS′₂ = 37/103 = 0.3592233010,
#     Var′₂ = (0.7621359224 − 0.1290413800)/103 = 0.006146548955,
#     Δ = 22/103 = 0.2135922330, SE = √(0.012208904877) = 0.1104939133,
#     Z = 1.93306786, p = 0.05322784 → not significant
#   58 promoters: p′P = 58.75/103 = 0.5703883495, NPS′₂ = 38/103 = 0.3689320388,
#     Var′₂ = (0.7718446602 − 0.1361108493)/103 = 0.006172172922,
#     Δ = 23/103 = 0.2233009709, SE = √(0.012234528844) = 0.1106098045,
#     Z = 2.01881716, p = 0.04350623 → significant
@pytest.mark.parametrize(
    ("promoters", "z", "p_value", "significant"),
    [(57, 1.93306786, 0.05322784, False), (58, 2.01881716, 0.04350623, True)],
)
def test_change_test_threshold(promoters: int, z: float, p_value: float, significant: bool) -> None:
    change = stats.nps_change_test(NPS_40_25, (promoters, 20, 100))
    assert change is not None
    assert change.z == pytest.approx(z, abs=1e-7)
    assert change.p_value == pytest.approx(p_value, abs=1e-7)
    assert change.significant is significant


def test_change_test_is_symmetric_in_sign() -> None:
    # Swapping the periods negates Δ and Z and leaves p unchanged (two-sided).
    change = stats.nps_change_test((55, 20, 100), NPS_40_25)
    assert change is not None
    assert change.delta == pytest.approx(-19.41747573, abs=1e-7)
    assert change.z == pytest.approx(-1.76143216, abs=1e-7)
    assert change.p_value == pytest.approx(0.0781653, abs=1e-6)


def test_change_test_needs_both_periods() -> None:
    assert stats.nps_change_test((0, 0, 0), NPS_40_25) is None


# Wilson, 12 responses to 80 sends: p = 0.15, z² = 3.8416, z²/n = 0.04802
#   centre = (0.15 + 0.02401)/1.04802 = 0.17401/1.04802 = 0.1660369077
#   half   = 1.96/1.04802 · √(0.15·0.85/80 + 3.8416/(4·6400))
#          = 1.8701933 · √(0.00159375 + 0.00015006) = 1.8701933 · 0.0417590 = 0.0780973673
#   → [0.0879395404, 0.2441342750]
# 0 of 10: centre = half = (0.38416/2)/1.38416 = 0.1387700844 → [0, 0.2775401688]
# 10 of 10: centre = (1 + 0.19208)/1.38416 = 0.8612299156 → [0.7224598312, 1]
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (12, 80, 0.0879395404, 0.2441342750),
        (0, 10, 0.0, 0.2775401688),
        (10, 10, 0.7224598312, 1.0),
    ],
)
def test_wilson_interval(k: int, n: int, low: float, high: float) -> None:
    interval = stats.wilson_interval(k, n)
    assert interval.low == pytest.approx(low, abs=1e-9)
    assert interval.high == pytest.approx(high, abs=1e-9)


def test_wilson_interval_without_observations_is_null() -> None:
    assert stats.wilson_interval(0, 0) == stats.Interval(None, None)


def test_only_95_percent_confidence_is_defined() -> None:
    assert stats.z_for_confidence(0.95) == 1.96
    with pytest.raises(ValueError, match="confidence: 0.95"):
        stats.z_for_confidence(0.9)


# --------------------------------------------------------------------------- vectorised


def test_expressions_match_the_hand_numbers_row_by_row() -> None:
    frame = pl.DataFrame(
        {
            "promoters": [40, 15, 30, 0],
            "detractors": [25, 9, 0, 0],
            "n": [100, 30, 30, 0],
            "k": [12, 0, 10, 0],
            "sends": [80, 10, 10, 0],
        }
    )
    nps_low, nps_high = stats.nps_interval_exprs("promoters", "detractors", "n")
    adj, var = stats.adjusted_nps_exprs("promoters", "detractors", "n")
    w_low, w_high = stats.wilson_interval_exprs("k", "sends")
    out = frame.select(
        nps=stats.nps_expr("promoters", "detractors", "n"),
        adj=adj,
        var=var,
        nps_low=nps_low,
        nps_high=nps_high,
        w_low=w_low,
        w_high=w_high,
    )
    assert out["nps"].to_list()[:3] == pytest.approx([15.0, 20.0, 100.0], abs=1e-12)
    assert out["adj"][0] == pytest.approx(ADJ_40_25, abs=1e-10)
    assert out["var"][0] == pytest.approx(VAR_40_25, abs=1e-12)
    assert out["nps_low"].to_list()[:3] == pytest.approx(
        [LOW_40_25, -11.16208857, 78.6974994], abs=1e-6
    )
    assert out["nps_high"].to_list()[:3] == pytest.approx(
        [HIGH_40_25, 47.52572493, 100.0], abs=1e-6
    )
    assert out["w_low"].to_list()[:3] == pytest.approx([0.0879395404, 0.0, 0.7224598312], abs=1e-9)
    assert out["w_high"].to_list()[:3] == pytest.approx([0.2441342750, 0.2775401688, 1.0], abs=1e-9)
    # n = 0: everything is NULL, never a number.
    assert out.row(3) == (None,) * 7


def test_change_expressions_match_the_hand_numbers() -> None:
    frame = pl.DataFrame(
        {
            "adj1": [ADJ_40_25, ADJ_40_25, ADJ_40_25, None],
            "var1": [VAR_40_25, VAR_40_25, VAR_40_25, None],
            # 55, 57 and 58 promoters of 100 with 20 detractors, from the comments above.
            "adj2": [35 / 103, 37 / 103, 38 / 103, 35 / 103],
            "var2": [0.006089810172, 0.006146548955, 0.006172172922, 0.006089810172],
        }
    )
    delta, p_value, significant = stats.nps_change_exprs("adj1", "var1", "adj2", "var2")
    out = frame.select(delta=delta, p=p_value, significant=significant)
    assert out["delta"].to_list()[:3] == pytest.approx(
        [19.41747573, 100 * 22 / 103, 100 * 23 / 103], abs=1e-7
    )
    assert out["p"].to_list()[:3] == pytest.approx([0.0781653, 0.05322784, 0.04350623], abs=1e-6)
    assert out["significant"].to_list() == [False, False, True, None]
    assert out["p"][3] is None


def test_normal_two_sided_p() -> None:
    # Φ(1.96) = 0.9750021 → p = 0.0499958; Z = 0 → p = 1.
    assert stats.normal_two_sided_p(1.96) == pytest.approx(0.0499958, abs=1e-7)
    assert stats.normal_two_sided_p(-1.96) == pytest.approx(0.0499958, abs=1e-7)
    assert stats.normal_two_sided_p(0.0) == 1.0
    assert math.isclose(stats.normal_two_sided_p(3.0), 0.0026998, abs_tol=1e-7)
