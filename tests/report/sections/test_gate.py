"""The gate section: the Great Expectations summary counts this run's results only."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from report.page import render_section
from report.sections.gate import gate_section

PUBLICATION = {
    "run_id": "run-b",
    "as_of_date": dt.date(2026, 11, 20),
    "published_at": dt.datetime(2026, 11, 21, 6, 30),
    "synthetic": True,
    "verdict": "published with warnings",
    "warnings": 1,
}


def test_the_gx_summary_counts_this_runs_results_only() -> None:
    gx = pl.DataFrame(
        {
            "table": ["marts.mrr_monthly"] * 4 + ["marts.nps_summary"],
            "expectation": ["not_null", "unique", "between", "not_null", None],
            "column": ["mrr", "id", "mrr", "mrr", None],
            "success": [True, True, False, True, None],
            "unexpected_count": [0, 0, 3, 0, None],
            "details": ["", "", "3 below 0", "", "not_applicable: no rows"],
            "run_id": ["run-b", "run-b", "run-b", "run-a", "run-b"],
        }
    )
    html = render_section(gate_section(PUBLICATION, {"audit.gx_results": gx}))
    counts = dict(
        re.findall(r'data-metric="gx_results.count" data-key="([^"]+)" data-value="([\d.]+)"', html)
    )
    # run-b: two passed, one failed, one not applicable; run-a's row is another publication's.
    assert counts == {"passed": "2.0", "failed": "1.0", "not applicable": "1.0"}
    assert "3 below 0" in html


def test_check_results_are_counted_in_words_not_status_codes() -> None:
    checks = pl.DataFrame(
        {
            "run_id": ["run-b"] * 4 + ["run-a"],
            "rule": ["r01", "r02", "r21_playbooks", "r03", "r01"],
            "target": ["a", "b", "c", "d", "a"],
            "status": ["pass", "pass", "not_applicable", "warn", "fail"],
            "observed_value": ["", "", "", "3", ""],
            "message": ["", "", "no cases yet", "3 late", ""],
        }
    )
    html = render_section(gate_section(PUBLICATION, {"audit.check_results": checks}))
    labels = re.findall(r'<span class="fact-label">([^<]+)</span>', html)
    # run-a's failure is another publication's.
    assert labels == [
        "The publish gate&#39;s verdict",  # autoescaped
        "Checks not applicable",
        "Checks passed",
        "Checks with a warning",
    ]
    assert "not_applicable" not in re.sub(r'data-key="[^"]*"', "", html.split("<table")[0])
