"""The simulated period: day indexes, dates, unix timestamps and ISO-8601 UTC strings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

EPOCH = dt.date(1970, 1, 1)
SECONDS_PER_DAY = 86_400


def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """The date `months` calendar months after `day`, on `anchor_day` clamped to the month's end."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    target = anchor_day if anchor_day is not None else day.day
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(target, last))


def iso_utc(ts: int | None) -> str | None:
    """Unix seconds as `2025-03-04T10:15:00Z` (None stays None)."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SimCalendar:
    """Day 0 is the first simulated day; `initial_day` is the day of the full first extraction."""

    start: dt.date
    end: dt.date
    initial_drop: dt.date

    @classmethod
    def build(cls, end: dt.date, months: int, incremental_days: int) -> SimCalendar:
        start = add_months(end, -months)
        initial = end - dt.timedelta(days=incremental_days)
        if initial < start:
            raise ValueError(
                f"incremental_days={incremental_days} reaches before the simulated period "
                f"starting {start}; use more months or fewer incremental days"
            )
        return cls(start=start, end=end, initial_drop=initial)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def initial_day(self) -> int:
        return (self.initial_drop - self.start).days

    @property
    def last_day(self) -> int:
        return self.n_days - 1

    @property
    def start_ts(self) -> int:
        return (self.start - EPOCH).days * SECONDS_PER_DAY

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    def day_of(self, date: dt.date) -> int:
        return (date - self.start).days

    def ts(self, day: int, seconds: int = 0) -> int:
        return self.start_ts + int(day) * SECONDS_PER_DAY + int(seconds)

    def day_of_ts(self, ts: int) -> int:
        return (int(ts) - self.start_ts) // SECONDS_PER_DAY

    def drop_dates(self) -> list[dt.date]:
        n_incremental = (self.end - self.initial_drop).days
        return [self.initial_drop + dt.timedelta(days=i) for i in range(n_incremental + 1)]

    def drop_day_of(self, day: int) -> int | None:
        """The day of the drop that first carries a change made on `day` (None: after the end)."""
        if day > self.last_day:
            return None
        return max(int(day), self.initial_day)

    def month_starts(self) -> list[dt.date]:
        """First day of every calendar month touching the period, in order."""
        first = self.start.replace(day=1)
        months = []
        while first <= self.end:
            months.append(first)
            first = add_months(first, 1, 1)
        return months

    def month_index_of_days(self, days: np.ndarray) -> np.ndarray:
        """Calendar-month index (0 = the month of day 0) of each day index."""
        dates = np.datetime64(self.start, "D") + days.astype("timedelta64[D]")
        months = dates.astype("datetime64[M]").astype(np.int64)
        return months - np.datetime64(self.start, "M").astype(np.int64)

    def month_index(self, day: int) -> int:
        d = self.date(day)
        return (d.year - self.start.year) * 12 + d.month - self.start.month
