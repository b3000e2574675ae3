"""Rule 12's sample: the accounts it recomputes, the same ones on a re-run of the same date."""

from __future__ import annotations

import datetime as dt
import random


def sample_accounts(customers: list[str], as_of: dt.date, size: int) -> list[str]:
    """A sample of customers seeded from the as-of date, so a re-run checks the same ones."""
    pool = sorted(set(customers))
    rng = random.Random(as_of.toordinal())
    return sorted(rng.sample(pool, min(size, len(pool))))
