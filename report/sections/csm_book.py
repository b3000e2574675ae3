"""Each CSM's book today (marts.csm_book_daily): live accounts, MRR, renewals due, open alerts;
the unassigned book is its own row. Shown only when the table is published."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.elements import Section, Table, cell
from report.formats import day_name

COLUMNS = (
    ("live_accounts", "Live accounts", "count"),
    ("mrr", "MRR", "money"),
    ("renewals_due_90d", "Renewals due in 90 days", "count"),
    ("renewal_mrr_due_90d", "Their MRR", "money"),
    ("open_alerts", "Open alerts", "count"),
    ("accounts_without_qbr_90d", "No QBR in 90 days", "count"),
)


def _owner(row: Mapping[str, object]) -> str:
    """The CSM's name where the application database lists it, else the id ('unassigned' for the
    accounts with no CSM); publications before csm_name existed show the id."""
    return str(row.get("csm_name") or row["csm_label"])


def csm_book_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """The latest day's book per CSM, largest MRR first, the unassigned row among them."""
    frame = tables["marts.csm_book_daily"]
    latest = frame.filter(pl.col("as_of_date") == frame["as_of_date"].max()).sort(
        "mrr", descending=True, nulls_last=True
    )
    rows = tuple(
        (
            _owner(r),
            *(
                cell(f"csm_book_daily.{c}", str(r["csm_label"]), r[c], unit)
                for c, _, unit in COLUMNS
            ),
        )
        for r in latest.iter_rows(named=True)
    )
    day = day_name(latest["as_of_date"][0]) if latest.height else "no day"
    return Section(
        "csm-book",
        "Each CSM's book",
        intro=(
            f"Live accounts each CSM owns on {day}, with their MRR, the renewals due in the next "
            "90 days and the open alerts; accounts with no CSM are their own row. QBRs count for "
            "mid-market and enterprise accounts only.",
        ),
        tables=(Table("csm-book", ("CSM", *(h for _, h, _ in COLUMNS)), rows),),
        definitions=("csm_book_daily.renewal_mrr_due_90d",),
    )
