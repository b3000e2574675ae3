"""Reading a KPI scorecard row in words: its name, its period, its verdict and one sentence.

The scorecard (marts.kpi_scorecard) has a row per KPI and period type (month, quarter, trailing 12
months). Its labels are the spec's KPI names, some of which carry a period ("NPS (quarter)",
"Net revenue retention (trailing 12 months)"): the page names each row by the KPI and the period
the row covers instead, so "NPS (quarter)" never labels a month. A KPI that is itself a 12-month
measure (NRR, GRR) has the same figure for "month" and "trailing 12 months"; the page shows it once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from report.formats import (
    change_text,
    day_name,
    month_name,
    number,
    quarter_name,
    value_text,
)

PERIOD_ORDER = ("month", "quarter", "trailing_12_months")
PERIOD_SUFFIXES = (" (quarter)", " (month)", " (trailing 12 months)")
TWELVE_MONTH_SUFFIX = " (trailing 12 months)"
STATUS = {
    "met": ("met", "met"),
    "not met": ("not met", "not-met"),
    "not reportable": ("not reportable", "not-reportable"),
    "insufficient_sample": ("not reportable", "not-reportable"),
}
OPERATOR_WORDS = {">": "above", ">=": "at least", "<": "below", "<=": "at most"}

Row = Mapping[str, object]


def status_text_and_class(status: str | None) -> tuple[str, str]:
    """The verdict as the page writes it and the CSS class that colours it ("not met" → not-met)."""
    if status is None:
        return "—", "missing"
    return STATUS.get(status, (status.replace("_", " "), "other"))


def reason_text(reason: object) -> str:
    """A not-reportable reason without the code it starts with ("insufficient_sample: 4 customers
    …" → "4 customers …"): the page says "not reportable" itself."""
    return re.sub(r"^[a-z]+(?:_[a-z0-9]+)+:\s*", "", str(reason))


def kpi_name(label: str) -> str:
    """The KPI's name without the period its spec label carries."""
    for suffix in PERIOD_SUFFIXES:
        if label.endswith(suffix):
            return label[: -len(suffix)]
    return label


def is_twelve_month_measure(label: str) -> bool:
    """Whether the KPI's value is itself measured over 12 months (its spec name says so)."""
    return label.endswith(TWELVE_MONTH_SUFFIX)


def headline_period(label: str) -> str:
    """The period type the executive summary shows: the quarter for a KPI the spec names by quarter,
    else the latest complete month (for a 12-month measure: the 12 months to that month's end)."""
    return "quarter" if label.endswith(" (quarter)") else "month"


def period_text(period_type: str, start: dt.date, end: dt.date, twelve: bool) -> str:
    """The period a row covers, in words: "October 2026", "Q3 2026", "Nov 2025 – Oct 2026", or
    "12 months to 31 Oct 2026" for a 12-month measure."""
    if twelve and period_type in PERIOD_ORDER:
        return f"12 months to {day_name(end)}"
    if period_type == "month":
        return month_name(start)
    if period_type == "quarter":
        return quarter_name(start)
    return f"{month_name(start, short=True)} – {month_name(end, short=True)}"


def row_period(row: Row) -> str:
    """The period of a scorecard row in words."""
    return period_text(
        str(row["period_type"]),
        row["period_start"],  # type: ignore[arg-type]
        row["period_end"],  # type: ignore[arg-type]
        is_twelve_month_measure(str(row["label"])),
    )


def previous_period(row: Row) -> str | None:
    """The period the row's change is measured from, in words (None when the row has none)."""
    start, end = row.get("previous_period_start"), row.get("previous_period_end")
    if start is None or end is None:
        return None
    return period_text(
        str(row["period_type"]), start, end, is_twelve_month_measure(str(row["label"]))
    )  # type: ignore[arg-type]


def target_text(row: Row) -> str:
    """The target in words: "above 110.0%", "below 7.0 days"."""
    operator = str(row["target_operator"])
    word = OPERATOR_WORDS.get(operator, operator)
    return f"{word} {value_text(row['target_value'], str(row['unit']))}"


def interval_text(row: Row) -> str:
    """The row's 95% interval, or why it has none (every unit counted, or no value)."""
    unit = str(row["unit"])
    if row["interval_low"] is not None and row["interval_high"] is not None:
        return (
            f"95% interval {value_text(row['interval_low'], unit)} – "
            f"{value_text(row['interval_high'], unit)}"
        )
    method = str(row.get("interval_method") or "")
    if method.startswith("none"):
        return "no interval: every unit is counted, nothing is sampled"
    return "no interval"


def sample_text(row: Row) -> str:
    """n and what it counts: "n = 795 paying customers 12 months before the end of the period"."""
    if row["sample_size"] is None:
        return "n not known"
    unit = str(row.get("sample_unit") or "")
    return f"n = {number(row['sample_size'])}" + (f" {unit}" if unit else "")


def sentence(row: Row) -> str:
    """One sentence a reader can repeat: the period, the value against its target, the change."""
    period = row_period(row)
    unit = str(row["unit"])
    if row["value"] is None:
        reason = reason_text(row.get("status_reason") or "the data does not support a value")
        return f"{period}: not reportable — {reason}."
    verdict = {"met": "meeting", "not met": "missing"}.get(str(row["status"]), "against")
    text = f"{period}: {value_text(row['value'], unit)}, {verdict} the target ({target_text(row)})"
    previous = previous_period(row)
    change = row.get("change")
    if previous and change is not None:
        direction = "up" if change > 0 else "down" if change < 0 else "unchanged"  # type: ignore[operator]
        size = change_text(abs(change), unit).lstrip("+±")  # type: ignore[arg-type]
        text += (
            f"; unchanged from {previous}"
            if direction == "unchanged"
            else f"; {direction} {size} from {previous}"
        )
    elif previous:
        text += f"; {previous} has no value to compare with"
    return text + "."


def same_figure(a: Row, b: Row) -> bool:
    """Whether two rows of a KPI report the same figure over the same period end (a 12-month
    measure's month and trailing-12-month rows)."""
    fields = ("value", "period_end", "numerator", "denominator", "sample_size")
    return all(a.get(f) == b.get(f) for f in fields)
