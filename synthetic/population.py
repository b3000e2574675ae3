"""The simulated accounts: static attributes drawn at once and a latent monthly health walk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.calendar import SimCalendar
from synthetic.catalog import (
    ANNUAL_SHARE_BY_SEGMENT,
    CURRENCIES,
    CURRENCY_SHARES,
    HEALTH_BETA,
    HEALTH_DRIFT,
    HEALTH_SIGMA,
    NAME_FIRST,
    NAME_SECOND,
    PLAN_BY_SEGMENT,
    SEATS_RANGE_BY_SEGMENT,
    SEGMENT_SHARES,
    TRIAL_SHARE_BY_SEGMENT,
)


@dataclass
class Population:
    """Accounts ordered by signup; `health[a, m]` is the latent health (0–1) in calendar month m."""

    n: int
    account_ids: list[str]
    names: list[str]
    domains: list[str]
    billing_email: list[str]
    segment: np.ndarray
    currency: np.ndarray
    signup_day: np.ndarray
    tier0: np.ndarray
    annual0: np.ndarray
    trial: np.ndarray
    seats0: np.ndarray
    health: np.ndarray
    db_plan_offset: np.ndarray

    def currency_code(self, a: int) -> str:
        return CURRENCIES[int(self.currency[a])]


def draw_population(n: int, cal: SimCalendar, rng: np.random.Generator) -> Population:
    """Draw n accounts signing up throughout the period (a quarter in its first two months)."""
    segment = rng.choice(4, size=n, p=SEGMENT_SHARES)
    currency = rng.choice(len(CURRENCIES), size=n, p=CURRENCY_SHARES)
    early = rng.random(n) < 0.25
    last_signup = cal.last_day
    signup = np.where(
        early,
        rng.integers(0, min(60, last_signup + 1), size=n),
        rng.integers(0, last_signup + 1, size=n),
    )
    order = np.argsort(signup, kind="stable")
    segment, currency, signup = segment[order], currency[order], signup[order]
    plan_cdf = np.cumsum(np.asarray(PLAN_BY_SEGMENT), axis=1)[segment]
    tier0 = (rng.random(n)[:, None] > plan_cdf).sum(axis=1).clip(0, 3)
    annual0 = rng.random(n) < np.asarray(ANNUAL_SHARE_BY_SEGMENT)[segment]
    trial = rng.random(n) < np.asarray(TRIAL_SHARE_BY_SEGMENT)[segment]
    lo = np.asarray([r[0] for r in SEATS_RANGE_BY_SEGMENT])[segment]
    hi = np.asarray([r[1] for r in SEATS_RANGE_BY_SEGMENT])[segment]
    seats0 = np.floor(lo + (hi - lo + 1) * rng.random(n) ** 1.5).astype(np.int64)

    n_months = len(cal.month_starts())
    alpha = np.asarray([b[0] for b in HEALTH_BETA])[segment]
    beta = np.asarray([b[1] for b in HEALTH_BETA])[segment]
    h = rng.beta(alpha, beta)
    signup_month = cal.month_index_of_days(signup)
    drift = np.asarray(HEALTH_DRIFT)[segment]
    # Some accounts are on a persistent slide (a lost champion, a failed rollout).
    sliding = rng.random(n) < 0.12
    drift = drift - np.where(sliding, rng.uniform(0.02, 0.06, size=n), 0.0)
    health = np.empty((n, n_months), dtype=np.float64)
    for m in range(n_months):
        step = drift + HEALTH_SIGMA * rng.standard_normal(n) + 0.04 * (0.65 - h)
        shock = rng.random(n) < 0.03
        step = step - np.where(shock, rng.uniform(0.15, 0.35, size=n), 0.0)
        h = np.where(m > signup_month, np.clip(h + step, 0.02, 0.98), h)
        health[:, m] = h

    width = max(6, len(str(n)))
    account_ids = [f"acc_{i + 1:0{width}d}" for i in range(n)]
    first = rng.integers(0, len(NAME_FIRST), size=n)
    second = rng.integers(0, len(NAME_SECOND), size=n)
    names = [
        f"{NAME_FIRST[f]} {NAME_SECOND[s]} {i + 1}"
        for i, (f, s) in enumerate(zip(first, second, strict=True))
    ]
    domains = [
        f"{NAME_FIRST[f].lower()}{NAME_SECOND[s].lower()}{i + 1}.example.com"
        for i, (f, s) in enumerate(zip(first, second, strict=True))
    ]
    billing_email = [f"billing@{d}" for d in domains]
    return Population(
        n=n,
        account_ids=account_ids,
        names=names,
        domains=domains,
        billing_email=billing_email,
        segment=segment,
        currency=currency,
        signup_day=signup,
        tier0=tier0,
        annual0=annual0,
        trial=trial,
        seats0=seats0,
        health=health,
        db_plan_offset=np.zeros(n, dtype=np.int64),
    )
