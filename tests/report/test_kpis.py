"""The scorecard in words, from hand-made rows: each row named by the period it covers ("NPS
(quarter)" never labels a month), a 12-month measure shown once, and one sentence per KPI."""

from __future__ import annotations

import datetime as dt

import polars as pl

from report.formats import change_text, money, percent
from report.kpis import kpi_name, row_period, sentence
from report.page import render_section
from report.sections.scorecard import kpi_cards, scorecard_rows, scorecard_section

D = dt.date


def _row(
    kpi: str, label: str, period_type: str, start: dt.date, end: dt.date, **kw: object
) -> dict:
    base = {
        "kpi": kpi,
        "label": label,
        "period_type": period_type,
        "period_start": start,
        "period_end": end,
        "value": 1.05,
        "unit": "fraction",
        "target_operator": ">",
        "target_value": 1.10,
        "status": "not met",
        "status_reason": None,
        "numerator": 105.0,
        "denominator": 100.0,
        "sample_size": 40,
        "sample_unit": "paying customers 12 months before the end of the period",
        "interval_low": None,
        "interval_high": None,
        "interval_method": "none: every customer counted",
        "previous_period_start": None,
        "previous_period_end": None,
        "previous_value": None,
        "previous_not_reportable_reason": None,
        "change": None,
        "registry_entry": "revenue_retention_monthly.nrr_12m",
    }
    return {**base, **kw}


NRR = "Net revenue retention (trailing 12 months)"
ROWS = [
    # NRR is a 12-month measure: its month and trailing-12 rows are the same figure.
    _row("nrr", NRR, "month", D(2026, 10, 1), D(2026, 10, 31)),
    _row("nrr", NRR, "quarter", D(2026, 7, 1), D(2026, 9, 30), value=1.02),
    _row("nrr", NRR, "trailing_12_months", D(2025, 11, 1), D(2026, 10, 31)),
    _row(
        "nps",
        "NPS (quarter)",
        "month",
        D(2026, 10, 1),
        D(2026, 10, 31),
        value=None,
        unit="score",
        target_value=50.0,
        status="insufficient_sample",
        status_reason="insufficient_sample: 12 responses, below the minimum of 30",
        sample_size=12,
    ),
    _row(
        "nps",
        "NPS (quarter)",
        "quarter",
        D(2026, 7, 1),
        D(2026, 9, 30),
        value=42.0,
        unit="score",
        target_value=50.0,
        interval_low=30.5,
        interval_high=53.5,
        previous_period_start=D(2026, 4, 1),
        previous_period_end=D(2026, 6, 30),
        previous_value=54.8,
        change=-12.8,
        sample_size=90,
        sample_unit="responses",
    ),
]


def test_a_twelve_month_measure_is_shown_once_per_period_end() -> None:
    rows = scorecard_rows(pl.DataFrame(ROWS))
    assert [r["period_type"] for r in rows["nrr"]] == ["month", "quarter"]
    assert [r["period_type"] for r in rows["nps"]] == ["month", "quarter"]
    # The trailing-12 row is kept when it is another figure.
    other = [*ROWS[:2], {**ROWS[2], "value": 0.99}]
    assert len(scorecard_rows(pl.DataFrame(other))["nrr"]) == 3


def test_a_row_is_named_by_its_kpi_and_the_period_it_covers() -> None:
    assert kpi_name("NPS (quarter)") == "NPS"
    assert row_period(ROWS[3]) == "October 2026"
    assert row_period(ROWS[4]) == "Q3 2026"
    assert row_period(ROWS[0]) == "12 months to 31 Oct 2026"
    html = render_section(scorecard_section({"marts.kpi_scorecard": pl.DataFrame(ROWS)}))
    assert "NPS (quarter)" not in html and "(trailing 12 months)" not in html
    assert "revenue_retention_monthly" not in html  # no registry names on the page
    assert html.count('<td class="text">NPS</td>') == 2


def test_each_kpi_gets_a_card_with_its_headline_period_verdict_and_sentence() -> None:
    cards = {c["kpi"]: c for c in kpi_cards({"marts.kpi_scorecard": pl.DataFrame(ROWS)})}
    assert cards["nps"]["period"] == "Q3 2026"  # the spec names NPS by quarter
    assert cards["nps"]["status"] == "not met"
    assert cards["nps"]["change"] == "\u221212.8 points from Q2 2026"
    assert cards["nps"]["interval"] == "95% interval 30.5 – 53.5"
    assert cards["nps"]["sentence"] == (
        "Q3 2026: 42.0, missing the target (above 50.0); down 12.8 points from Q2 2026."
    )
    assert cards["nrr"]["period"] == "12 months to 31 Oct 2026"
    assert cards["nrr"]["interval"] == "no interval: every unit is counted, nothing is sampled"
    # A value below its minimum sample is "not reportable", never "not met".
    assert sentence(ROWS[3]) == (
        "October 2026: not reportable — 12 responses, below the minimum of 30."
    )


def test_numbers_are_written_for_reading() -> None:
    assert money(531_279.4, compact=True) == "$531k"
    assert money(-207_837.0) == "\u2212$207,837"
    assert money(2_680_598.0, compact=True) == "$2.68M"
    assert percent(0.7712) == "77.1%"
    assert change_text(0.008, "fraction") == "+0.8 pp"
    assert money(None) == "—"
