"""The gate section: this publication's verdict, its check results and Great Expectations results."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import polars as pl

from report.elements import absent_note


def gate_section(
    publication: Mapping[str, object] | None, tables: Mapping[str, pl.DataFrame]
) -> str:
    """The gate's verdict on this publication, its non-passing checks, the GX results."""
    head = "<h2 id='gate'>Checks of this publication</h2>"
    if publication is None:
        return head + absent_note("audit.publications", "The gate's verdict")
    parts = [
        head,
        f'<p>Verdict: <strong data-metric="publications.verdict" data-value="{escape(str(publication["verdict"]))}">'
        f"{escape(str(publication['verdict']))}</strong> — run <code>{escape(str(publication['run_id']))}</code>, "
        f"as of {publication['as_of_date']}, {publication['warnings']} warning(s).</p>",
    ]
    checks = tables.get("audit.check_results")
    if checks is None:
        parts.append(absent_note("audit.check_results", "Check results"))
    else:
        run = checks.filter(pl.col("run_id") == publication["run_id"])
        summary = run.group_by("status").agg(pl.len().alias("n")).sort("status")
        parts.append(
            "<p>"
            + ", ".join(
                f'<span data-metric="check_results.count" data-key="{escape(r["status"])}" '
                f'data-value="{r["n"]}">{r["n"]} {escape(r["status"])}</span>'
                for r in summary.iter_rows(named=True)
            )
            + "</p>"
        )
        notable = run.filter(pl.col("status") != "pass").sort("rule", "target")
        if notable.height:
            parts.append(
                "<table><tr><th class='text'>rule</th><th class='text'>target</th>"
                "<th class='text'>status</th><th class='text'>observed</th><th class='text'>message</th></tr>"
                + "".join(
                    f'<tr><td class="text">{escape(str(r["rule"]))}</td><td class="text">{escape(str(r["target"]))}</td>'
                    f'<td class="text">{escape(str(r["status"]))}</td><td class="text">{escape(str(r["observed_value"]))}</td>'
                    f'<td class="text">{escape(str(r["message"]))}</td></tr>'
                    for r in notable.iter_rows(named=True)
                )
                + "</table>"
            )
    gx = tables.get("audit.gx_results")
    if gx is None:
        parts.append(absent_note("audit.gx_results", "Great Expectations results"))
    else:
        parts.append(_gx_summary(gx, tables.get("audit.gx_report"), str(publication["run_id"])))
    return "".join(parts)


def _gx_summary(gx: pl.DataFrame, gx_report: pl.DataFrame | None, run_id: str) -> str:
    """This publication's Great Expectations results: counts, the failed expectations, the suite page."""
    run = gx.filter(pl.col("run_id") == run_id) if "run_id" in gx.columns else gx
    outcome = (
        pl.when(pl.col("success").is_null())
        .then(pl.lit("not applicable"))
        .when(pl.col("success"))
        .then(pl.lit("passed"))
        .otherwise(pl.lit("failed"))
    )
    counts = run.with_columns(outcome=outcome).group_by("outcome").agg(pl.len().alias("n"))
    summary = ", ".join(
        f'<span data-metric="gx_results.count" data-key="{escape(r["outcome"])}" '
        f'data-value="{r["n"]}">{r["n"]} {escape(r["outcome"])}</span>'
        for r in counts.sort("outcome").iter_rows(named=True)
    )
    failed = run.filter(pl.col("success").not_()).select(
        "table", "expectation", "column", "unexpected_count", "details"
    )
    parts = [
        "<h3>Great Expectations</h3>",
        f"<p>Expectations on the published tables for this run: {summary or 'none recorded'}.</p>",
        _frame_table("gx_failures", failed, limit=100) if failed.height else "",
    ]
    if gx_report is not None:
        fragment = gx_report.filter(pl.col("run_id") == run_id)["html"].to_list()
        if fragment:
            parts.append(
                f"<details><summary>the suites, table by table</summary>{fragment[0]}</details>"
            )
    return "".join(parts)


def _frame_table(name: str, frame: pl.DataFrame, limit: int) -> str:
    """A plain table of a frame's first `limit` rows, saying how many more there are."""
    head = "".join(f"<th class='text'>{escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="text">{escape(str(v))}</td>' for v in row) + "</tr>"
        for row in frame.head(limit).iter_rows()
    )
    more = f"<p>{frame.height - limit} more rows in the table.</p>" if frame.height > limit else ""
    return f'<table data-table="{escape(name)}"><tr>{head}</tr>{body}</table>{more}'
