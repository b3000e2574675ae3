"""The NPS section: the quarterly trend with its 95% interval; a non-reportable quarter is marked."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.charts import Target, lines
from report.elements import Figure, Section, Table, absent_section, cell
from report.formats import quarter_name
from report.kpis import reason_text


def nps_section(tables: Mapping[str, pl.DataFrame], target: float | None = None) -> Section:
    """NPS by quarter, all segments, with its interval band; too few responses → n/r, not drawn."""
    frame = tables.get("marts.nps_summary")
    if frame is None:
        return absent_section("nps", "NPS", "marts.nps_summary", "NPS")
    frame = frame.filter((pl.col("period_type") == "quarter") & (pl.col("segment") == "all")).sort(
        "period_start"
    )
    order = [quarter_name(p) for p in frame["period_start"]]
    rows = [
        {"x": quarter_name(r["period_start"]), "series": "NPS", "value": r["nps"]}
        for r in frame.iter_rows(named=True)
    ]
    band = [
        {"x": quarter_name(r["period_start"]), "low": r["nps_ci_low"], "high": r["nps_ci_high"]}
        for r in frame.iter_rows(named=True)
    ]
    not_reportable = [
        quarter_name(r["period_start"]) for r in frame.iter_rows(named=True) if r["nps"] is None
    ]
    chart = lines(
        "nps_trend",
        "NPS by quarter with its 95% interval (n/r: not reportable, too few responses)",
        rows,
        order,
        [("NPS", "#1f4e99")],
        "score",
        targets=[Target(target, f"target {target:g}")] if target is not None else [],
        band=band,
        not_reportable=not_reportable,
    )
    responses = [r for r in frame["responses"].to_list() if r is not None]
    table_rows = []
    for r in frame.iter_rows(named=True):
        key = r["period_start"].isoformat()
        note = "" if r["nps"] is not None else "not reportable: " + reason_text(r["reason"] or "")
        table_rows.append(
            (
                quarter_name(r["period_start"]),
                cell("nps_summary.nps", key, r["nps"], "score"),
                cell("nps_summary.nps_ci_low", key, r["nps_ci_low"], "score"),
                cell("nps_summary.nps_ci_high", key, r["nps_ci_high"], "score"),
                cell("nps_summary.responses", key, r["responses"], "count"),
                note.rstrip(": "),
            )
        )
    n_text = (
        f"n = {min(responses):,}–{max(responses):,} responses a quarter"
        if responses
        else "no responses"
    )
    return Section(
        "nps",
        "Net Promoter Score",
        intro=(
            "Calendar quarters, every segment together. NPS is a sample of the customers who "
            "answered: the shaded band is its 95% interval. A quarter with too few responses has "
            "no NPS: it is marked n/r (not reportable) and left out of the line.",
        ),
        figures=(
            Figure(
                "NPS by quarter, with its 95% interval",
                chart,
                f"{n_text}; {len(not_reportable)} quarter(s) not reportable.",
            ),
        ),
        tables=(
            Table(
                "nps-numbers",
                ("Quarter", "NPS", "95% interval, low", "95% interval, high", "Responses", "Note"),
                tuple(table_rows),
                caption="the numbers",
                collapsed=True,
            ),
        ),
        definitions=("nps_summary.nps",),
    )
