"""The engagement asset's builder on what dbt made of the hand-made rows of engagement_rows.py: true
zeros where the events extract reached the day, NULL where it did not, the CSM portfolio, and
November measured once the as-of day's events arrive."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.assets.engagement import build_engagement
from orchestration.config import load_engagement_config
from tests.orchestration.assets.engagement_rows import rows


def test_engagement_true_zeros_where_covered_and_null_where_not(engagement_con) -> None:
    engagement, _ = build_engagement(engagement_con, load_engagement_config())
    (oct_a,) = rows(engagement, account_id="acc_a", month=dt.date(2026, 10, 1))
    assert oct_a["logins"] == 3
    assert oct_a["active_users"] == 3
    assert oct_a["features_used"] == 2
    assert oct_a["actions"] == 3
    assert (oct_a["automated_conversations"], oct_a["handled_conversations"]) == (1, 4)
    assert oct_a["automation_rate"] == pytest.approx(0.25)
    assert oct_a["csat_ratings"] == 2
    assert oct_a["csat"] == pytest.approx(4.5)  # (4 + 5) / 2; the "good" score is not a rating
    # Score: logins 3/30 → 10, users 3/5 → 60, features 2/10 → 20, actions 3/100 → 3,
    # automation 0.25 → 25, csat 4.5/5 → 90; Σ w·s = .15·10 + .15·60 + .20·20 + .20·3
    # + .15·25 + .15·90 = 1.5 + 9 + 4 + 0.6 + 3.75 + 13.5 = 32.35 over coverage 1.0.
    assert oct_a["score"] == pytest.approx(32.35)
    assert oct_a["score_display"] == 32
    assert oct_a["level"] == "low"

    # acc_b did nothing in October while the extract covered it: measured zeros. It has no
    # handled conversation (rate undefined) and no ticketing organisation (no csat).
    (oct_b,) = rows(engagement, account_id="acc_b", month=dt.date(2026, 10, 1))
    assert [oct_b[c] for c in ("logins", "active_users", "features_used", "actions")] == [0] * 4
    assert oct_b["automation_rate"] is None
    assert oct_b["automation_rate_null_reason"] == "no_handled_conversations"
    assert oct_b["csat"] is None and oct_b["csat_ratings"] is None
    assert oct_b["csat_null_reason"] == "no_ticketing_organization"
    # Zeros score 0 over the weights of logins, users, features, actions: .70 of coverage.
    assert oct_b["coverage"] == pytest.approx(0.70)
    assert oct_b["score"] == pytest.approx(0.0)

    # November: the events file of 11-10 is missing, so nothing is known up to the as-of day:
    # NULL with the reason, not 0, even for acc_a's 11-09 login.
    (nov_a,) = rows(engagement, account_id="acc_a", month=dt.date(2026, 11, 1))
    assert nov_a["logins"] is None and nov_a["actions"] is None
    assert nov_a["events_null_reason"] == "events_not_extracted"
    (nov_b,) = rows(engagement, account_id="acc_b", month=dt.date(2026, 11, 1))
    assert nov_b["score"] is None and nov_b["score_null_reason"] == "no_input_covered"
    # acc_a's September (created 09-10) is covered and empty: zeros; nothing before creation.
    assert rows(engagement, account_id="acc_a", month=dt.date(2026, 9, 1))[0]["logins"] == 0
    assert not rows(engagement, account_id="acc_b", month=dt.date(2026, 9, 1))


def test_csm_portfolio_counts_levels_of_the_live_book(engagement_covered_con) -> None:
    _, portfolio = build_engagement(engagement_covered_con, load_engagement_config())
    # October: neither account had paid yet (their subscriptions start on 11-05 and 11-01), so
    # neither is in a CSM's book, though both have engagement rows (metrics.md, population).
    assert not rows(portfolio, csm_id="csm_1", month=dt.date(2026, 10, 1))
    # November: both pay on the month's last known day (11-10); acc_a scores 5.0 (low), acc_b 0
    # (low): two low accounts, mean (5.0 + 0) / 2 over n = 2.
    (november,) = rows(portfolio, csm_id="csm_1", month=dt.date(2026, 11, 1))
    assert (november["accounts"], november["low"], november["high"]) == (2, 2, 0)
    assert november["at_risk_accounts"] == ["acc_a", "acc_b"]
    assert november["mean_score"] == pytest.approx(2.5)


def test_november_is_measured_once_the_as_of_day_is_extracted(engagement_covered_con) -> None:
    engagement, _ = build_engagement(engagement_covered_con, load_engagement_config())
    (nov_a,) = rows(engagement, account_id="acc_a", month=dt.date(2026, 11, 1))
    # One login (u1, 11-09), nothing else; ratings covered, none in November.
    assert [nov_a[c] for c in ("logins", "active_users", "features_used", "actions")] == [
        1,
        1,
        0,
        0,
    ]
    assert nov_a["automation_rate_null_reason"] == "no_handled_conversations"
    assert nov_a["csat_ratings"] == 0 and nov_a["csat_null_reason"] == "no_1_5_ratings"
    # logins 1/30·100 = 3.333…, users 1/5·100 = 20, features 0, actions 0; coverage
    # .15 + .15 + .20 + .20 = .70; (.15·3.333… + .15·20) / .70 = (0.5 + 3) / .7 = 5.0.
    assert nov_a["coverage"] == pytest.approx(0.70)
    assert nov_a["score"] == pytest.approx(5.0)
    (nov_b,) = rows(engagement, account_id="acc_b", month=dt.date(2026, 11, 1))
    assert nov_b["logins"] == 0 and nov_b["score"] == pytest.approx(0.0)
