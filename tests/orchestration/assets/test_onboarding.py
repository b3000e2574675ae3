"""The onboarding asset's builder on what dbt made of the hand-made rows of engagement_rows.py: the
program picked by segment, stalled after 3 days without a step, milestones against their targets."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.assets.onboarding import build_onboarding
from orchestration.config import load_onboarding_config
from tests.orchestration.assets.engagement_rows import AS_OF, rows


def test_onboarding_program_by_segment_and_stall(engagement_con) -> None:
    progress, milestones, _, left_out = build_onboarding(
        engagement_con, AS_OF, load_onboarding_config()
    )
    assert left_out == 0
    (a,) = rows(progress, account_id="acc_a")
    assert a["program"] == "self-serve-v1"  # smb
    assert a["onboarding_start"] == dt.date(2026, 11, 5)
    # 3 of the 5 required steps (welcome, first_chatbot, install).
    assert (a["required_done"], a["required_steps"]) == (3, 5)
    assert a["progress"] == pytest.approx(0.6)
    assert a["stalled"] is True  # 11-10 − 11-07 = 3 days without a step
    assert a["first_value_on"] is None and a["time_to_first_value_days"] is None
    (b,) = rows(progress, account_id="acc_b")
    assert b["program"] == "mid-market-v1"  # enterprise
    assert b["onboarding_start"] == dt.date(2026, 11, 1)  # not the incomplete 10-20 attempt
    assert (b["required_done"], b["required_steps"]) == (2, 6)
    assert b["stalled"] is False  # 11-10 − 11-08 = 2 days
    # acc_a's day1 milestone (first_chatbot, install) was reached 11-07, target 11-05 + 1 day.
    (day1,) = rows(milestones, account_id="acc_a", milestone="day1")
    assert (day1["reached_on"], day1["target_on"], day1["on_time"]) == (
        dt.date(2026, 11, 7),
        dt.date(2026, 11, 6),
        False,
    )
