"""The page's elements: a number is shown rounded for its unit and carries its unrounded value."""

from __future__ import annotations

from report.elements import absent_note, metric_cell, value_text


def test_values_are_shown_rounded_for_their_unit() -> None:
    assert value_text(0.12345, "fraction") == "12.3%"
    assert value_text(1234.5, "money") == "1,234.50"
    assert value_text(3.26, "days") == "3.3 d"
    assert value_text(1234, "count") == "1,234"
    assert value_text(42.46, "score") == "42.5"
    assert value_text(None, "money") == "—"
    assert value_text("published", "text") == "published"


def test_a_metric_cell_carries_the_unrounded_value() -> None:
    assert metric_cell("nps_summary.nps", "2026-01-01", 0.12345, "fraction") == (
        '<td data-metric="nps_summary.nps" data-key="2026-01-01" data-value="0.12345">12.3%</td>'
    )
    # Integers are carried as floats, so a checker compares one kind of number.
    assert 'data-value="3.0">3</td>' in metric_cell("m", "k", 3, "count")
    assert 'data-value="">—</td>' in metric_cell("m", "k", None, "money")


def test_an_absent_table_is_named() -> None:
    note = absent_note("marts.nps_summary", "NPS trend")
    assert 'data-absent="marts.nps_summary"' in note
    assert "<code>marts.nps_summary</code> is not in this publication yet" in note
