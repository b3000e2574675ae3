"""The orchestration edges of the NPS/support assets that the mart tests do not reach."""

from __future__ import annotations

import datetime as dt

import polars as pl

from orchestration.transform_assets.nps_support import (
    load_nps_config,
    month_ends,
    nps_tables,
    support_table,
)

RESPONSES = {
    "response_id": pl.String,
    "send_id": pl.String,
    "account_id": pl.String,
    "user_id": pl.String,
    "segment": pl.String,
    "score": pl.Int64,
    "comment": pl.String,
    "submitted_at": pl.Datetime("us"),
    "followed_up_at": pl.Datetime("us"),
}
SENDS = {
    "send_id": pl.String,
    "account_id": pl.String,
    "user_id": pl.String,
    "segment": pl.String,
    "sent_at": pl.Datetime("us"),
}
TICKETS = {
    "ticket_id": pl.Int64,
    "account_id": pl.String,
    "status": pl.String,
    "priority": pl.String,
    "subject": pl.String,
    "description": pl.String,
    "tags": pl.List(pl.String),
    "created_at": pl.Datetime("us"),
    "solved_at": pl.Datetime("us"),
    "reply_time_minutes": pl.Int64,
    "full_resolution_minutes": pl.Int64,
}
RATINGS = {
    "rating_id": pl.Int64,
    "ticket_id": pl.Int64,
    "score": pl.String,
    "rating": pl.Int64,
    "created_at": pl.Datetime("us"),
}


def test_month_ends_cut_the_as_of_month_at_the_as_of_date() -> None:
    assert month_ends(dt.date(2025, 12, 15), dt.date(2026, 2, 10)) == [
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 10),
    ]
    # the as-of date on a month's last day: that month ends there, no empty next month
    assert month_ends(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == [dt.date(2026, 2, 28)]


def test_no_survey_data_gives_no_period_rows_rather_than_zeros() -> None:
    tables = nps_tables(
        pl.DataFrame(schema=RESPONSES),
        pl.DataFrame(schema=SENDS),
        load_nps_config(),
        dt.date(2026, 11, 20),
    )
    assert {name: frame.height for name, frame in tables.items()} == {
        "nps_summary": 0,
        "nps_responses": 0,
        "nps_survey_fatigue": 0,
        "nps_detractor_follow_up": 0,
    }


def test_survey_data_gives_every_period_up_to_the_as_of_date() -> None:
    sends = pl.DataFrame(
        [("s1", "a1", "u1", "smb", dt.datetime(2026, 9, 3))], schema=SENDS, orient="row"
    )
    summary = nps_tables(
        pl.DataFrame(schema=RESPONSES), sends, load_nps_config(), dt.date(2026, 11, 20)
    )["nps_summary"]
    months = summary.filter((pl.col("period_type") == "month") & (pl.col("segment") == "all"))
    # September (the send) to November (the as-of month); October and November are true zeros
    assert months["period_start"].to_list() == [
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    ]
    assert months["sends"].to_list() == [1, 0, 0]


def test_support_rows_start_at_the_accounts_first_month_unless_a_ticket_is_earlier() -> None:
    tickets = pl.DataFrame(
        [
            # a ticket dated before its account was created: counted, not hidden
            (1, "a_new", "solved", "normal", "x", "y", [], dt.datetime(2026, 8, 20),
             dt.datetime(2026, 8, 21), 5, 60),
        ],
        schema=TICKETS,
        orient="row",
    )  # fmt: skip
    accounts = pl.DataFrame(
        {
            "account_id": ["a_old", "a_new"],
            "first_month": [dt.date(2026, 7, 1), dt.date(2026, 10, 1)],
        }
    )
    monthly = support_table(
        tickets, pl.DataFrame(schema=RATINGS), accounts, ["Intercom"], dt.date(2026, 10, 15)
    )
    keys = monthly.select("account_id", "month_start").rows()
    # a_old: July (its first month) to October; a_new: August (its ticket) and October (its first
    # month); its September has no activity and precedes its first month, so no row
    assert sorted(keys) == [
        ("a_new", dt.date(2026, 8, 1)),
        ("a_new", dt.date(2026, 10, 1)),
        ("a_old", dt.date(2026, 7, 1)),
        ("a_old", dt.date(2026, 8, 1)),
        ("a_old", dt.date(2026, 9, 1)),
        ("a_old", dt.date(2026, 10, 1)),
    ]
    august = monthly.filter(pl.col("account_id") == "a_new").row(0, named=True)
    assert (august["tickets_created"], august["tickets_solved"]) == (1, 1)
