"""The leadership report from the published file: `csw report` writes it self-contained, every
number it shows equals the published table's, and the page is written atomically. The browser's
view of it (layout, offline rendering) is tests/report/test_report_in_chromium.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import Settings
from report.write import write_report


class _ReportParser(HTMLParser):
    """Collects data-metric cells, chart SVGs with their drawn marks, and external references."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.charts: dict[str, int] = {}
        self.empty_charts: set[str] = set()
        self.external: list[str] = []
        self.ids: set[str] = set()
        self._chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if "data-metric" in a:
            self.cells[(a["data-metric"], a.get("data-key") or "")] = a.get("data-value") or ""
        if tag == "svg" and "data-chart" in a:
            self._chart = a["data-chart"]
            self.charts[self._chart] = 0
            if "empty" in (a.get("class") or ""):
                self.empty_charts.add(self._chart)
        elif self._chart and a.get("role") == "graphics-symbol":
            # Vega marks every drawn item (bar, point, line piece, cell, n/r text) so.
            self.charts[self._chart] += 1
        for name in ("src", "href"):
            value = a.get(name) or ""
            if value and tag != "a" and not value.startswith(("#", "data:")):
                self.external.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None


def _parse(html: str) -> _ReportParser:
    parser = _ReportParser()
    parser.feed(html)
    return parser


@pytest.mark.slow
def test_the_report_is_self_contained(report: Path) -> None:
    parsed = _parse(report.read_text(encoding="utf-8"))
    assert parsed.external == []
    assert "kpi-scorecard" in parsed.ids and "synthetic-banner" in parsed.ids


@pytest.mark.slow
def test_the_report_shows_no_internal_name_or_registry_gap(
    published_warehouse: Settings, report: Path
) -> None:
    html = report.read_text(encoding="utf-8")
    # The defects of #26: a registry gap printed on the page, a spec label naming the wrong period.
    assert "no registry entry" not in html and "NPS (quarter)" not in html
    assert "(trailing 12 months)" not in html
    # Great Expectations' own page of the suites (a collapsed appendix) names the tables it checked.
    page = re.sub(r"<details class='gx-report'>.*?</details>", "", html, flags=re.S)
    visible = re.findall(r"<(?:h\d|th|dt|span class=\"fact-label\")[^>]*>([^<]*)<", page)
    assert len(visible) > 50
    assert [t for t in visible if re.search(r"[a-z0-9]+_[a-z0-9]+", t)] == []
    # The definitions a leader reads are prose: column names belong in the registry's formula.
    definitions = re.findall(r"<dd[^>]*>(.*?)</dd>", page, flags=re.S)
    assert len(definitions) > 10
    assert [d for d in definitions if re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", d)] == []
    # The summary opens the page: a card per KPI of the scorecard before the first section.
    con = duckdb.connect(str(published_warehouse.published_db), read_only=True)
    try:
        kpis = con.execute("select count(distinct kpi) from marts.kpi_scorecard").fetchone()[0]
    finally:
        con.close()
    assert html.index('id="summary"') < html.index('id="scorecard"')
    assert kpis >= 6 and html.count('class="kpi-card') == kpis


def _float(text: str) -> float | None:
    return None if text == "" else float(text)


@pytest.mark.slow
def test_the_reports_numbers_equal_the_published_tables(
    published_warehouse: Settings, report: Path
) -> None:
    cells = _parse(report.read_text(encoding="utf-8")).cells
    con = duckdb.connect(str(published_warehouse.published_db), read_only=True)
    try:
        scorecard = con.execute(
            "select kpi, period_type, value, previous_value, change, sample_size, status "
            "from marts.kpi_scorecard"
        ).fetchall()
        movements = con.execute(
            "select month, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, mrr_end "
            "from marts.mrr_movements_monthly"
        ).fetchall()
        retention = con.execute(
            "select month, nrr_12m, grr_12m, nrr_1m, grr_1m from marts.revenue_retention_monthly"
        ).fetchall()
        cohorts = con.execute(
            "select cohort_month, months_since_start, revenue_retention from marts.revenue_cohorts"
        ).fetchall()
        checks = con.execute(
            "select c.status, count(*) from audit.check_results c join audit.publications p "
            "using (run_id) where p.published_at = (select max(published_at) from audit.publications) "
            "group by c.status"
        ).fetchall()
    finally:
        con.close()

    assert len(scorecard) >= 6
    by_key = {(kpi, period): row for kpi, period, *row in scorecard}
    for kpi, period, value, previous, change, n, status in scorecard:
        key = f"{kpi}|{period}"
        if ("kpi_scorecard.value", key) not in cells:
            # Shown once: a 12-month measure's trailing-12 row repeats its month row's figure.
            assert period == "trailing_12_months", key
            assert by_key[(kpi, "month")][:1] == [value], key
            continue
        assert _float(cells[("kpi_scorecard.value", key)]) == value
        assert _float(cells[("kpi_scorecard.previous_value", key)]) == previous
        assert _float(cells[("kpi_scorecard.change", key)]) == change
        assert _float(cells[("kpi_scorecard.sample_size", key)]) == n
        assert cells[("kpi_scorecard.status", key)] == status
    assert movements
    for month, *values in movements:
        names = ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "mrr_end")
        for name, value in zip(names, values, strict=True):
            shown = cells[(f"mrr_movements_monthly.{name}", month.isoformat())]
            assert _float(shown) == float(value), (name, month)
    for month, *values in retention:
        for name, value in zip(("nrr_12m", "grr_12m", "nrr_1m", "grr_1m"), values, strict=True):
            assert _float(cells[(f"revenue_retention_monthly.{name}", month.isoformat())]) == value
    assert cohorts
    for cohort, offset, value in cohorts:
        shown = cells[("revenue_cohorts.revenue_retention", f"{cohort.isoformat()}|{offset}")]
        assert _float(shown) == value
    for status, count in checks:
        assert float(cells[("check_results.count", status)]) == count


