"""When a source timestamp can have happened: the window a drop's timestamps must fall in.

A timestamp that records something that happened (created, occurred, solved, canceled) cannot be
before the company's first date nor after the drop's extraction (the end of its date, plus a
tolerance for extraction lag and time zones). A scheduled one (a period end, a trial end, a planned
cancellation) may lie ahead, within a horizon. Outside these windows a value is a fault of the
extract (a placeholder, milliseconds read as seconds, a clock set to 2099), and it is quarantined at
the door so the raw layer never holds a value the models cannot read. The values come from
`config/ingest.yml` (read by orchestration/config.py); the defaults below are its shipped values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_COMPANY_START = dt.date(2000, 1, 1)
DEFAULT_HAPPENED_TOLERANCE_DAYS = 2
DEFAULT_SCHEDULED_HORIZON_DAYS = 1830


@dataclass(frozen=True)
class Plausibility:
    """The settings of the window: the company's first date, and how far past a drop's date a
    happened timestamp (tolerance) and a scheduled one (horizon) may lie."""

    company_start: dt.date = DEFAULT_COMPANY_START
    happened_tolerance_days: int = DEFAULT_HAPPENED_TOLERANCE_DAYS
    scheduled_horizon_days: int = DEFAULT_SCHEDULED_HORIZON_DAYS

    def window(self, drop_date: dt.date) -> TimeWindow:
        """The window of the drop of `drop_date`."""
        end_of_drop = dt.datetime.combine(drop_date + dt.timedelta(days=1), dt.time())
        return TimeWindow(
            earliest=dt.datetime.combine(self.company_start, dt.time()),
            latest_happened=end_of_drop + dt.timedelta(days=self.happened_tolerance_days),
            latest_scheduled=end_of_drop + dt.timedelta(days=self.scheduled_horizon_days),
            drop_date=drop_date,
            settings=self,
        )


@dataclass(frozen=True)
class TimeWindow:
    """Bounds (naive UTC) for one drop's timestamps; `settings` for the messages."""

    earliest: dt.datetime
    latest_happened: dt.datetime
    latest_scheduled: dt.datetime
    drop_date: dt.date
    settings: Plausibility
