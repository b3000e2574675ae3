"""The Great Expectations results of a gate run: per table and expectation, as audit.gx_results rows
(`GxReport.to_frame`) and as a self-contained HTML fragment (`GxReport.to_html`), because GX's own
Data Docs load their CSS and JavaScript from CDNs and look broken offline."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

TableStatus = Literal["pass", "fail", "not_applicable"]


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's outcome on one table."""

    table: str
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    observed: str


@dataclass(frozen=True)
class TableResult:
    """One table's suite: its status, every expectation's result, and what could not be checked."""

    table: str
    status: TableStatus
    grain: str = ""
    rows: int | None = None
    results: tuple[ExpectationResult, ...] = ()
    unchecked_columns: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class GxReport:
    """The suites' results over the published tables; `success` is what the publish gate reads."""

    tables: tuple[TableResult, ...]
    suites_version: str = ""
    tables_without_suite: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        """Whether no suite failed (not_applicable ones do not fail)."""
        return all(t.status != "fail" for t in self.tables)

    @property
    def failures(self) -> list[ExpectationResult]:
        """Every failed expectation, table by table."""
        return [r for t in self.tables for r in t.results if not r.success]

    def table(self, name: str) -> TableResult:
        """The result of one table's suite."""
        for result in self.tables:
            if result.table == name:
                return result
        raise KeyError(f"no suite result for table {name!r}")

    def to_frame(self) -> pl.DataFrame:
        """One row per expectation (and one per not_applicable table), ready for audit.gx_results."""
        rows: list[dict[str, Any]] = []
        for table in self.tables:
            if table.status == "not_applicable":
                rows.append(
                    {
                        "table": table.table,
                        "expectation": None,
                        "column": None,
                        "success": None,
                        "unexpected_count": None,
                        "details": f"not_applicable: {table.message}",
                    }
                )
            for r in table.results:
                rows.append(
                    {
                        "table": r.table,
                        "expectation": r.expectation,
                        "column": r.column,
                        "success": r.success,
                        "unexpected_count": r.unexpected_count,
                        "details": r.observed,
                    }
                )
        return pl.DataFrame(
            rows,
            schema={
                "table": pl.String,
                "expectation": pl.String,
                "column": pl.String,
                "success": pl.Boolean,
                "unexpected_count": pl.Int64,
                "details": pl.String,
            },
        )

    def to_html(self) -> str:
        """A self-contained HTML fragment (inline styles only, no external assets) of every suite's results."""
        return render_html(self)


_STYLE = {
    "wrap": "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px;color:#1f2933;",
    "table": "border-collapse:collapse;width:100%;margin:4px 0 16px 0;",
    "th": "text-align:left;border-bottom:2px solid #cbd2d9;padding:4px 8px;background:#f5f7fa;",
    "td": "border-bottom:1px solid #e4e7eb;padding:4px 8px;vertical-align:top;",
    "pass": "color:#1e7e34;font-weight:600;",
    "fail": "color:#b00020;font-weight:600;",
    "not_applicable": "color:#616e7c;font-weight:600;",
    "note": "color:#616e7c;margin:2px 0;",
}


def render_html(report: GxReport) -> str:
    """The report as an HTML fragment: inline styles only, ASCII with character references."""
    e = html.escape
    verdict = "pass" if report.success else "fail"
    failed = [t.table for t in report.tables if t.status == "fail"]
    parts = [
        f'<section style="{_STYLE["wrap"]}">',
        "<h2>Great Expectations: published tables</h2>",
        f'<p>Verdict: <span style="{_STYLE[verdict]}">{verdict.upper()}</span> — '
        f"{len(report.tables)} suites, {len(failed)} failing"
        + (f" ({e(', '.join(failed))})" if failed else "")
        + (f"; suites version {e(report.suites_version)}" if report.suites_version else "")
        + "</p>",
    ]
    for table in report.tables:
        rows = "" if table.rows is None else f", {table.rows:,} rows"
        parts.append(
            f'<h3>{e(table.table)} <span style="{_STYLE[table.status]}">{e(table.status)}</span>'
            f'<span style="{_STYLE["note"]}font-weight:normal;font-size:13px;">'
            f" {e(table.grain)}{rows}</span></h3>"
        )
        if table.message:
            parts.append(f'<p style="{_STYLE["note"]}">{e(table.message)}</p>')
        if table.unchecked_columns:
            parts.append(
                f'<p style="{_STYLE["note"]}">Not in the table, not checked: '
                f"{e(', '.join(table.unchecked_columns))}</p>"
            )
        if not table.results:
            continue
        header = "".join(
            f'<th style="{_STYLE["th"]}">{h}</th>'
            for h in ("", "expectation", "column", "unexpected", "details")
        )
        body = []
        for r in table.results:
            mark = "pass" if r.success else "fail"
            cells = (
                f'<span style="{_STYLE[mark]}">{"&#10003;" if r.success else "&#10007;"}</span>',
                e(r.expectation),
                e(r.column or ""),
                "" if r.unexpected_count is None else f"{r.unexpected_count:,}",
                e(r.observed),
            )
            body.append(
                "<tr>" + "".join(f'<td style="{_STYLE["td"]}">{c}</td>' for c in cells) + "</tr>"
            )
        parts.append(
            f'<table style="{_STYLE["table"]}"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
    if report.tables_without_suite:
        parts.append(
            f'<p style="{_STYLE["note"]}">Published without a suite: '
            f"{e(', '.join(report.tables_without_suite))}</p>"
        )
    parts.append("</section>")
    # Character references only, so the fragment reads the same whatever the page's encoding.
    return "\n".join(parts).encode("ascii", "xmlcharrefreplace").decode("ascii")
