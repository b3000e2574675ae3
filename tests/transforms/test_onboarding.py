"""Onboarding (metrics.md §8) on a hand-made set of accounts, as-of 2026-11-20.

Self-serve (self_serve, smb): 5 required steps (welcome, first_chatbot, customize, install,
first_conversation), 7 days. Mid-market (mid_market, enterprise): 6 required steps, 30 days.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.config import load_onboarding_config
from transforms.onboarding import (
    onboarding_completion_rate,
    onboarding_milestones,
    onboarding_progress,
)
from transforms.stats import wilson_interval

CONFIG = load_onboarding_config()
AS_OF = dt.date(2026, 11, 20)


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


ACCOUNTS = pl.DataFrame(
    [
        ("ss_done", "smb", nov(1)),
        ("ss_stalled", "self_serve", nov(10)),
        ("ss_active", "self_serve", nov(15)),
        ("ss_late", "smb", dt.date(2026, 10, 1)),
        ("mm_new", "enterprise", nov(19)),
        ("mm_idle", "mid_market", nov(15)),
        ("future", "smb", nov(21)),
    ],
    schema={"account_id": pl.String, "segment": pl.String, "onboarding_start": pl.Date},
    orient="row",
)
STEPS = pl.DataFrame(
    [
        ("ss_done", "welcome", nov(1)),
        ("ss_done", "first_chatbot", nov(1)),
        ("ss_done", "install", nov(2)),
        ("ss_done", "customize", nov(3)),
        ("ss_done", "first_conversation", nov(4)),
        ("ss_done", "first_conversation", nov(6)),  # a repeat: the first completion counts
        ("ss_done", "invite_team", nov(5)),  # optional
        ("ss_stalled", "welcome", nov(10)),
        ("ss_stalled", "first_chatbot", nov(17)),
        ("ss_active", "welcome", nov(15)),
        ("ss_active", "first_chatbot", nov(16)),
        ("ss_active", "connect_whatsapp", nov(18)),  # optional, but a step: activity
        ("ss_active", "install", nov(21)),  # after the as-of date: not yet known
        ("ss_late", "welcome", dt.date(2026, 10, 1)),
        ("ss_late", "first_chatbot", dt.date(2026, 10, 2)),
        ("ss_late", "customize", dt.date(2026, 10, 3)),
        ("ss_late", "install", dt.date(2026, 10, 4)),
        ("ss_late", "first_conversation", dt.date(2026, 10, 12)),
    ],
    schema={"account_id": pl.String, "step": pl.String, "completed_on": pl.Date},
    orient="row",
)


@pytest.fixture(scope="module")
def progress() -> dict[str, dict]:
    out = onboarding_progress(ACCOUNTS, STEPS, AS_OF, CONFIG)
    return {r["account_id"]: r for r in out.iter_rows(named=True)}


def test_programs_by_segment_and_future_starts_left_out(progress: dict[str, dict]) -> None:
    assert {a: r["program"] for a, r in progress.items()} == {
        "ss_done": "self-serve-v1",
        "ss_stalled": "self-serve-v1",
        "ss_active": "self-serve-v1",
        "ss_late": "self-serve-v1",
        "mm_new": "mid-market-v1",
        "mm_idle": "mid-market-v1",
    }


def test_progress_counts_required_steps_only(progress: dict[str, dict]) -> None:
    # ss_done: 5 of 5 required (invite_team is optional) → 1.0
    # ss_active: welcome, first_chatbot → 2/5 = 0.4 (connect_whatsapp optional; install is Nov 21)
    # ss_stalled: 2/5 = 0.4; mm_new: 0/6 = 0
    assert (progress["ss_done"]["required_done"], progress["ss_done"]["progress"]) == (5, 1.0)
    assert progress["ss_done"]["status"] == "completed"
    assert progress["ss_done"]["completed_on"] == nov(4)
    assert progress["ss_active"]["required_done"] == 2
    assert progress["ss_active"]["progress"] == pytest.approx(0.4)
    assert progress["ss_active"]["status"] == "in_progress"
    assert progress["ss_stalled"]["progress"] == pytest.approx(0.4)
    assert (progress["mm_new"]["required_steps"], progress["mm_new"]["progress"]) == (6, 0.0)


def test_stalled_after_three_days_without_a_step(progress: dict[str, dict]) -> None:
    # ss_stalled: last step Nov 17 → Nov 18, 19, 20 without one: 20 − 17 = 3 ≥ 3 → stalled
    # ss_active: last step Nov 18 (optional counts as activity): 20 − 18 = 2 → not stalled
    # mm_idle: no step since the start on Nov 15: 5 days → stalled
    # mm_new: started Nov 19: 1 day → not stalled
    # ss_done: completed → never stalled although its last step was Nov 5
    assert {a: r["stalled"] for a, r in progress.items()} == {
        "ss_done": False,
        "ss_stalled": True,
        "ss_active": False,
        "ss_late": False,
        "mm_new": False,
        "mm_idle": True,
    }


def test_time_to_first_value(progress: dict[str, dict]) -> None:
    # ss_done: first_conversation Nov 4 − start Nov 1 = 3 days (the repeat on Nov 6 is ignored)
    # ss_late: Oct 12 − Oct 1 = 11 days; others have not reached it
    assert progress["ss_done"]["time_to_first_value_days"] == 3
    assert progress["ss_late"]["time_to_first_value_days"] == 11
    assert progress["ss_active"]["time_to_first_value_days"] is None


def test_window_and_completion_within_it(progress: dict[str, dict]) -> None:
    # ss_done: window ends Nov 1 + 7 = Nov 8 ≤ Nov 20, done Nov 4 → in window
    # ss_late: window ends Oct 8, done Oct 12 → completed, but not within the window
    # ss_stalled: window ends Nov 17 → ended, not completed
    # ss_active: window ends Nov 22 → not ended; mm_*: 30-day windows, not ended
    ended = {a: (r["window_ended"], r["completed_in_window"]) for a, r in progress.items()}
    assert ended == {
        "ss_done": (True, True),
        "ss_stalled": (True, False),
        "ss_active": (False, False),
        "ss_late": (True, False),
        "mm_new": (False, False),
        "mm_idle": (False, False),
    }
    assert progress["ss_late"]["status"] == "completed"


def test_completion_rate_with_numerator_and_denominator(progress: dict[str, dict]) -> None:
    # Windows ended: ss_done, ss_stalled, ss_late (all self-serve); completed in window: ss_done.
    # Rate 1/3; the interval from the scalar Wilson implementation in transforms.stats.
    rate = onboarding_completion_rate(onboarding_progress(ACCOUNTS, STEPS, AS_OF, CONFIG))
    rows = {r["program"]: r for r in rate.iter_rows(named=True)}
    assert set(rows) == {"self-serve-v1", "all"}
    for program in ("self-serve-v1", "all"):
        row = rows[program]
        assert (row["completed"], row["window_ended"]) == (1, 3)
        assert row["rate"] == pytest.approx(1 / 3)
        expected = wilson_interval(1, 3)
        assert row["rate_low"] == pytest.approx(expected.low)
        assert row["rate_high"] == pytest.approx(expected.high)


def test_milestones_with_dates() -> None:
    out = onboarding_milestones(ACCOUNTS, STEPS, AS_OF, CONFIG)
    done = out.filter(pl.col("account_id") == "ss_done")
    # day1 needs first_chatbot (Nov 1) and install (Nov 2): reached Nov 2, target Nov 1 + 1 = Nov 2
    # day3 first_conversation Nov 4, target Nov 4; day7 all required: last Nov 4, target Nov 8
    assert done.select("milestone", "target_on", "reached_on", "on_time").rows() == [
        ("day1", nov(2), nov(2), True),
        ("day3", nov(4), nov(4), True),
        ("day7", nov(8), nov(4), True),
    ]
    late = out.filter(pl.col("account_id") == "ss_late")
    # day1: install Oct 4 > target Oct 2; day3: Oct 12 > Oct 4; day7: Oct 12 > Oct 8 — all late
    assert late.select("milestone", "on_time").rows() == [
        ("day1", False),
        ("day3", False),
        ("day7", False),
    ]
    active = out.filter(pl.col("account_id") == "ss_active")
    # install is dated Nov 21, after the as-of date: day1 not reached yet
    assert active["reached_on"].to_list() == [None, None, None]
    mm = out.filter(pl.col("account_id") == "mm_new")
    assert mm["milestone"].to_list() == ["week1", "week2", "week3", "week4"]


def test_unknown_segment_is_reported() -> None:
    accounts = pl.DataFrame(
        {"account_id": ["x"], "segment": ["startup"], "onboarding_start": [nov(1)]}
    )
    with pytest.raises(ValueError, match="startup.*config/onboarding.yml"):
        onboarding_progress(accounts, STEPS, AS_OF, CONFIG)
