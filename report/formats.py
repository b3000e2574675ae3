"""How the report writes numbers, money and periods: rounded for reading, never for computing.

Pure functions of plain values. A missing value is written "—", never 0; negative numbers use the
minus sign (−) so they cannot be read as a dash.
"""

from __future__ import annotations

import datetime as dt
import math

MINUS = "\u2212"
MISSING = "—"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _signed(text: str, negative: bool) -> str:
    return f"{MINUS}{text}" if negative else text


def currency_symbol(currency: str | None) -> str:
    """The symbol a currency's amounts are prefixed with ("$" for USD, else the code and a space)."""
    if not currency:
        return ""
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def money(value: float | None, currency: str | None = "USD", compact: bool = False) -> str:
    """An amount in whole units ("$2,680,598"), or compact for headlines ("$2.68M", "$531k")."""
    if value is None:
        return MISSING
    symbol = currency_symbol(currency)
    size = abs(float(value))
    if compact and size >= 1_000:
        for bound, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if size >= bound:
                scaled = size / bound
                digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
                text = f"{scaled:.{digits}f}".rstrip("0").rstrip(".")
                return _signed(f"{symbol}{text}{suffix}", value < 0)
    return _signed(f"{symbol}{size:,.0f}", value < 0 and round(size) != 0)


def percent(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage ("77.1%")."""
    if value is None:
        return MISSING
    return _signed(
        f"{abs(value) * 100:.{digits}f}%", value < 0 and round(abs(value) * 100, digits) != 0
    )


def number(value: float | None, digits: int = 0) -> str:
    """A plain number with thousands separators ("1,085", "−5.5")."""
    if value is None:
        return MISSING
    return _signed(f"{abs(value):,.{digits}f}", value < 0 and round(abs(value), digits) != 0)


def value_text(value: object, unit: str, currency: str | None = "USD") -> str:
    """A value in its unit as a table shows it: fraction → %, money, days, count, score."""
    if value is None:
        return MISSING
    if isinstance(value, bool) or not isinstance(value, float | int):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    if unit == "fraction":
        return percent(value)
    if unit == "money":
        return money(value, currency)
    if unit == "days":
        return f"{number(value, 1)} days"
    if unit == "count":
        return number(value)
    return number(value, 1)


def change_text(change: float | None, unit: str) -> str:
    """A change between two periods with its sign: "+0.8 pp", "−12.8 points", "−2.0 days"."""
    if change is None:
        return MISSING
    sign = "+" if change > 0 else MINUS if change < 0 else "±"
    size = abs(change)
    if unit == "fraction":
        return f"{sign}{size * 100:.1f} pp"
    if unit == "days":
        return f"{sign}{size:.1f} days"
    if unit == "score":
        return f"{sign}{size:.1f} points"
    return f"{sign}{size:,.1f}"


def month_name(day: dt.date, short: bool = False) -> str:
    """A calendar month: "October 2026", or "Oct 2026" when short."""
    return day.strftime("%b %Y" if short else "%B %Y")


def quarter_name(day: dt.date) -> str:
    """The calendar quarter a day falls in: "Q3 2026"."""
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def day_name(day: dt.date) -> str:
    """A day as the report writes it: "31 Oct 2026"."""
    return f"{day.day} {day.strftime('%b %Y')}"
