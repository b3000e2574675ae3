"""Rule 12's sample (transforms/gate/sampling.py)."""

from __future__ import annotations

import datetime as dt

from transforms.gate import sampling


def test_sample_is_seeded_from_the_as_of_date() -> None:
    customers = [f"c{i}" for i in range(40)]
    first = sampling.sample_accounts(customers, dt.date(2026, 11, 20), 12)
    assert first == sampling.sample_accounts(list(reversed(customers)), dt.date(2026, 11, 20), 12)
    assert len(first) == 12 and first != sampling.sample_accounts(
        customers, dt.date(2026, 11, 21), 12
    )
