"""The charts: static SVG with no script or external reference, a missing value is a gap in the
line (never a zero), and category labels are thinned so that none overlaps the next."""

from __future__ import annotations

import re

from report.charts import CHAR_WIDTH, LABEL_SIZE, lines, shown_labels, stacked_bars


def _line_paths(svg: str) -> list[str]:
    return re.findall(r'aria-roledescription="line mark" d="([^"]+)"', svg)


def test_a_missing_value_is_a_gap_in_the_line_not_a_zero() -> None:
    rows = [
        {"x": x, "series": "s", "value": v}
        for x, v in zip("abcd", [1.0, None, 3.0, 4.0], strict=True)
    ]
    svg = lines("t", "t", rows, list("abcd"), [("s", "#000")], "fraction")
    # Two pieces: [a] alone and [c, d]; a zero at b would make one line through four points.
    assert [p.count("L") + 1 for p in _line_paths(svg)] == [1, 2]
    assert svg.count('aria-roledescription="point"') == 3


def test_a_chart_is_static_svg_tagged_with_its_name() -> None:
    rows = [{"x": "Jan|2026", "series": "New", "value": 1200.0}]
    svg = stacked_bars("mrr", "MRR", rows, ["Jan|2026"], [("New", "#0a0")], "money", "USD")
    assert svg.startswith('<svg data-chart="mrr" role="img" aria-label="MRR"')
    assert "<script" not in svg and "href" not in svg
    # The value axis is money: "$1.2k", never the raw 1,200 tick of the old charts.
    assert re.search(r">\$1(\.\d+)?k<", svg)


def test_labels_are_thinned_so_that_none_overlaps_and_the_latest_is_kept() -> None:
    labels = [f"M{i:02d}|2026" for i in range(30)]
    shown = shown_labels(labels, 300)
    assert shown[-1] == labels[-1]
    step = labels.index(shown[-1]) - labels.index(shown[-2])
    # Each label (its widest line: 4 characters) fits in the space of the `step` categories it spans.
    assert step * 300 / 30 >= 4 * CHAR_WIDTH * LABEL_SIZE + 8
    assert shown_labels(labels[:3], 600) == labels[:3]
