"""nps_summary and the NPS compliance helpers on small hand-made frames.

Expected numbers are worked out in the comments (metrics.md §7 formulas); the interval figures
for 40/35/25 and the change test repeat the derivations in test_stats.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl
import pytest

from transforms.nps import (
    NPS_SUMMARY_COLUMNS,
    NpsConfig,
    detractor_follow_up,
    nps_responses,
    nps_tables,
    nps_trend,
    summarise_nps,
    survey_fatigue_violations,
)

D = dt.datetime
CONFIG = NpsConfig(
    version="test.1",
    min_responses=30,
    min_sends_for_response_rate=30,
    warn_below_responses_month=50,
    warn_below_responses_quarter=100,
    fatigue_days=90,
    follow_up_hours=72,
    confidence=0.95,
)

RESPONSE_SCHEMA = {
    "response_id": pl.String,
    "send_id": pl.String,
    "account_id": pl.String,
    "user_id": pl.String,
    "segment": pl.String,
    "score": pl.Int64,
    "submitted_at": pl.Datetime("us"),
    "followed_up_at": pl.Datetime("us"),
}
SEND_SCHEMA = {
    "send_id": pl.String,
    "account_id": pl.String,
    "user_id": pl.String,
    "segment": pl.String,
    "sent_at": pl.Datetime("us"),
}


class Survey:
    """Builds responses (each with its own send unless told otherwise) with unique ids."""

    def __init__(self) -> None:
        self.responses: list[dict] = []
        self.sends: list[dict] = []

    def respond(
        self,
        scores: Iterable[int],
        at: dt.datetime,
        segment: str | None = "smb",
        with_send: bool = False,
        followed_up_at: dt.datetime | None = None,
    ) -> None:
        for score in scores:
            i = len(self.responses)
            send_id = None
            if with_send:
                send_id = self.send(1, at - dt.timedelta(days=1), segment)[0]
            self.responses.append(
                {
                    "response_id": f"r{i}",
                    "send_id": send_id,
                    "account_id": f"acc{i}",
                    "user_id": f"user{i}",
                    "segment": segment,
                    "score": score,
                    "submitted_at": at,
                    "followed_up_at": followed_up_at,
                }
            )

    def send(self, count: int, at: dt.datetime, segment: str | None = "smb") -> list[str]:
        ids = []
        for _ in range(count):
            i = len(self.sends)
            ids.append(f"s{i}")
            self.sends.append(
                {
                    "send_id": f"s{i}",
                    "account_id": f"sacc{i}",
                    "user_id": f"suser{i}",
                    "segment": segment,
                    "sent_at": at,
                }
            )
        return ids

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        return (
            pl.DataFrame(self.responses, schema=RESPONSE_SCHEMA),
            pl.DataFrame(self.sends, schema=SEND_SCHEMA),
        )

    def summary(self, **kwargs) -> pl.DataFrame:
        return summarise_nps(*self.frames(), CONFIG, **kwargs)


def mix(promoters: int, passives: int, detractors: int) -> list[int]:
    return [10] * promoters + [8] * passives + [3] * detractors


def row(summary: pl.DataFrame, period_type: str, start: dt.date, segment: str = "all") -> dict:
    rows = summary.filter(
        (pl.col("period_type") == period_type)
        & (pl.col("period_start") == start)
        & (pl.col("segment") == segment)
    ).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


def test_summary_for_40_35_25() -> None:
    survey = Survey()
    survey.respond(mix(40, 35, 25), D(2026, 1, 15))
    summary = survey.summary()
    assert summary.columns == list(NPS_SUMMARY_COLUMNS)
    for period_type, segment in [("month", "all"), ("month", "smb"), ("quarter", "all")]:
        r = row(summary, period_type, dt.date(2026, 1, 1), segment)
        assert (r["responses"], r["promoters"], r["passives"], r["detractors"]) == (100, 40, 35, 25)
        # 100·(40 − 25)/100 = 15; interval from test_stats: [−0.69767513, 29.82388873]
        assert r["nps"] == 15.0
        assert r["nps_ci_low"] == pytest.approx(-0.69767513, abs=1e-7)
        assert r["nps_ci_high"] == pytest.approx(29.82388873, abs=1e-7)
        assert (r["promoter_share"], r["passive_share"], r["detractor_share"]) == (0.4, 0.35, 0.25)
        # Wilson 40 of 100: centre (0.4 + 0.019208)/1.038416 = 0.4036995,
        # half 1.96/1.038416·√(0.0024 + 0.00009604) = 1.8874902·0.0499604 = 0.0942998
        assert r["promoter_share_ci_low"] == pytest.approx(0.3093997, abs=1e-6)
        assert r["promoter_share_ci_high"] == pytest.approx(0.4979993, abs=1e-6)
        assert r["reportable"] is True and r["reason"] is None
        assert r["config_version"] == "test.1"
    assert row(summary, "month", dt.date(2026, 1, 1))["period_end"] == dt.date(2026, 1, 31)
    assert row(summary, "quarter", dt.date(2026, 1, 1))["period_end"] == dt.date(2026, 3, 31)
    # 100 responses: reportable without warning for a month (≥ 50) and a quarter (≥ 100).
    assert row(summary, "quarter", dt.date(2026, 1, 1))["small_sample_warning"] is False


def test_nps_is_null_below_30_responses_and_a_number_at_30() -> None:
    survey = Survey()
    # January: 15 promoters, 5 passives, 9 detractors = 29 responses.
    survey.respond(mix(15, 5, 9), D(2026, 1, 10))
    # February: 15, 6, 9 = 30 responses: NPS = 100·6/30 = 20,
    # interval (test_stats) [−11.16208857, 47.52572493].
    survey.respond(mix(15, 6, 9), D(2026, 2, 10))
    summary = survey.summary()

    january = row(summary, "month", dt.date(2026, 1, 1))
    assert january["responses"] == 29
    assert (january["promoters"], january["passives"], january["detractors"]) == (15, 5, 9)
    for column in ("nps", "nps_ci_low", "nps_ci_high", "promoter_share", "detractor_share"):
        assert january[column] is None, column
    assert january["reportable"] is False
    assert january["reason"] == "insufficient_sample"

    february = row(summary, "month", dt.date(2026, 2, 1))
    assert february["responses"] == 30
    assert february["nps"] == pytest.approx(20.0, rel=1e-12)
    assert february["nps_ci_low"] == pytest.approx(-11.16208857, abs=1e-7)
    assert february["nps_ci_high"] == pytest.approx(47.52572493, abs=1e-7)
    assert february["reportable"] is True and february["reason"] is None
    # Reportable, but under the month warning threshold of 50 (rule 9 WARN).
    assert february["small_sample_warning"] is True
    # January had 29: no previous NPS to compare with, and the reason says why.
    assert february["previous_nps"] is None
    assert february["change_reason"] == "previous_insufficient_sample"


def test_response_rate_by_send_cohort_with_wilson_interval() -> None:
    survey = Survey()
    january_sends = survey.send(80, D(2026, 1, 20))
    # 12 of January's sends are answered, 5 of them only in February: they count for January's
    # response rate (the send cohort) and for February's NPS sample (submitted in February).
    for i, send_id in enumerate(january_sends[:12]):
        survey.respond([9], D(2026, 1, 25) if i < 7 else D(2026, 2, 3))
        survey.responses[-1]["send_id"] = send_id
    survey.send(29, D(2026, 2, 5))
    survey.send(30, D(2026, 3, 5))
    summary = survey.summary()

    january = row(summary, "month", dt.date(2026, 1, 1))
    assert (january["sends"], january["responded_sends"], january["responses"]) == (80, 12, 7)
    # 12/80 = 0.15, Wilson (test_stats) [0.0879395404, 0.2441342750]
    assert january["response_rate"] == pytest.approx(0.15, rel=1e-12)
    assert january["response_rate_ci_low"] == pytest.approx(0.0879395404, abs=1e-9)
    assert january["response_rate_ci_high"] == pytest.approx(0.2441342750, abs=1e-9)
    assert january["response_rate_reason"] is None

    february = row(summary, "month", dt.date(2026, 2, 1))
    assert (february["sends"], february["responded_sends"], february["responses"]) == (29, 0, 5)
    assert february["response_rate"] is None
    assert february["response_rate_ci_low"] is None
    assert february["response_rate_reason"] == "insufficient_sends"

    march = row(summary, "month", dt.date(2026, 3, 1))
    # 30 sends, none answered: a published true zero (Wilson 0 of 30 has low bound 0).
    assert (march["sends"], march["response_rate"], march["response_rate_ci_low"]) == (30, 0.0, 0.0)
    assert march["response_rate_reason"] is None

    quarter = row(summary, "quarter", dt.date(2026, 1, 1))
    # 12 of 139 sends; published since 139 ≥ 30.
    assert (quarter["sends"], quarter["responded_sends"]) == (139, 12)
    assert quarter["response_rate"] == pytest.approx(12 / 139, rel=1e-12)


def test_period_boundaries_are_utc_calendar_months_and_quarters() -> None:
    survey = Survey()
    survey.respond([10], D(2026, 1, 31, 23, 59, 59))  # January, Q1
    survey.respond([0], D(2026, 2, 1, 0, 0, 0))  # February, Q1
    survey.respond([8], D(2026, 3, 31, 23, 59, 59, 999_999))  # March, Q1
    survey.respond([7], D(2026, 4, 1, 0, 0, 0))  # April, Q2
    summary = survey.summary()
    months = summary.filter((pl.col("period_type") == "month") & (pl.col("segment") == "all"))
    assert months.select("period_start", "promoters", "passives", "detractors").rows() == [
        (dt.date(2026, 1, 1), 1, 0, 0),
        (dt.date(2026, 2, 1), 0, 0, 1),
        (dt.date(2026, 3, 1), 0, 1, 0),
        (dt.date(2026, 4, 1), 0, 1, 0),
    ]
    quarters = summary.filter((pl.col("period_type") == "quarter") & (pl.col("segment") == "all"))
    assert quarters.select("period_start", "period_end", "responses").rows() == [
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), 3),
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30), 1),
    ]


def test_zoned_timestamps_are_placed_by_their_utc_time() -> None:
    responses, sends = Survey().frames()
    madrid = pl.DataFrame(
        {
            **{k: [None] for k in RESPONSE_SCHEMA},
            "response_id": ["r0"],
            "score": [10],
            # 00:30 on 1 February in Madrid (UTC+1) is 23:30 UTC on 31 January.
            "submitted_at": [D(2026, 2, 1, 0, 30)],
        },
        schema=RESPONSE_SCHEMA,
    ).with_columns(
        pl.col("submitted_at").dt.replace_time_zone("Europe/Madrid"),
        pl.col("followed_up_at").dt.replace_time_zone("Europe/Madrid"),
    )
    summary = summarise_nps(madrid, sends, CONFIG)
    months = summary.filter((pl.col("period_type") == "month") & (pl.col("segment") == "all"))
    assert months.select("period_start", "responses").rows() == [(dt.date(2026, 1, 1), 1)]


def test_previous_period_linkage_and_change_significance() -> None:
    survey = Survey()
    survey.respond(mix(40, 35, 25), D(2026, 1, 15))  # NPS 15
    survey.respond(mix(55, 25, 20), D(2026, 2, 15))  # NPS 35
    # March has no responses at all: its row exists with zero counts.
    survey.respond(mix(5, 3, 2), D(2026, 4, 15))  # 10 responses
    survey.respond(mix(58, 22, 20), D(2026, 5, 15))  # NPS 38
    survey.respond(mix(40, 35, 25), D(2026, 6, 15))  # NPS 15 again
    summary = survey.summary()

    january = row(summary, "month", dt.date(2026, 1, 1))
    assert january["previous_period_start"] == dt.date(2025, 12, 1)
    assert january["previous_nps"] is None and january["change_p_value"] is None
    assert january["change_reason"] == "no_previous_period"

    february = row(summary, "month", dt.date(2026, 2, 1))
    # Δ 15 → 35 = 20 points; adjusted test (test_stats): Z = 1.76143216, p = 0.0781653.
    assert february["previous_period_start"] == dt.date(2026, 1, 1)
    assert february["previous_nps"] == 15.0
    assert february["nps_change"] == pytest.approx(20.0, abs=1e-12)
    assert february["change_p_value"] == pytest.approx(0.0781653, abs=1e-6)
    assert february["change_significant"] is False
    assert february["change_reason"] is None

    march = row(summary, "month", dt.date(2026, 3, 1))
    assert (march["responses"], march["sends"], march["nps"]) == (0, 0, None)
    assert march["reason"] == "insufficient_sample"
    assert march["change_reason"] == "insufficient_sample"

    may = row(summary, "month", dt.date(2026, 5, 1))
    # The preceding month (April, 10 responses) is not reportable; May is not compared with
    # February, the last reportable month.
    assert may["previous_period_start"] == dt.date(2026, 4, 1)
    assert may["previous_nps"] is None and may["change_significant"] is None
    assert may["change_reason"] == "previous_insufficient_sample"

    june = row(summary, "month", dt.date(2026, 6, 1))
    # 38 → 15: the 58/22/20 vs 40/35/25 comparison of test_stats with the periods swapped,
    # Z = −2.01881716, p = 0.04350623 → significant.
    assert june["previous_nps"] == pytest.approx(38.0, rel=1e-12)
    assert june["nps_change"] == pytest.approx(-23.0, abs=1e-12)
    assert june["change_p_value"] == pytest.approx(0.04350623, abs=1e-7)
    assert june["change_significant"] is True

    q2 = row(summary, "quarter", dt.date(2026, 4, 1))
    # Q1 = 40+55 promoters, 25+20 detractors of 200 → NPS 100·(95 − 45)/200 = 25;
    # Q2 = 5+58+40 = 103 promoters, 2+20+25 = 47 detractors of 210 → 100·56/210 = 26.6667.
    assert q2["previous_period_start"] == dt.date(2026, 1, 1)
    assert q2["previous_nps"] == pytest.approx(25.0, rel=1e-12)
    assert q2["nps"] == pytest.approx(100 * 56 / 210, rel=1e-12)
    assert q2["nps_change"] == pytest.approx(100 * 56 / 210 - 25.0, rel=1e-9)


def test_segments_all_and_unknown() -> None:
    survey = Survey()
    survey.respond(mix(20, 5, 5), D(2026, 1, 5), segment="enterprise")
    survey.respond(mix(5, 5, 20), D(2026, 1, 6), segment="smb")
    survey.respond([10, 0], D(2026, 1, 7), segment=None)
    summary = survey.summary()
    january = summary.filter(pl.col("period_type") == "month").select(
        "segment", "responses", "nps", "reason"
    )
    assert january.rows() == [
        # all: 26 promoters, 26 detractors of 62 → 0.
        ("all", 62, 0.0, None),
        # enterprise: 100·(20 − 5)/30 = 50; smb: 100·(5 − 20)/30 = −50.
        ("enterprise", 30, 50.0, None),
        ("smb", 30, -50.0, None),
        # Responses of accounts without a segment are kept under `unknown`, not dropped.
        ("unknown", 2, None, "insufficient_sample"),
    ]


def test_as_of_cuts_data_and_extends_periods() -> None:
    survey = Survey()
    survey.respond(mix(30, 0, 0), D(2026, 1, 31, 23, 59, 59))
    survey.respond([0], D(2026, 2, 1))  # after the as-of day: not yet known
    summary = survey.summary(as_of=dt.date(2026, 1, 31))
    assert summary.filter(pl.col("period_start") > dt.date(2026, 1, 1)).height == 0
    assert row(summary, "month", dt.date(2026, 1, 1))["detractors"] == 0

    later = survey.summary(as_of=dt.date(2026, 3, 10))
    march = row(later, "month", dt.date(2026, 3, 1))
    assert (march["responses"], march["reason"]) == (0, "insufficient_sample")


def test_trend_is_the_last_six_months_of_all_segments() -> None:
    survey = Survey()
    for month in range(1, 9):
        survey.respond(mix(30 + month, 0, 0), D(2026, month, 3))
    trend = nps_trend(survey.summary())
    assert trend["period_start"].to_list() == [dt.date(2026, m, 1) for m in range(3, 9)]
    assert trend["responses"].to_list() == [33, 34, 35, 36, 37, 38]
    assert set(trend["segment"]) == {"all"}


def test_duplicate_response_ids_are_rejected() -> None:
    survey = Survey()
    survey.respond([10, 9], D(2026, 1, 3))
    survey.responses[1]["response_id"] = "r0"
    with pytest.raises(ValueError, match=r"responses.response_id must be unique.*r0"):
        survey.summary()


def test_scores_outside_0_to_10_are_rejected() -> None:
    survey = Survey()
    survey.respond([11], D(2026, 1, 3))
    with pytest.raises(ValueError, match=r"score must be a whole number 0–10.*r0"):
        survey.summary()


# --------------------------------------------------------------------------- survey fatigue


def sends_frame(rows: list[tuple[str, str, str, dt.datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"send_id": s, "account_id": a, "user_id": u, "segment": "smb", "sent_at": t}
            for s, a, u, t in rows
        ],
        schema=SEND_SCHEMA,
    )


def test_fatigue_at_89_90_and_91_days() -> None:
    t0 = D(2026, 1, 1, 9, 0)
    sends = sends_frame(
        [
            ("a1", "acc89", "u1", t0),
            ("a2", "acc89", "u2", t0 + dt.timedelta(days=89)),
            ("b1", "acc90", "u3", t0),
            ("b2", "acc90", "u4", t0 + dt.timedelta(days=90)),
            ("c1", "acc91", "u5", t0),
            ("c2", "acc91", "u6", t0 + dt.timedelta(days=91)),
            # One second short of 90 days is still within 90 days.
            ("d1", "accS", "u7", t0),
            ("d2", "accS", "u8", t0 + dt.timedelta(days=90) - dt.timedelta(seconds=1)),
            # The same person surveyed for two accounts 10 days apart.
            ("e1", "accX", "person", t0),
            ("e2", "accY", "person", t0 + dt.timedelta(days=10)),
        ]
    )
    violations = survey_fatigue_violations(sends, fatigue_days=90)
    assert violations.select("level", "subject_id", "send_id", "previous_send_id").rows() == [
        ("account", "acc89", "a2", "a1"),
        ("account", "accS", "d2", "d1"),
        ("user", "person", "e2", "e1"),
    ]
    assert violations["days_since_previous"].to_list() == pytest.approx(
        [89.0, 90 - 1 / 86_400, 10.0], abs=1e-9
    )


# --------------------------------------------------------------------------- follow-up


def test_detractor_follow_up_within_72_hours_exactly() -> None:
    at = D(2026, 1, 10, 12, 0)
    survey = Survey()
    survey.respond([3], at, followed_up_at=at + dt.timedelta(hours=72))  # exactly 72 h: in time
    survey.respond([6], at, followed_up_at=at + dt.timedelta(hours=1))  # in time
    survey.respond([0], at, followed_up_at=at + dt.timedelta(hours=72, seconds=1))  # late
    survey.respond([5], at)  # never
    survey.respond([7], at, followed_up_at=at + dt.timedelta(hours=1))  # passive: not counted
    responses, _ = survey.frames()
    result = detractor_follow_up(responses, follow_up_hours=72)
    january = result.filter(
        (pl.col("period_type") == "month") & (pl.col("segment") == "all")
    ).to_dicts()[0]
    assert (january["detractors"], january["eligible"], january["followed_up_in_time"]) == (4, 4, 2)
    # Wilson 2 of 4: p = 0.5, z²/n = 0.9604, centre = (0.5 + 0.4802)/1.9604 = 0.5,
    # half = 1.96/1.9604·√(0.0625 + 3.8416/64) = 0.9997960·0.3500357 = 0.3499643
    assert january["follow_up_rate"] == 0.5
    assert january["follow_up_rate_ci_low"] == pytest.approx(0.1500357, abs=1e-7)
    assert january["follow_up_rate_ci_high"] == pytest.approx(0.8499643, abs=1e-7)
    assert january["reason"] is None


def test_detractors_whose_window_is_still_open_are_pending() -> None:
    survey = Survey()
    # As of 2026-01-31: a detractor of 1 Jan 00:00 had its 72 h by 4 Jan; one of 30 Jan 12:00
    # has until 2 Feb 12:00, after the end of the as-of day, so it is pending, not a failure.
    survey.respond([2], D(2026, 1, 1), followed_up_at=D(2026, 1, 2))
    survey.respond([2], D(2026, 1, 30, 12, 0))
    survey.respond([2], D(2026, 1, 30, 12, 0), followed_up_at=D(2026, 1, 30, 13, 0))
    # Edges: 28 Jan 23:59:59 + 72 h = 31 Jan 23:59:59, inside the as-of day → closed (never
    # followed up: a miss); 29 Jan 00:00 + 72 h = 1 Feb 00:00, after the as-of day → pending.
    survey.respond([2], D(2026, 1, 28, 23, 59, 59))
    survey.respond([2], D(2026, 1, 29))
    responses, _ = survey.frames()
    result = detractor_follow_up(responses, follow_up_hours=72, as_of=dt.date(2026, 1, 31))
    january = result.filter(
        (pl.col("period_type") == "month") & (pl.col("segment") == "all")
    ).to_dicts()[0]
    assert (january["detractors"], january["pending"], january["eligible"]) == (5, 3, 2)
    assert (january["followed_up_in_time"], january["follow_up_rate"]) == (1, 0.5)


def test_follow_up_without_detractors_is_null_with_reason() -> None:
    survey = Survey()
    survey.respond([9, 10, 8], D(2026, 1, 5))
    responses, _ = survey.frames()
    result = detractor_follow_up(responses)
    first = result.to_dicts()[0]
    assert (first["detractors"], first["follow_up_rate"], first["reason"]) == (
        0,
        None,
        "no_detractors",
    )


# --------------------------------------------------------------------------- clean responses


def test_nps_responses_categories_periods_and_redacted_comments() -> None:
    survey = Survey()
    survey.respond([6, 7, 8, 9], D(2026, 3, 31, 23, 59, 59))
    responses, _ = survey.frames()
    responses = responses.with_columns(
        comment=pl.Series(["write to ana+nps@mail.acme.io please", None, "ok", "great"])
    )
    clean = nps_responses(responses)
    assert clean["category"].to_list() == ["detractor", "passive", "passive", "promoter"]
    assert clean["month_start"].unique().to_list() == [dt.date(2026, 3, 1)]
    assert clean["quarter_start"].unique().to_list() == [dt.date(2026, 1, 1)]
    assert clean["comment"].to_list() == ["write to [email] please", None, "ok", "great"]


def test_no_surveys_at_all_gives_empty_typed_tables() -> None:
    responses, sends = Survey().frames()
    summary = summarise_nps(responses, sends, CONFIG)
    assert summary.height == 0 and summary.columns == list(NPS_SUMMARY_COLUMNS)
    assert summary.schema["nps"] == pl.Float64 and summary.schema["reportable"] == pl.Boolean
    assert survey_fatigue_violations(sends).height == 0
    assert detractor_follow_up(responses).height == 0
    # With an as-of day the period still gets a row: zero responses, NULL NPS with the reason.
    as_of = summarise_nps(responses, sends, CONFIG, as_of=dt.date(2026, 1, 5))
    assert as_of.select("period_type", "segment", "responses", "nps", "reason").rows() == [
        ("month", "all", 0, None, "insufficient_sample"),
        ("quarter", "all", 0, None, "insufficient_sample"),
    ]


# --------------------------------------------------------------------------- tables of a run

#: Responses as the NPS asset reads them from staging: with the comment.
STAGED_RESPONSE_SCHEMA = {**RESPONSE_SCHEMA, "comment": pl.String}


def test_no_survey_data_gives_no_period_rows_rather_than_zeros() -> None:
    tables = nps_tables(
        pl.DataFrame(schema=STAGED_RESPONSE_SCHEMA),
        pl.DataFrame(schema=SEND_SCHEMA),
        CONFIG,
        dt.date(2026, 11, 20),
    )
    assert {name: frame.height for name, frame in tables.items()} == {
        "nps_summary": 0,
        "nps_responses": 0,
        "nps_survey_fatigue": 0,
        "nps_detractor_follow_up": 0,
    }


def test_survey_data_gives_every_period_up_to_the_as_of_date() -> None:
    sends = pl.DataFrame(
        [("s1", "a1", "u1", "smb", dt.datetime(2026, 9, 3))], schema=SEND_SCHEMA, orient="row"
    )
    summary = nps_tables(
        pl.DataFrame(schema=STAGED_RESPONSE_SCHEMA), sends, CONFIG, dt.date(2026, 11, 20)
    )["nps_summary"]
    months = summary.filter((pl.col("period_type") == "month") & (pl.col("segment") == "all"))
    # September (the send) to November (the as-of month); October and November are true zeros
    assert months["period_start"].to_list() == [
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    ]
    assert months["sends"].to_list() == [1, 0, 0]
