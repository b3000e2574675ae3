"""The report as a reader sees it: headless Chromium (Debian's) opens it offline at 1,400 px and as
printed on A4, and the browser's own layout boxes show no element past the page's edge and no two
texts of a chart on top of each other. Screenshots for a person to compare are kept under
test-artifacts/report/. The checker is first shown to catch both defects on a page made to have them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.chromium import A4_PRINT_WIDTH, LAYOUT_CHECK, Chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
CHARTS = {
    "mrr_movements",
    "retention_12m",
    "retention_1m",
    "revenue_cohorts",
    "nps_trend",
    "health_grades",
}
# A page with both defects the layout check exists for: a table wider than the window, and a chart
# whose axis labels sit on top of each other (what the old health chart's x-axis did).
BROKEN = """<!DOCTYPE html><html><body style="margin:0">
<table style="width:2000px"><tr><td>too wide</td></tr></table>
<svg data-chart="crowded" width="300" height="60">
  <text x="10" y="30" font-size="14">Jan 2026</text><text x="30" y="32" font-size="14">Feb 2026</text>
</svg></body></html>"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """One headless chromium for the module (each start costs a second or two)."""
    with Chromium(tmp_path_factory.mktemp("chromium-profile")) as chromium:
        yield chromium


@pytest.mark.slow
def test_the_layout_check_catches_an_overflow_and_overlapping_chart_text(
    browser: Chromium, tmp_path: Path
) -> None:
    page = tmp_path / "broken.html"
    page.write_text(BROKEN, encoding="utf-8")
    browser.open(page.as_uri(), 1400)
    found = browser.evaluate(LAYOUT_CHECK)
    assert any(o.startswith("table spans 0..2000 of 1400") for o in found["overflow"])
    assert found["overlaps"] == ['crowded: "Jan 2026" overlaps "Feb 2026"']


@pytest.mark.slow
def test_the_report_fits_1400_px_and_a4_with_no_overlapping_chart_text(
    browser: Chromium, report: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url = report.resolve().as_uri()

    browser.open(url, 1400)
    browser.screenshot(ARTIFACTS / "leadership_report_1400.png")
    drawn = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('svg[data-chart]')].map(s => "
        "[s.dataset.chart, s.querySelectorAll('[role=graphics-symbol]').length]))"
    )
    # The tables behind the charts too, as a reader who opens them sees them.
    browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    screen = browser.evaluate(LAYOUT_CHECK)

    browser.open(url, A4_PRINT_WIDTH, media="print")
    printed = browser.evaluate(LAYOUT_CHECK)
    browser.pdf(ARTIFACTS / "leadership_report_a4.pdf")

    for view in (screen, printed):
        assert view["overflow"] == [], view["width"]
        assert view["overlaps"] == [], view["width"]
        assert view["charts"] >= len(CHARTS) and view["texts"] > 100
    assert printed["width"] == A4_PRINT_WIDTH
    # Every chart is drawn with its marks (bars, points, cells, n/r marks).
    assert set(drawn) >= CHARTS and all(n > 0 for n in drawn.values()), drawn
    # Offline: nothing but the file itself was requested, and the page logged nothing (a blocked
    # script or style would be a Content-Security-Policy message).
    assert [u for u in browser.requests() if not u.startswith(("file:", "data:"))] == []
    assert browser.console() == []
    assert (ARTIFACTS / "leadership_report_1400.png").stat().st_size > 50_000
    assert (ARTIFACTS / "leadership_report_a4.pdf").read_bytes().startswith(b"%PDF")
