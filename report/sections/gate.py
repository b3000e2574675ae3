"""The gate section: this publication's verdict, its check results and Great Expectations results."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from markupsafe import Markup

from report.elements import Cell, Fact, Section, Table, absent_section

LISTED = 100
CHECK_WORDS = {
    "pass": "Checks passed",
    "warn": "Checks with a warning",
    "fail": "Checks failed",
    "not_applicable": "Checks not applicable",
}


def gate_section(
    publication: Mapping[str, object] | None, tables: Mapping[str, pl.DataFrame]
) -> Section:
    """The gate's verdict on this publication, its checks that did not pass, the GX results."""
    if publication is None:
        return absent_section("gate", "Checks of this publication", "audit.publications", "verdict")
    run_id = str(publication["run_id"])
    verdict = str(publication["verdict"])
    facts = [
        Fact(
            "The publish gate's verdict",
            Cell("publications.verdict", "", verdict, verdict),
            f"run {run_id}, as of {publication['as_of_date']}, "
            f"{publication['warnings']} warning(s)",
        )
    ]
    intro: list[str] = []
    tables_shown: list[Table] = []
    checks = tables.get("audit.check_results")
    if checks is None:
        intro.append("The check results are not in this publication.")
    else:
        run = checks.filter(pl.col("run_id") == run_id)
        for status, n in run.group_by("status").agg(pl.len()).sort("status").iter_rows():
            facts.append(
                Fact(
                    CHECK_WORDS.get(status, f"Checks: {status.replace('_', ' ')}"),
                    Cell("check_results.count", status, n, f"{n:,}"),
                )
            )
        notable = run.filter(pl.col("status") != "pass").sort("rule", "target")
        if notable.height:
            tables_shown.append(
                Table(
                    "gate-checks",
                    ("Rule", "Checked", "Result", "Observed", "Message"),
                    tuple(
                        tuple(
                            str(r[c])
                            for c in ("rule", "target", "status", "observed_value", "message")
                        )
                        for r in notable.head(LISTED).iter_rows(named=True)
                    ),
                    caption="Checks that did not pass",
                )
            )
    extra = ""
    gx = tables.get("audit.gx_results")
    if gx is None:
        intro.append("The Great Expectations results are not in this publication.")
    else:
        gx_facts, gx_table = _gx_summary(gx, run_id)
        facts += gx_facts
        if gx_table is not None:
            tables_shown.append(gx_table)
        report = tables.get("audit.gx_report")
        if report is not None and "html" in report.columns:
            fragment = report.filter(pl.col("run_id") == run_id)["html"].to_list()
            if fragment:
                # GX's own page fragment, produced by our gate from the suites: trusted markup.
                extra = (
                    Markup(
                        "<details class='gx-report'><summary>the suites, table by table</summary>"
                    )
                    + Markup(fragment[0])
                    + Markup("</details>")
                )
    return Section(
        "gate",
        "Checks of this publication",
        intro=tuple(intro),
        facts=tuple(facts),
        tables=tuple(tables_shown),
        context={"extra": extra},
    )


def _gx_summary(gx: pl.DataFrame, run_id: str) -> tuple[list[Fact], Table | None]:
    """This run's Great Expectations results: counts by outcome and the failed expectations."""
    run = gx.filter(pl.col("run_id") == run_id) if "run_id" in gx.columns else gx
    outcome = (
        pl.when(pl.col("success").is_null())
        .then(pl.lit("not applicable"))
        .when(pl.col("success"))
        .then(pl.lit("passed"))
        .otherwise(pl.lit("failed"))
    )
    counts = run.with_columns(outcome=outcome).group_by("outcome").agg(pl.len()).sort("outcome")
    facts = [
        Fact(f"Expectations {o}", Cell("gx_results.count", o, n, f"{n:,}"))
        for o, n in counts.iter_rows()
    ]
    failed = run.filter(pl.col("success").not_())
    if failed.is_empty():
        return facts, None
    cols = ("table", "expectation", "column", "unexpected_count", "details")
    table = Table(
        "gx-failures",
        ("Table", "Expectation", "Column", "Rows not as expected", "Details"),
        tuple(
            tuple("" if r[c] is None else str(r[c]) for c in cols)
            for r in failed.head(LISTED).iter_rows(named=True)
        ),
        caption="Expectations that failed",
    )
    return facts, table
