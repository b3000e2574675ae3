"""A figure is shown rounded for its unit and carries its unrounded value."""

from __future__ import annotations

from report.elements import cell
from report.formats import value_text


def test_values_are_shown_rounded_for_their_unit() -> None:
    assert value_text(0.12345, "fraction") == "12.3%"
    assert value_text(1234.5, "money") == "$1,234"
    assert value_text(3.26, "days") == "3.3 days"
    assert value_text(1234, "count") == "1,234"
    assert value_text(42.46, "score") == "42.5"
    assert value_text(None, "money") == "—"
    assert value_text("published", "text") == "published"


def test_a_figure_carries_its_unrounded_value() -> None:
    assert cell("nps_summary.nps", "2026-01-01", 0.12345, "fraction").raw == "0.12345"
    # Integers are carried as floats, so a checker compares one kind of number.
    assert cell("m", "k", 3, "count").raw == "3.0"
    missing = cell("m", "k", None, "money")
    assert (missing.raw, missing.text) == ("", "—")


def test_a_decimal_from_duckdb_is_shown_as_money_not_as_its_digits() -> None:
    from decimal import Decimal

    shown = cell("churn_reasons.mrr_lost", "k", Decimal("44129.39"), "money")
    assert (shown.text, shown.raw) == ("$44,129", "44129.39")
