"""The onboarding section: accounts by onboarding status, time to first value, completion rate."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.elements import Fact, Section, Table, absent_section, cell
from report.formats import day_name, percent


def onboarding_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """Accounts by onboarding status, median time to first value, completion rate."""
    frame = tables.get("marts.onboarding_progress")
    if frame is None:
        return absent_section(
            "onboarding", "Onboarding", "marts.onboarding_progress", "onboarding progress"
        )
    latest = frame["as_of_date"].max()
    frame = frame.filter(pl.col("as_of_date") == latest)
    counts = frame.group_by("status").agg(pl.len().alias("accounts")).sort("status")
    known = frame["time_to_first_value_days"].drop_nulls()
    median = None if known.is_empty() else float(known.median())
    facts = [
        Fact(
            "Median time to first value",
            cell("onboarding_progress.time_to_first_value_days.median", "", median, "days"),
            f"n = {known.len():,} accounts that reached first value; accounts still on their "
            "way have no value yet and are not counted",
        )
    ]
    intro = [f"Every onboarding account as of {day_name(latest)}."]
    completion = tables.get("marts.onboarding_completion")
    if completion is None:
        intro.append("The onboarding completion rate is not in this publication yet.")
    else:
        overall = completion.filter(
            (pl.col("as_of_date") == completion["as_of_date"].max()) & (pl.col("program") == "all")
        )
        for r in overall.iter_rows(named=True):
            interval = (
                f"95% interval {percent(r['rate_low'])} – {percent(r['rate_high'])}; "
                if r["rate_low"] is not None
                else "no interval; "
            )
            facts.append(
                Fact(
                    "Onboarding completion",
                    cell("onboarding_completion.rate", "all", r["rate"], "fraction"),
                    f"{interval}{r['completed']:,} of the {r['window_ended']:,} accounts whose "
                    "onboarding window has ended completed every required step within it",
                )
            )
    rows = tuple(
        (
            str(r["status"]).replace("_", " ").capitalize(),
            cell("onboarding_progress.accounts", r["status"], r["accounts"], "count"),
        )
        for r in counts.iter_rows(named=True)
    )
    return Section(
        "onboarding",
        "Onboarding and time to first value",
        intro=tuple(intro),
        facts=tuple(facts),
        tables=(Table("onboarding-status", ("Onboarding status", "Accounts"), rows),),
        definitions=("onboarding_progress.time_to_first_value_days", "onboarding_completion.rate"),
    )
