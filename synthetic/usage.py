"""Product-usage events (logins, features, conversations), simulated a month at a time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from synthetic.app_db import Users
from synthetic.billing import AccountTimeline
from synthetic.calendar import SECONDS_PER_DAY, SimCalendar
from synthetic.catalog import AUTOMATION_RATE, CONVERSATIONS_PER_WEEK, FEATURES, FEATURES_ON_PLAN
from synthetic.population import Population
from synthetic.sinks import DropWriter

EVENT_TYPES = (
    "login",
    "feature_used",
    "conversation_handled",
    "conversation_automated",
    "blocked_feature_attempt",
)
EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("account_id", pa.string()),
        ("user_id", pa.string()),
        ("event_type", pa.string()),
        ("feature_key", pa.string()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
    ]
)


def tier_by_month(
    cal: SimCalendar, pop: Population, timelines: list[AccountTimeline]
) -> np.ndarray:
    """The billed plan tier of every account at the start of each month (its first plan before)."""
    months = cal.month_starts()
    starts = np.array([cal.ts(max(0, cal.day_of(m))) for m in months])
    out = np.repeat(pop.tier0[:, None], len(months), axis=1).astype(np.int64)
    for a, tl in enumerate(timelines):
        for ts, tier, _seats in tl.plan_versions:
            out[a, np.searchsorted(starts, ts, side="right") :] = tier
    return out


def write_events(
    cal: SimCalendar,
    pop: Population,
    timelines: list[AccountTimeline],
    users: Users,
    writer: DropWriter,
    rng: np.random.Generator,
    progress: Callable[[str], None],
) -> int:
    """Simulate and write every usage event; returns the number of events."""
    n = pop.n
    k = max(1, max(len(tl.app_intervals) for tl in timelines))
    starts = np.full((n, k), cal.n_days, dtype=np.int64)
    ends = np.full((n, k), -1, dtype=np.int64)
    for a, tl in enumerate(timelines):
        for j, (s, e) in enumerate(tl.app_intervals):
            starts[a, j], ends[a, j] = s, e
    tiers = tier_by_month(cal, pop, timelines)
    conv_week = np.asarray(CONVERSATIONS_PER_WEEK)[pop.segment]
    account_ids = pa.array(pop.account_ids, pa.string())
    user_ids = pa.array(users.user_ids, pa.string())
    feature_names = pa.array(list(FEATURES), pa.string())
    type_names = pa.array(list(EVENT_TYPES), pa.string())
    total = 0
    months = cal.month_starts()
    for m, month_start in enumerate(months):
        d0 = max(0, cal.day_of(month_start))
        d1 = cal.day_of(months[m + 1]) - 1 if m + 1 < len(months) else cal.last_day
        d1 = min(d1, cal.last_day)
        progress(f"simulating month {month_start.strftime('%Y-%m')}")
        days = np.arange(d0, d1 + 1)
        active = ((starts[:, :, None] <= days) & (ends[:, :, None] >= days)).any(axis=1)
        h = pop.health[:, m][:, None]
        weekday = (np.datetime64(cal.start, "D") + days.astype("timedelta64[D]")).astype(np.int64)
        weekend = ((weekday + 3) % 7) >= 5
        day_factor = np.where(weekend, 0.45, 1.15)[None, :]
        conv_rate = (conv_week[:, None] / 7.0) * (0.1 + 0.9 * h) * day_factor
        conversations = np.where(active, rng.poisson(conv_rate), 0)
        auto_share = AUTOMATION_RATE[0] + (AUTOMATION_RATE[1] - AUTOMATION_RATE[0]) * h
        automated = rng.binomial(conversations, np.broadcast_to(auto_share, conversations.shape))
        n_users = users.count_of_account[:, None]
        login_p = (0.04 + 0.4 * h**1.5) * np.where(weekend, 0.4, 1.0)[None, :]
        logins = np.where(active, rng.binomial(np.broadcast_to(n_users, active.shape), login_p), 0)
        tier = tiers[:, m]
        blocked_rate = np.where(tier < 3, 0.005 + 0.1 * h[:, 0] ** 2, 0.0)[:, None]
        blocked = np.where(active, rng.poisson(np.broadcast_to(blocked_rate, active.shape)), 0)

        acc_idx, day_idx = np.nonzero(np.ones_like(active))
        parts_account, parts_day, parts_type = [], [], []
        for type_code, counts in ((0, logins), (2, conversations), (3, automated), (4, blocked)):
            c = counts.ravel()
            parts_account.append(np.repeat(acc_idx, c))
            parts_day.append(np.repeat(day_idx, c))
            parts_type.append(np.full(int(c.sum()), type_code, dtype=np.int8))
        login_accounts = parts_account[0]
        per_login = rng.poisson(0.6 + 1.2 * pop.health[login_accounts, m])
        parts_account.append(np.repeat(login_accounts, per_login))
        parts_day.append(np.repeat(parts_day[0], per_login))
        parts_type.append(np.full(int(per_login.sum()), 1, dtype=np.int8))
        account = np.concatenate(parts_account)
        day = np.concatenate(parts_day) + d0
        etype = np.concatenate(parts_type)
        size = account.size
        if size == 0:
            continue
        # Users: a random user of the account, the admin when that one did not exist that day.
        pick = users.first_of_account[account] + (
            rng.random(size) * users.count_of_account[account]
        ).astype(np.int64)
        valid = (users.created_day[pick] <= day) & (users.deactivated_day[pick] > day)
        user = np.where(valid, pick, users.first_of_account[account])
        avail = np.asarray(FEATURES_ON_PLAN)[tiers[account, m]]
        breadth = np.maximum(1, np.round(avail * (0.2 + 0.8 * pop.health[account, m]))).astype(
            np.int64
        )
        used_feature = (rng.random(size) * breadth).astype(np.int64)
        blocked_feature = avail + (rng.random(size) * np.maximum(1, len(FEATURES) - avail)).astype(
            np.int64
        )
        feature = np.where(
            etype == 1,
            used_feature,
            np.where(etype == 4, np.minimum(blocked_feature, len(FEATURES) - 1), -1),
        )
        seconds = np.where(
            etype == 0,
            rng.integers(6 * 3600, 21 * 3600, size=size),
            rng.integers(0, SECONDS_PER_DAY, size=size),
        )
        ts = (cal.start_ts + day.astype(np.int64) * SECONDS_PER_DAY + seconds) * 1_000_000
        order = np.lexsort((etype, account, ts))
        account, user, etype, feature, ts, day = (
            x[order] for x in (account, user, etype, feature, ts, day)
        )
        ids = (
            pl.Series(np.arange(total + 1, total + size + 1, dtype=np.int64))
            .cast(pl.Utf8)
            .str.zfill(10)
        )
        event_ids = ("evt_" + ids).to_arrow()
        feature_arr = pa.array(np.where(feature >= 0, feature, 0))
        feature_col = feature_names.take(feature_arr)
        feature_col = pc.if_else(pa.array(feature >= 0), feature_col, pa.nulls(size, pa.string()))
        table = pa.table(
            {
                "event_id": event_ids.cast(pa.string()),
                "account_id": account_ids.take(pa.array(account)),
                "user_id": user_ids.take(pa.array(user)),
                "event_type": type_names.take(pa.array(etype.astype(np.int64))),
                "feature_key": feature_col,
                "occurred_at": pa.array(ts, pa.timestamp("us", tz="UTC")),
            },
            schema=EVENTS_SCHEMA,
        )
        writer.write_events(table, day)
        total += size
    return total
