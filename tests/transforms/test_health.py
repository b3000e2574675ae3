"""Health score (metrics.md §2) on hand-made rows; every expected value is worked out in a comment.

Normalisation: higher metrics score min(100, value/ideal·100); inverse ones
100·clamp((worst − value)/(worst − ideal), 0, 1) with worsts 30 (days since login), 5 (open
tickets), 3 (escalations). Component weights: usage 0.30, engagement 0.25, support, relationship
and financial 0.15 each.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.config import load_health_config
from transforms.health import add_trends, score_health

CONFIG = load_health_config()
DAY = dt.date(2026, 11, 20)

# Every metric at its ideal: each normalises to 100 (usage_vs_limit feeds only the upgrade rule).
PERFECT = {
    "dau_mau_ratio": 0.5,
    "feature_adoption": 0.7,
    "conversations_per_week": 100.0,
    "days_since_last_login": 1.0,
    "logins_per_week": 5.0,
    "features_used_this_month": 10.0,
    "open_tickets": 0.0,
    "avg_csat": 5.0,
    "escalations": 0.0,
    "nps_score": 10.0,
    "meetings_attended": 1.0,
    "responses_to_outreach": 1.0,
    "payment_health": 1.0,
    "growth_potential": 1.0,
    "contract_length": 12.0,
    "usage_vs_limit": 0.5,
}
SCHEMA = {"account_id": pl.String, "as_of_date": pl.Date} | {k: pl.Float64 for k in PERFECT}


def _frame(*rows: dict) -> pl.DataFrame:
    built = [
        {"account_id": f"acc_{i}", "as_of_date": DAY, **PERFECT, **row}
        for i, row in enumerate(rows)
    ]
    return pl.DataFrame(built, schema=SCHEMA)


def _score(**overrides: float | None) -> dict:
    return score_health(_frame(overrides), CONFIG).row(0, named=True)


def test_all_metrics_at_ideal_score_100() -> None:
    row = _score()
    assert row["score"] == pytest.approx(100.0)
    assert row["score_display"] == 100
    assert row["grade"] == "A"
    assert row["coverage"] == pytest.approx(1.0)
    assert row["reason"] is None
    assert row["config_version"] == "2026.12.1"


def test_product_usage_component() -> None:
    # dau_mau 0.25/0.5 → 50; adoption 0.35/0.7 → 50; conversations 150/100 → capped at 100.
    # usage = 0.4·50 + 0.3·50 + 0.3·100 = 20 + 15 + 30 = 65
    # score = 0.30·65 + 0.70·100 = 19.5 + 70 = 89.5 → displays 90 → A
    row = _score(dau_mau_ratio=0.25, feature_adoption=0.35, conversations_per_week=150.0)
    assert row["product_usage_score"] == pytest.approx(65.0)
    assert row["score"] == pytest.approx(89.5)
    assert row["score_display"] == 90
    assert row["grade"] == "A"


def test_engagement_component_with_inverse_days_since_login() -> None:
    # days 8: 100·(30 − 8)/(30 − 1) = 2200/29 = 75.86206896551724
    # logins 2.5/5 → 50; features 12/10 → capped 100
    # engagement = 0.4·75.86206896551724 + 0.3·50 + 0.3·100 = 30.344827586206897 + 15 + 30
    #            = 75.3448275862069
    row = _score(days_since_last_login=8.0, logins_per_week=2.5, features_used_this_month=12.0)
    assert row["engagement_score"] == pytest.approx(75.3448275862069)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0.0, 100.0),  # (30 − 0)/29 > 1 → clamped to 1 → 100
        (1.0, 100.0),  # the ideal
        (30.0, 0.0),  # the worst
        (45.0, 0.0),  # beyond the worst → clamped to 0 (not negative)
        (15.5, 50.0),  # (30 − 15.5)/29 = 14.5/29 = 0.5 → 50
    ],
)
def test_inverse_metric_uses_configured_worst(days: float, expected: float) -> None:
    # Only days_since_last_login varies; logins and features stay at 100.
    # engagement = 0.4·expected + 0.6·100
    row = _score(days_since_last_login=days)
    assert row["engagement_score"] == pytest.approx(0.4 * expected + 60.0)


def test_support_component_with_inverse_tickets_and_escalations() -> None:
    # open_tickets 2: 100·(5 − 2)/(5 − 0) = 60; csat 4/5 → 80; escalations 3 = worst → 0
    # support = 0.4·60 + 0.4·80 + 0.2·0 = 24 + 32 + 0 = 56
    row = _score(open_tickets=2.0, avg_csat=4.0, escalations=3.0)
    assert row["support_score"] == pytest.approx(56.0)
    # open_tickets 7 is past the worst of 5 → 0; escalations 1: 100·(3 − 1)/3 = 66.666…
    # support = 0.4·0 + 0.4·100 + 0.2·66.66666666666667 = 40 + 13.333333333333334 = 53.333…
    row = _score(open_tickets=7.0, escalations=1.0)
    assert row["support_score"] == pytest.approx(53.333333333333336)


def test_relationship_component() -> None:
    # nps 7/10 → 70; meetings 0.5 → 50; outreach 1 → 100
    # relationship = 0.5·70 + 0.3·50 + 0.2·100 = 35 + 15 + 20 = 70
    row = _score(nps_score=7.0, meetings_attended=0.5)
    assert row["relationship_score"] == pytest.approx(70.0)


def test_financial_component() -> None:
    # payment 0.75 → 75; growth 0.35 → 35; contract 1/12 → 8.333…
    # financial = 0.4·75 + 0.3·35 + 0.3·8.333333333333334 = 30 + 10.5 + 2.5 = 43
    row = _score(payment_health=0.75, growth_potential=0.35, contract_length=1.0)
    assert row["financial_score"] == pytest.approx(43.0)


def test_score_is_the_weighted_mean_of_components() -> None:
    # Components as in the tests above: usage 65, engagement 75.3448275862069, support 56,
    # relationship 70, financial 43.
    # score = 0.30·65 + 0.25·75.3448275862069 + 0.15·56 + 0.15·70 + 0.15·43
    #       = 19.5 + 18.836206896551726 + 8.4 + 10.5 + 6.45 = 63.68620689655173 → 64 → B
    row = _score(
        dau_mau_ratio=0.25,
        feature_adoption=0.35,
        conversations_per_week=150.0,
        days_since_last_login=8.0,
        logins_per_week=2.5,
        features_used_this_month=12.0,
        open_tickets=2.0,
        avg_csat=4.0,
        escalations=3.0,
        nps_score=7.0,
        meetings_attended=0.5,
        payment_health=0.75,
        growth_potential=0.35,
        contract_length=1.0,
    )
    assert row["score"] == pytest.approx(63.68620689655173)
    assert row["score_display"] == 64
    assert row["grade"] == "B"


def test_missing_metric_rescales_weights_within_its_component() -> None:
    # avg_csat missing: support = (0.4·60 + 0.2·0)/(0.4 + 0.2) = 24/0.6 = 40
    # coverage = 1 − 0.15·0.4 = 0.94
    # score = 0.85·100 + 0.15·40 = 85 + 6 = 91
    row = _score(open_tickets=2.0, avg_csat=None, escalations=3.0)
    assert row["support_score"] == pytest.approx(40.0)
    assert row["coverage"] == pytest.approx(0.94)
    assert row["score"] == pytest.approx(91.0)


def test_missing_component_rescales_component_weights() -> None:
    # Relationship entirely missing: coverage = 1 − 0.15 = 0.85.
    # usage 65 as above, the others 100: score = (0.30·65 + 0.25·100 + 0.15·100 + 0.15·100)/0.85
    #   = (19.5 + 55)/0.85 = 74.5/0.85 = 87.6470588235294
    row = _score(
        dau_mau_ratio=0.25,
        feature_adoption=0.35,
        conversations_per_week=150.0,
        nps_score=None,
        meetings_attended=None,
        responses_to_outreach=None,
    )
    assert row["relationship_score"] is None
    assert row["coverage"] == pytest.approx(0.85)
    assert row["score"] == pytest.approx(87.6470588235294)


def test_removing_nps_rescales_instead_of_scoring_it_as_zero() -> None:
    # With NPS 8: relationship = 0.5·80 + 0.3·50 + 0.2·100 = 40 + 15 + 20 = 75
    #   score = 0.85·100 + 0.15·75 = 85 + 11.25 = 96.25, coverage 1
    # Without NPS (no response): relationship = (0.3·50 + 0.2·100)/(0.3 + 0.2) = 35/0.5 = 70
    #   score = 85 + 0.15·70 = 95.5, coverage = 1 − 0.15·0.5 = 0.925
    # Had NPS been zero-filled (the playbook): relationship = 0 + 15 + 20 = 35
    #   score = 85 + 0.15·35 = 90.25 — what a real NPS of 0 scores, and not what a missing one does.
    frame = _frame(
        {"nps_score": 8.0, "meetings_attended": 0.5},
        {"nps_score": None, "meetings_attended": 0.5},
        {"nps_score": 0.0, "meetings_attended": 0.5},
    )
    with_nps, without_nps, nps_zero = score_health(frame, CONFIG).iter_rows(named=True)
    assert with_nps["score"] == pytest.approx(96.25)
    assert with_nps["coverage"] == pytest.approx(1.0)
    assert without_nps["relationship_score"] == pytest.approx(70.0)
    assert without_nps["score"] == pytest.approx(95.5)
    assert without_nps["coverage"] == pytest.approx(0.925)
    assert nps_zero["score"] == pytest.approx(90.25)
    assert without_nps["score"] != pytest.approx(nps_zero["score"])
    # A missing NPS is not a detractor; a real 0 is.
    assert "nps_detractor" not in without_nps["risk_factors"]
    assert "nps_detractor" in nps_zero["risk_factors"]


def test_present_source_without_events_scores_as_inactive_not_missing() -> None:
    # Events source present and fresh, account created 45 days ago and never used: true zeros.
    # usage = 0 (0/0.5, 0/0.7, 0/100); engagement: days 45 → clamp((30 − 45)/29) = 0, logins 0,
    # features 0 → 0. Others at 100: score = 0.30·0 + 0.25·0 + 0.45·100 = 45 → C, coverage 1.
    inactive = {
        "dau_mau_ratio": 0.0,
        "feature_adoption": 0.0,
        "conversations_per_week": 0.0,
        "days_since_last_login": 45.0,
        "logins_per_week": 0.0,
        "features_used_this_month": 0.0,
    }
    # Had the same account's usage been treated as missing, the six metrics would be left out:
    # coverage = 1 − 0.30 − 0.25 = 0.45 < 0.6 → NULL. Zeros must not be mistaken for that.
    unknown = dict.fromkeys(inactive)
    zeros, missing = score_health(_frame(inactive, unknown), CONFIG).iter_rows(named=True)
    assert zeros["product_usage_score"] == 0.0
    assert zeros["engagement_score"] == 0.0
    assert zeros["coverage"] == pytest.approx(1.0)
    assert zeros["score"] == pytest.approx(45.0)
    assert zeros["grade"] == "C"
    assert zeros["risk_factors"] == ["low_product_usage", "low_engagement", "no_login_over_7_days"]
    assert "feature_adoption_training" in zeros["opportunities"]
    assert missing["coverage"] == pytest.approx(0.45)
    assert missing["score"] is None
    assert missing["reason"] == "insufficient_data"


def test_coverage_exactly_at_minimum_is_scored() -> None:
    # Usage, support and financial present: coverage = 0.30 + 0.15 + 0.15 = 0.6 = minimum → scored.
    row = _score(
        days_since_last_login=None,
        logins_per_week=None,
        features_used_this_month=None,
        nps_score=None,
        meetings_attended=None,
        responses_to_outreach=None,
    )
    assert row["coverage"] == pytest.approx(0.6)
    assert row["score"] == pytest.approx(100.0)
    assert row["reason"] is None


def test_coverage_below_minimum_gives_null_score_with_reason() -> None:
    # As above without contract_length: coverage = 0.6 − 0.15·0.3 = 0.555 < 0.6 → NULL.
    row = _score(
        days_since_last_login=None,
        logins_per_week=None,
        features_used_this_month=None,
        nps_score=None,
        meetings_attended=None,
        responses_to_outreach=None,
        contract_length=None,
    )
    assert row["coverage"] == pytest.approx(0.555)
    assert row["score"] is None
    assert row["score_display"] is None
    assert row["grade"] is None
    assert row["reason"] == "insufficient_data"
    # The components that could be computed are still reported.
    assert row["financial_score"] == pytest.approx(100.0)
    assert row["engagement_score"] is None


def _uniform(x: float) -> dict:
    """Metric values that each normalise to x: higher ideal·x/100, inverse worst − (worst − ideal)·x/100."""
    values = {}
    for metric in CONFIG.metrics:
        if metric.direction == "inverse":
            values[metric.name] = metric.worst - (metric.worst - metric.ideal) * x / 100
        else:
            values[metric.name] = metric.ideal * x / 100
    return values


@pytest.mark.parametrize(
    ("score", "display", "grade"),
    [
        (80.0, 80, "A"),
        (79.5, 80, "A"),  # rounds half away from zero to 80
        (79.4, 79, "B"),
        (60.0, 60, "B"),
        (59.5, 60, "B"),
        (59.4, 59, "C"),
        (59.0, 59, "C"),
        (40.0, 40, "C"),
        (39.5, 40, "C"),
        (39.4, 39, "D"),
        (20.0, 20, "D"),
        (19.5, 20, "D"),
        (19.4, 19, "F"),
        (19.0, 19, "F"),
    ],
)
def test_grade_boundaries_apply_to_the_rounded_score(
    score: float, display: int, grade: str
) -> None:
    # Every metric normalises to `score`, so every component and the score equal it.
    row = _score(**_uniform(score))
    assert row["score"] == pytest.approx(score)
    assert row["score_display"] == display
    assert row["grade"] == grade


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"days_since_last_login": 7.0}, []),  # > 7 is required
        ({"days_since_last_login": 8.0}, ["no_login_over_7_days"]),
        ({"open_tickets": 3.0}, []),  # > 3 is required
        ({"open_tickets": 4.0}, ["open_tickets_over_3"]),
        ({"nps_score": 7.0}, []),
        ({"nps_score": 6.0}, ["nps_detractor"]),  # ≤ 6
        ({"nps_score": None}, []),  # only where a response exists
    ],
)
def test_metric_risk_factors(overrides: dict, expected: list[str]) -> None:
    # Single-metric changes here keep every component ≥ 40, so no low_<component> factor appears:
    # e.g. open_tickets 4 → 20, support = 0.4·20 + 0.6·100 = 68.
    assert _score(**overrides)["risk_factors"] == expected


def test_low_component_risk_factor_below_40() -> None:
    # payment 0 → 0; growth 0.65 → 65; contract 1 → 8.333…
    # financial = 0 + 0.3·65 + 0.3·8.333333333333334 = 19.5 + 2.5 = 22 < 40 → low_financial
    assert _score(payment_health=0.0, growth_potential=0.65, contract_length=1.0)[
        "risk_factors"
    ] == ["low_financial"]
    # financial = 0.4·100 + 0 + 0 = 40: not below 40
    assert _score(growth_potential=0.0, contract_length=0.0)["risk_factors"] == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"feature_adoption": 0.5}, []),  # < 0.5 is required
        ({"feature_adoption": 0.49}, ["feature_adoption_training"]),
        ({"nps_score": 8.0}, []),
        ({"growth_potential": 0.7}, []),  # > 0.7 is required
        ({"growth_potential": 0.71}, ["expansion"]),
        ({"usage_vs_limit": 0.8}, []),  # > 0.8 is required
        ({"usage_vs_limit": 0.81}, ["upgrade_approaching_limits"]),
        ({"usage_vs_limit": None}, []),
    ],
)
def test_opportunities(overrides: dict, expected: list[str]) -> None:
    # The base row has NPS 10 (advocacy) and growth_potential 1 (expansion); set both below their
    # thresholds (NPS 8, growth 0.5) so each case shows only its own rule.
    base = {"nps_score": 8.0, "growth_potential": 0.5}
    assert _score(**{**base, **overrides})["opportunities"] == expected


def test_advocacy_opportunity_at_nps_9() -> None:
    assert _score(nps_score=9.0, growth_potential=0.5)["opportunities"] == ["advocacy_candidate"]


def test_missing_input_column_is_reported_by_name() -> None:
    with pytest.raises(ValueError, match="escalations"):
        score_health(_frame({}).drop("escalations"), CONFIG)


# --------------------------------------------------------------------------- trends and alerts


def _scores(day: dt.date, rows: list[tuple[str, float | None, float | None]]) -> pl.DataFrame:
    """Score rows of (account, score, product_usage_score); other components fixed at 50."""
    return pl.DataFrame(
        {
            "account_id": [a for a, _, _ in rows],
            "as_of_date": [day] * len(rows),
            "score": [s for _, s, _ in rows],
            "score_display": [None if s is None else int(s + 0.5) for _, s, _ in rows],
            "grade": [None] * len(rows),
            "product_usage_score": [u for _, _, u in rows],
            "engagement_score": [50.0] * len(rows),
            "support_score": [50.0] * len(rows),
            "relationship_score": [50.0] * len(rows),
            "financial_score": [50.0] * len(rows),
            "risk_factors": [[] for _ in rows],
        },
        schema_overrides={
            "score": pl.Float64,
            "score_display": pl.Int32,
            "grade": pl.String,
            "product_usage_score": pl.Float64,
            "risk_factors": pl.List(pl.String),
        },
    )


def test_score_and_component_trends_at_thresholds() -> None:
    earlier = DAY - dt.timedelta(days=7)
    before = _scores(
        earlier,
        [
            ("up5", 60.0, 60.0),
            ("down5", 60.0, 60.0),
            ("up499", 60.0, 60.0),
            ("down499", 60.0, 60.0),
            ("noise", 60.1, 60.1),
            ("new", None, None),
        ],
    )
    today = _scores(
        DAY,
        [
            ("up5", 65.0, 65.0),  # +5 → improving / up
            ("down5", 55.0, 55.0),  # −5 → declining / down
            ("up499", 64.99, 64.99),  # +4.99 → stable
            ("down499", 55.01, 55.01),  # −4.99 → stable
            ("noise", 65.1, 65.1),  # 65.1 − 60.1 = 4.999999999999993 in floats: still +5
            ("new", 70.0, 70.0),  # no earlier score → no trend
        ],
    )
    out = {r["account_id"]: r for r in add_trends(today, before, CONFIG).iter_rows(named=True)}
    expected = {
        "up5": ("improving", "up"),
        "down5": ("declining", "down"),
        "up499": ("stable", "stable"),
        "down499": ("stable", "stable"),
        "noise": ("improving", "up"),
        "new": (None, None),
    }
    for account, (trend, usage_trend) in expected.items():
        assert out[account]["trend"] == trend, account
        assert out[account]["product_usage_trend"] == usage_trend, account
        # The other components were 50 on both days (also for "new"): stable
        assert out[account]["engagement_trend"] == "stable"
    assert out["down5"]["risk_factors"] == ["product_usage_trend_down"]
    assert out["up5"]["risk_factors"] == []
    assert out["up5"]["score_change"] == pytest.approx(5.0)


def test_trend_compares_with_the_lookback_day_only() -> None:
    # A score 6 days earlier is not the 7-day lookback: no trend.
    six_days = _scores(DAY - dt.timedelta(days=6), [("a", 90.0, 90.0)])
    today = _scores(DAY, [("a", 50.0, 50.0)])
    assert add_trends(today, six_days, CONFIG)["trend"].to_list() == [None]


def test_flags_by_lookup_equal_flags_built_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    # `_flags` looks each row's combination of conditions up in a table of every combination; the
    # list built per row is the reference. A NULL condition is not a flag.
    import transforms.health as health

    frame = pl.DataFrame(
        {
            "a": [True, None, False, True, None],
            "b": [True, True, None, False, None],
            "c": [False, True, True, True, None],
        }
    )
    conditions = [(pl.col("a"), "first"), (pl.col("b"), "second"), (pl.col("c"), "third")]
    looked_up = frame.select(health._flags(conditions).alias("f"))["f"].to_list()
    assert looked_up == [
        ["first", "second"],
        ["second", "third"],
        ["third"],
        ["first", "third"],
        [],
    ]
    monkeypatch.setattr(health, "_FLAG_TABLE_MAX_CONDITIONS", 0)
    assert frame.select(health._flags(conditions).alias("f"))["f"].to_list() == looked_up
