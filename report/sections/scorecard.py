"""The executive summary's KPI cards and the KPI scorecard section, from marts.kpi_scorecard.

Rows are named by the KPI and the period they cover in words (kpis.py), so "NPS (quarter)" never
labels a month; a 12-month measure's month and trailing-12-month rows carry one figure and are
shown once.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.elements import Cell, Section, Table, absent_section, cell
from report.formats import change_text
from report.kpis import (
    PERIOD_ORDER,
    headline_period,
    interval_text,
    is_twelve_month_measure,
    kpi_name,
    previous_period,
    reason_text,
    row_period,
    same_figure,
    sample_text,
    sentence,
    status_text_and_class,
    target_text,
)

Row = Mapping[str, object]


def scorecard_rows(frame: pl.DataFrame) -> dict[str, list[Row]]:
    """Each KPI's rows in period order (month, quarter, 12 months), a 12-month measure's repeated
    trailing-12-month row left out; KPIs in the order the scorecard first lists them."""
    order = {p: i for i, p in enumerate(PERIOD_ORDER)}
    by_kpi: dict[str, list[Row]] = {}
    for row in frame.iter_rows(named=True):
        by_kpi.setdefault(str(row["kpi"]), []).append(row)
    for kpi, rows in by_kpi.items():
        rows.sort(key=lambda r: order.get(str(r["period_type"]), len(order)))
        month = next((r for r in rows if r["period_type"] == "month"), None)
        by_kpi[kpi] = [
            r
            for r in rows
            if not (
                month is not None
                and r["period_type"] == "trailing_12_months"
                and is_twelve_month_measure(str(r["label"]))
                and same_figure(r, month)
            )
        ]
    return by_kpi


def headline_row(rows: list[Row]) -> Row:
    """The row the executive summary shows for a KPI (see kpis.headline_period)."""
    wanted = headline_period(str(rows[0]["label"]))
    return next((r for r in rows if r["period_type"] == wanted), rows[0])


def change_words(row: Row) -> str:
    """The change from the previous period in words, or why there is none."""
    previous = previous_period(row)
    if row.get("change") is not None and previous:
        return f"{change_text(row['change'], str(row['unit']))} from {previous}"  # type: ignore[arg-type]
    reason = row.get("previous_not_reportable_reason")
    if previous and reason:
        return f"No change shown: {previous} is not reportable ({reason_text(reason)})"
    return "No earlier period to compare with"


def kpi_cards(tables: Mapping[str, pl.DataFrame]) -> list[dict[str, object]]:
    """The executive summary's cards: one per KPI, its headline period, verdict, change, interval."""
    frame = tables.get("marts.kpi_scorecard")
    if frame is None or frame.is_empty():
        return []
    cards = []
    for kpi, rows in scorecard_rows(frame).items():
        row = headline_row(rows)
        status, status_class = status_text_and_class(row["status"])  # type: ignore[arg-type]
        cards.append(
            {
                "kpi": kpi,
                "name": kpi_name(str(row["label"])),
                "period": row_period(row),
                "value": cell("summary.kpi_value", kpi, row["value"], str(row["unit"])),
                "status": status,
                "status_class": status_class,
                "change": change_words(row),
                "interval": interval_text(row),
                "sample": sample_text(row),
                "sentence": sentence(row),
            }
        )
    return cards


def _status_cell(key: str, row: Row) -> Cell:
    text, css = status_text_and_class(row["status"])  # type: ignore[arg-type]
    return Cell("kpi_scorecard.status", key, row["status"], text, f"status-{css}")


def scorecard_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """Every KPI by period against its target: value, verdict, change, n and interval."""
    frame = tables.get("marts.kpi_scorecard")
    if frame is None:
        return absent_section("scorecard", "KPI scorecard", "marts.kpi_scorecard", "KPI scorecard")
    body = []
    for kpi, rows in scorecard_rows(frame).items():
        for r in rows:
            key = f"{kpi}|{r['period_type']}"
            unit = str(r["unit"])
            body.append(
                (
                    kpi_name(str(r["label"])),
                    row_period(r),
                    cell("kpi_scorecard.value", key, r["value"], unit),
                    target_text(r),
                    _status_cell(key, r),
                    cell("kpi_scorecard.previous_value", key, r["previous_value"], unit),
                    cell(
                        "kpi_scorecard.change",
                        key,
                        r["change"],
                        unit,
                        text=change_text(r["change"], unit),  # type: ignore[arg-type]
                    ),
                    cell("kpi_scorecard.sample_size", key, r["sample_size"], "count"),
                    interval_text(r).removeprefix("95% interval "),
                )
            )
    headers = ("KPI", "Period", "Value", "Target", "Verdict", "Previous", "Change", "n")
    table = Table("kpi-scorecard", (*headers, "95% interval"), tuple(body))
    reasons = sorted(
        {
            f"{kpi_name(str(r['label']))}, {row_period(r)}: not reportable, "
            f"{reason_text(r['status_reason'])}"
            for r in frame.iter_rows(named=True)
            if r["status_reason"]
        }
    )
    return Section(
        "scorecard",
        "KPI scorecard",
        intro=(
            "Each KPI for the latest complete month, quarter and 12 months, against its target. "
            "A KPI measured over 12 months (NRR, GRR) is shown once per period end. A value below "
            "its minimum sample is not reportable, never “not met”.",
            *reasons,
        ),
        tables=(table,),
        definitions=tuple(sorted({str(r) for r in frame["registry_entry"].drop_nulls()})),
    )
