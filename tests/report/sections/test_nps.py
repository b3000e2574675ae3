"""The NPS section: non-reportable quarters are marked and left out of the line."""

from __future__ import annotations

import datetime as dt

import polars as pl

from report.page import render_section
from report.sections.nps import nps_section


def test_non_reportable_nps_quarters_are_marked_and_not_drawn() -> None:
    nps = pl.DataFrame(
        {
            "period_type": ["quarter", "quarter", "quarter", "month"],
            "period_start": [dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 1)]
            + [dt.date(2026, 7, 1)],
            "segment": ["all", "all", "all", "all"],
            "nps": [42.5, None, 10.0, 99.0],
            "nps_ci_low": [30.1, None, -5.0, 90.0],
            "nps_ci_high": [55.0, None, 24.0, 100.0],
            "responses": [80, 12, 64, 40],
            "reason": [None, "insufficient_sample: 12 responses, fewer than 30", None, None],
        }
    )
    section = render_section(nps_section({"marts.nps_summary": nps}, target=50.0))
    assert section.startswith('<section id="nps"')
    # Two reportable quarters → two points; the month row (99.0) is not a quarter and not shown.
    assert section.count('aria-roledescription="point"') == 2
    assert section.count(">n/r</text>") == 1
    assert ">target 50</text>" in section
    assert (
        "not reportable: 12 responses, fewer than 30" in section
        and "insufficient_sample" not in section
    )
    assert 'data-key="2026-04-01" data-value="12.0"' in section
    assert "99.0" not in section and "Q3 2026" in section
