"""Rule 7's orphans (transforms/gate/reconciliation_rules.py) on hand-made counts."""

from __future__ import annotations

from transforms.gate.reconciliation_rules import Orphans, orphans


def test_orphans_are_judged_by_share_and_named() -> None:
    results = {
        r.target: r
        for r in orphans(
            {
                # 1 of 100 = 1%: pass, still named
                "tickets of unknown organisations": Orphans(1, 100, [("88888888", 1)]),
                # 3 of 100 = 3% > 2%: warn
                "usage events of unknown accounts": Orphans(3, 100, [("acc_ghost", 3)]),
                # 1 of 6 ≈ 16.7% > 5%: fail
                "NPS responses of unknown accounts": Orphans(1, 6, [("acc_gone", 1)]),
                "satisfaction ratings of unknown tickets": Orphans(0, 0, []),
                "NPS survey sends of unknown accounts": Orphans(0, 30, []),
            },
            warn_share=0.02,
            error_share=0.05,
        )
    }
    tickets = results["tickets of unknown organisations"]
    assert (tickets.status, tickets.observed) == ("pass", "1 of 100 (1.00%)")
    assert tickets.message == (
        "tickets of unknown organisations: 1, by unknown id 88888888 (1); "
        "left out of every segment and total"
    )
    assert results["usage events of unknown accounts"].status == "warn"
    nps = results["NPS responses of unknown accounts"]
    assert (nps.status, nps.observed) == ("fail", "1 of 6 (16.67%)")
    assert "acc_gone (1)" in nps.message
    assert results["satisfaction ratings of unknown tickets"].status == "not_applicable"
    sends = results["NPS survey sends of unknown accounts"]
    assert (sends.status, sends.message) == ("pass", "NPS survey sends of unknown accounts: none")
