"""The charts draw a missing value as a gap in the line, never as a zero."""

from __future__ import annotations

import re

from report.charts import Series, line_chart


def test_a_missing_value_is_a_gap_in_the_line_not_a_zero() -> None:
    svg = line_chart("t", "t", ["a", "b", "c", "d"], [Series("s", [1.0, None, 3.0, 4.0])])
    polylines = re.findall(r'points="([^"]+)"', svg)
    # Two segments: [a] alone and [c, d]; a zero at b would make one line of four points.
    assert [len(p.split()) for p in polylines] == [1, 2]
    assert svg.count('class="point"') == 3
