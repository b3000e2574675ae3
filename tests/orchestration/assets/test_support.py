"""The support asset on hand-made raw rows (nps_support_rows.py), through the real dbt models and
Dagster assets: open tickets across month boundaries, and CSAT from both rating kinds. Every
expected figure is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.orchestration.assets.nps_support_rows import read

SUPPORT_COLUMNS = (
    "tickets_created",
    "open_at_month_end",
    "tickets_solved",
    "escalated",
    "high_urgent",
    "competitor_mentions",
)


def support_rows(nps_support_warehouse: Path) -> dict[tuple[str, str], dict[str, Any]]:
    frame = read(nps_support_warehouse, "select * from marts.support_monthly")
    return {(r["account_id"], r["month_start"].isoformat()): r for r in frame.iter_rows(named=True)}


def test_support_open_at_month_end_across_boundaries(nps_support_warehouse: Path) -> None:
    rows = support_rows(nps_support_warehouse)
    counts = {key: tuple(row[c] for c in SUPPORT_COLUMNS) for key, row in rows.items()}
    # acc_smb September: tickets 1, 2, 3 created; open at the end: 1 (solved 2 Oct) and 2 (solved
    # 1 Oct 00:00:00, a second after September's end) = 2; solved: 3; escalated: 3 (tag
    # ESCALATED); high/urgent: 3; competitor: 3 names Intercom.
    assert counts[("acc_smb", "2026-09-01")] == (3, 2, 1, 1, 1, 1)
    # October: ticket 4 created and still open; 1 and 2 solved; 4 is high.
    assert counts[("acc_smb", "2026-10-01")] == (1, 1, 2, 0, 1, 0)
    # November, cut off at the as-of date: ticket 4 still open.
    assert counts[("acc_smb", "2026-11-01")] == (0, 1, 0, 0, 0, 0)
    assert rows[("acc_smb", "2026-11-01")]["month_end"] == dt.date(2026, 11, 20)
    # August: the account existed (created 1 Aug) and had no ticket: true zeros.
    assert counts[("acc_smb", "2026-08-01")] == (0, 0, 0, 0, 0, 0)
    # acc_ent September: 5 and 6 created; 5 solved on 6 Sep; 6 is solved without solved_at (not
    # open, not counted as solved in a month); `escalation_requested` is not the escalated tag.
    assert counts[("acc_ent", "2026-09-01")] == (2, 0, 1, 0, 0, 0)
    assert rows[("acc_smb", "2026-09-01")]["competitors_mentioned"] == ["Intercom"]
    assert ("acc_smb", "2026-07-01") not in rows


def test_support_csat_from_both_rating_kinds(nps_support_warehouse: Path) -> None:
    rows = support_rows(nps_support_warehouse)
    smb = rows[("acc_smb", "2026-09-01")]
    # 1–5 ratings 5 and 2: mean 3.5 over 2; no good/bad, so no satisfied share
    assert (smb["csat_mean"], smb["csat_rating_n"]) == (3.5, 2)
    assert (smb["csat_good"], smb["csat_bad"], smb["csat_satisfied_share"]) == (0, 0, None)
    ent = rows[("acc_ent", "2026-09-01")]
    # good, good, bad (offered is not a rating): 2/3, no 1–5 mean
    assert (ent["csat_mean"], ent["csat_rating_n"]) == (None, 0)
    assert (ent["csat_good"], ent["csat_bad"]) == (2, 1)
    assert ent["csat_satisfied_share"] == pytest.approx(2 / 3)
    # Wilson, p = 2/3, n = 3, z² = 3.8416: centre 2/3 + 3.8416/6 = 1.306933; half-width
    # 1.96·√(2/9/3 + 3.8416/36) = 1.96·√0.180785 = 0.833369; divisor 1 + 3.8416/3 = 2.280533
    # → (0.473564 / 2.280533, 2.140302 / 2.280533) = (0.20765, 0.93851)
    assert ent["csat_satisfied_share_ci_low"] == pytest.approx(0.20765, abs=1e-4)
    assert ent["csat_satisfied_share_ci_high"] == pytest.approx(0.93851, abs=1e-4)