@pytest.mark.slow
def test_the_reports_health_nps_and_onboarding_numbers_equal_the_published_tables(
    published_warehouse: Settings, report: Path
) -> None:
    cells = _parse(report.read_text(encoding="utf-8")).cells
    con = duckdb.connect(str(published_warehouse.published_db), read_only=True)
    try:
        grades = con.execute(
            # the live book: a churned account's terminal row is not counted (metrics.md, population)
            "select coalesce(grade, 'None'), count(*) from marts.health_scores_daily "
            "where as_of_date = (select max(as_of_date) from marts.health_scores_daily) "
            "and customer_status in ('paying', 'trialing') group by 1"
        ).fetchall()
        latest_health = con.execute(
            "select max(as_of_date) from marts.health_scores_daily"
        ).fetchall()
        nps = con.execute(
            "select cast(period_start as varchar), nps, nps_ci_low, nps_ci_high, responses "
            "from marts.nps_summary where period_type = 'quarter' and segment = 'all'"
        ).fetchall()
        ttfv = con.execute(
            "select median(time_to_first_value_days) from marts.onboarding_progress "
            "where as_of_date = (select max(as_of_date) from marts.onboarding_progress)"
        ).fetchall()
        at_stake = con.execute(
            """
            with risky as (
                select account_id from marts.health_scores_daily
                where as_of_date = (select max(as_of_date) from marts.health_scores_daily)
                  and grade in ('D', 'F') and customer_status in ('paying', 'trialing')
                union
                select account_id from marts.churn_signals_daily
                where as_of_date = (select max(as_of_date) from marts.churn_signals_daily)
                  and severity in ('high', 'critical') and customer_status in ('paying', 'trialing')
            )
            select sum(current_mrr) from marts.dim_accounts join risky using (account_id)
            """
        ).fetchall()
    finally:
        con.close()
    day = latest_health[0][0].isoformat()
    assert grades
    for grade, count in grades:
        assert int(float(cells[("health_scores_daily.grade_count", f"{day}|{grade}")])) == count
    assert nps
    for period, value, low, high, responses in nps:
        assert _float(cells[("nps_summary.nps", period)]) == value
        assert _float(cells[("nps_summary.nps_ci_low", period)]) == low
        assert _float(cells[("nps_summary.nps_ci_high", period)]) == high
        assert _float(cells[("nps_summary.responses", period)]) == responses
    assert _float(cells[("onboarding_progress.time_to_first_value_days.median", "")]) == ttfv[0][0]
    # The page sums floats, DuckDB sums decimals: equal to well under a cent.
    assert float(cells[("at_risk.mrr_at_stake", "")]) == pytest.approx(
        float(at_stake[0][0] or 0), abs=1e-6
    )


def _tiny_publication(path: Path) -> None:
    """A published file with only its audit row: as of 2026-11-20, synthetic."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema audit")
        con.execute(
            "create table audit.publications as select 'run-a' as run_id, "
            "date '2026-11-20' as as_of_date, timestamp '2026-11-21 06:30' as published_at, "
            "true as synthetic, 'published' as verdict, 0 as warnings"
        )
    finally:
        con.close()


def test_write_report_replaces_the_page_whole_and_leaves_no_partial_file(tmp_path: Path) -> None:
    published = tmp_path / "analytics.duckdb"
    _tiny_publication(published)
    out = tmp_path / "report" / "leadership_report.html"
    out.parent.mkdir()
    out.write_text("yesterday's page", encoding="utf-8")

    assert write_report(published, out) == out

    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</body>\n</html>")
    assert "as of 2026-11-20" in html and 'id="synthetic-banner"' in html
    assert "<code>analytics.duckdb</code>" in html
    assert sorted(p.name for p in out.parent.iterdir()) == ["leadership_report.html"]
