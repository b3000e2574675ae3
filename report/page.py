"""The leadership report as one self-contained HTML page, from frames of the published tables.

Pure: frames in, an HTML string out (no I/O, no network); `report/published.py` reads the published
file and `report/write.py` writes the page. Each section lives in `report/sections/`; a table missing
from the publication gives a section that says so, not an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from html import escape

import polars as pl

from report.sections.gate import gate_section
from report.sections.health import at_risk_section, health_section
from report.sections.nps import nps_section
from report.sections.onboarding import onboarding_section
from report.sections.revenue import cohorts_section, movements_section, retention_section
from report.sections.scorecard import scorecard_section

DOCS_LINK = "https://github.com/cs-warehouse/cs-warehouse/blob/main/shared/spec/metrics.md"
STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{margin-bottom:4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}
.banner{background:#b00020;color:#fff;padding:10px 14px;font-weight:bold;font-size:18px;border-radius:4px}
.meta,.definition,.period{color:#555;font-size:13px}
.absent{background:#fff7e0;border:1px solid #e6c200;padding:8px 12px;border-radius:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f2f2f2}
td.text,th.text{text-align:left}
.met{color:#0a7d2c;font-weight:bold}.not-met{color:#b00020;font-weight:bold}.not-reportable{color:#8a6d00}
details{margin:6px 0}summary{cursor:pointer;color:#1f4e99;font-size:13px}
"""


def build_report(
    tables: Mapping[str, pl.DataFrame],
    publication: Mapping[str, object] | None,
    source_name: str,
    generated_at: dt.datetime,
) -> str:
    """The whole page from the published tables present (`schema.table` → frame)."""
    registry = tables.get("audit.metric_registry")
    synthetic = bool(publication and publication.get("synthetic"))
    as_of = publication["as_of_date"] if publication else None
    banner = (
        '<div class="banner" id="synthetic-banner">SYNTHETIC DATA — generated for demonstration, '
        "not real customers.</div>"
        if synthetic
        else ""
    )
    sections: list[Callable[[], str]] = [
        lambda: scorecard_section(tables, registry),
        lambda: movements_section(tables, registry),
        lambda: retention_section(tables, registry),
        lambda: cohorts_section(tables, registry),
        lambda: nps_section(tables, registry),
        lambda: health_section(tables, registry, as_of),
        lambda: at_risk_section(tables, registry),
        lambda: onboarding_section(tables, registry),
        lambda: gate_section(publication, tables),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Customer-success leadership report — as of {as_of}</title><style>{STYLE}</style></head><body>"
        + banner
        + f"<h1>Customer-success leadership report</h1><p class='meta'>As of {as_of}; built "
        f"{generated_at:%Y-%m-%d %H:%M} UTC from <code>{escape(source_name)}</code> only. "
        f"Definitions: <a href='{DOCS_LINK}'>metrics.md</a> and audit.metric_registry.</p>"
        + "".join(section() for section in sections)
        + "</body></html>"
    )
