"""The leadership report as one self-contained HTML page, from frames of the published tables.

Pure: frames in, an HTML string out (no I/O beyond reading its own templates, no network);
`report/published.py` reads the published file and `report/write.py` writes the page. The page is
Jinja2 templates (`report/templates/`) around sections built in `report/sections/`; charts are
static SVG (report/charts.py). A core section whose table is missing says so; an optional section
(`OPTIONAL_SECTIONS`) whose table is missing is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import jinja2
import polars as pl

from report.elements import Section, text_or_cell
from report.labels import term
from report.sections.churn_reasons import churn_reasons_section
from report.sections.csm_book import csm_book_section
from report.sections.gate import gate_section
from report.sections.health import at_risk_section, health_section
from report.sections.nps import nps_section
from report.sections.onboarding import onboarding_section
from report.sections.renewals import renewals_section
from report.sections.revenue import cohorts_section, movements_section, retention_section
from report.sections.risk_cases import risk_cases_section
from report.sections.scorecard import kpi_cards, scorecard_section
from report.sections.summary import book_facts, kpi_targets

DOCS_LINK = "https://github.com/cs-warehouse/cs-warehouse/blob/main/docs/spec/metrics.md"

Tables = Mapping[str, pl.DataFrame]

# Sections of tables other issues add: (the table the section needs, the function building it).
# A section here is shown only when its table is in the publication. To add one, write
# `report/sections/<area>.py` with a `<area>_section(tables) -> Section` and list it here.
OPTIONAL_SECTIONS: tuple[tuple[str, Callable[[Tables], Section]], ...] = (
    ("marts.churn_reasons_monthly", churn_reasons_section),
    ("marts.csm_book_daily", csm_book_section),
    ("marts.renewals", renewals_section),
    ("marts.risk_cases", risk_cases_section),
)


def _environment() -> jinja2.Environment:
    """The templates, autoescaped: text from the tables can never become markup."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["cell"] = text_or_cell
    return env


ENV = _environment()


def sections(tables: Tables, publication: Mapping[str, object] | None) -> list[Section]:
    """The page's sections in reading order: core ones always, optional ones when published."""
    targets = kpi_targets(tables)
    core = [
        scorecard_section(tables),
        movements_section(tables),
        retention_section(tables, {k: v for k, v in targets.items() if k in ("NRR", "GRR")}),
        cohorts_section(tables),
        nps_section(tables, targets.get("NPS")),
        health_section(tables),
        at_risk_section(tables),
        onboarding_section(tables),
    ]
    optional = [build(tables) for table, build in OPTIONAL_SECTIONS if table in tables]
    return [*core, *optional, gate_section(publication, tables)]


def definitions(registry: pl.DataFrame | None, shown: list[Section]) -> list[tuple[str, str]]:
    """(term, definition) of every figure the sections show that the registry defines."""
    if registry is None:
        return []
    wanted = list(dict.fromkeys(name for s in shown for name in s.definitions))
    texts = dict(
        registry.filter(pl.col("name").is_in(wanted)).select("name", "definition").iter_rows()
    )
    return [(term(name), texts[name]) for name in wanted if texts.get(name)]


def render_section(section: Section) -> str:
    """One section as HTML (what the page includes; tests render sections alone with it)."""
    return ENV.get_template(section.template).render(s=section)


def build_report(
    tables: Tables,
    publication: Mapping[str, object] | None,
    source_name: str,
    generated_at: dt.datetime,
) -> str:
    """The whole page from the published tables present (`schema.table` → frame)."""
    shown = sections(tables, publication)
    return ENV.get_template("report.html.j2").render(
        synthetic=bool(publication and publication.get("synthetic")),
        as_of=publication["as_of_date"] if publication else None,
        verdict=publication["verdict"] if publication else None,
        generated_at=f"{generated_at:%Y-%m-%d %H:%M}",
        source_name=source_name,
        docs_link=DOCS_LINK,
        summary={"kpis": kpi_cards(tables), "book": book_facts(tables)},
        sections=shown,
        definitions=definitions(tables.get("audit.metric_registry"), shown),
    )
