"""support_monthly on hand-made tickets and ratings; expected counts are worked out per ticket."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from transforms.support import (
    SUPPORT_MONTHLY_COLUMNS,
    SupportConfig,
    competitor_pattern,
    month_ends,
    support_monthly,
    support_table,
)

D = dt.datetime
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
MONTH_ENDS = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]
COMPETITORS = ["Intercom", "Drift", "Ada", "Zendesk Answer Bot"]

TICKET_SCHEMA = {
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
RATING_SCHEMA = {
    "rating_id": pl.Int64,
    "ticket_id": pl.Int64,
    "score": pl.String,
    "rating": pl.Int64,
    "created_at": pl.Datetime("us"),
}


def ticket(ticket_id: int, created_at: dt.datetime, **fields) -> dict:
    base = {
        "ticket_id": ticket_id,
        "account_id": "acc",
        "status": "open",
        "priority": "normal",
        "subject": "help",
        "description": None,
        "tags": [],
        "created_at": created_at,
        "solved_at": None,
        "reply_time_minutes": None,
        "full_resolution_minutes": None,
    }
    return {**base, **fields}


def tickets_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TICKET_SCHEMA)


def ratings_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=RATING_SCHEMA, orient="row")


NO_RATINGS = ratings_frame([])


def monthly(tickets: pl.DataFrame, ratings: pl.DataFrame = NO_RATINGS, **kwargs) -> pl.DataFrame:
    return support_monthly(
        tickets, ratings, kwargs.pop("month_ends", MONTH_ENDS), COMPETITORS, **kwargs
    )


def values(frame: pl.DataFrame, account: str, columns: list[str]) -> list[tuple]:
    return frame.filter(pl.col("account_id") == account).select("month_start", *columns).rows()


def test_open_at_month_end_across_month_boundaries() -> None:
    tickets = tickets_frame(
        [
            # 1: created in January, solved 2 February → open at the end of January only.
            ticket(1, D(2026, 1, 10), status="solved", solved_at=D(2026, 2, 2)),
            # 2: solved in the last second of January → solved in January, never open at an end.
            ticket(2, D(2026, 1, 20), status="solved", solved_at=D(2026, 1, 31, 23, 59, 59)),
            # 3: created in the last second of January, never solved → open at every month end.
            ticket(3, D(2026, 1, 31, 23, 59, 59)),
            # 4: created at the first instant of February, solved in March.
            ticket(4, D(2026, 2, 1), status="closed", solved_at=D(2026, 3, 15)),
            # 5: closed but without solved_at → its status says not open.
            ticket(5, D(2026, 1, 5), status="closed"),
            # 6: solved at exactly 00:00 on 1 February → still open at the end of 31 January.
            ticket(6, D(2026, 1, 15), status="solved", solved_at=D(2026, 2, 1)),
        ]
    )
    result = monthly(tickets)
    assert result.columns == list(SUPPORT_MONTHLY_COLUMNS)
    assert values(result, "acc", ["tickets_created", "open_at_month_end", "tickets_solved"]) == [
        (JAN, 5, 3, 1),  # created 1,2,3,5,6; open 1,3,6; solved 2
        (FEB, 1, 2, 2),  # created 4; open 3,4; solved 1,6
        (MAR, 0, 1, 1),  # open 3; solved 4
    ]


def test_as_of_month_is_cut_at_the_end_of_the_as_of_day() -> None:
    tickets = tickets_frame(
        [
            ticket(1, D(2026, 2, 10), status="solved", solved_at=D(2026, 2, 20)),
            ticket(2, D(2026, 2, 16)),  # after the as-of day: not yet known
        ]
    )
    result = monthly(tickets, month_ends=[dt.date(2026, 2, 15)])
    assert values(result, "acc", ["month_end", "tickets_created", "open_at_month_end"]) == [
        (FEB, dt.date(2026, 2, 15), 1, 1),  # ticket 1 was still open at the end of 15 Feb
    ]


def test_escalation_is_read_from_the_tag_and_priority_counts_high_and_urgent() -> None:
    tickets = tickets_frame(
        [
            ticket(1, D(2026, 1, 3), tags=["billing", "escalated"], priority="urgent"),
            ticket(2, D(2026, 1, 4), tags=["Escalated"], priority="high"),
            # The word in the subject, or a tag that merely contains it, is not the tag.
            ticket(3, D(2026, 1, 5), subject="escalated?", tags=["not_escalated"]),
            ticket(4, D(2026, 1, 6), tags=None, priority=None),
            ticket(5, D(2026, 2, 6), tags=["escalated"], priority="low"),
        ]
    )
    result = monthly(tickets)
    assert values(result, "acc", ["escalated", "high_urgent"]) == [
        (JAN, 2, 2),
        (FEB, 1, 0),
        (MAR, 0, 0),
    ]


def test_medians_of_first_reply_and_full_resolution() -> None:
    tickets = tickets_frame(
        [
            ticket(1, D(2026, 1, 2), reply_time_minutes=10),
            ticket(2, D(2026, 1, 3), reply_time_minutes=30),
            ticket(3, D(2026, 1, 4), reply_time_minutes=20),
            ticket(4, D(2026, 1, 5)),  # no reply yet: not in the n
            # Resolution medians are over tickets solved in the month: Feb has 100 and 400.
            ticket(5, D(2026, 1, 6), solved_at=D(2026, 2, 1), full_resolution_minutes=100),
            ticket(6, D(2026, 2, 1), solved_at=D(2026, 2, 9), full_resolution_minutes=400),
        ]
    )
    result = monthly(tickets)
    columns = [
        "first_reply_minutes_median",
        "first_reply_n",
        "full_resolution_minutes_median",
        "full_resolution_n",
    ]
    assert values(result, "acc", columns) == [
        (JAN, 20.0, 3, None, 0),  # median of 10, 30, 20
        (FEB, None, 0, 250.0, 2),  # (100 + 400)/2
        (MAR, None, 0, None, 0),
    ]


def test_csat_from_both_rating_kinds_is_kept_separate() -> None:
    tickets = tickets_frame(
        [
            ticket(1, D(2026, 1, 2), account_id="five_point"),
            ticket(2, D(2026, 1, 2), account_id="five_point"),
            ticket(3, D(2026, 1, 2), account_id="five_point"),
            ticket(4, D(2026, 1, 2), account_id="mixed"),
            ticket(5, D(2026, 1, 2), account_id="good_bad"),
            ticket(6, D(2026, 1, 2), account_id="good_bad"),
            ticket(7, D(2026, 1, 2), account_id="good_bad"),
            ticket(8, D(2026, 1, 2), account_id="good_bad"),
            ticket(9, D(2026, 1, 2), account_id="good_bad"),
        ]
    )
    ratings = ratings_frame(
        [
            (1, 1, None, 5, D(2026, 1, 5)),
            (2, 2, None, 4, D(2026, 1, 6)),
            (3, 3, None, 2, D(2026, 1, 7)),
            (4, 4, None, 1, D(2026, 1, 8)),
            (5, 4, "good", None, D(2026, 1, 9)),
            (6, 5, "good", None, D(2026, 1, 5)),
            (7, 6, "good", None, D(2026, 1, 5)),
            (8, 7, "bad", None, D(2026, 1, 5)),
            (9, 8, "offered", None, D(2026, 1, 5)),  # offered is not a rating
            (10, 9, "good", None, D(2026, 2, 1)),  # rated in February
        ]
    )
    result = monthly(tickets, ratings)
    columns = ["csat_mean", "csat_rating_n", "csat_good", "csat_bad", "csat_satisfied_share"]
    # five_point: (5 + 4 + 2)/3 = 3.6667; no good/bad, so no satisfied share.
    [(_, mean, n, good, bad, share)] = values(result, "five_point", columns)[:1]
    assert mean == pytest.approx(11 / 3, rel=1e-12)
    assert (n, good, bad, share) == (3, 0, 0, None)
    # good_bad: good 2, bad 1 → 2/3 in January; February 1 good → 1.0. Never a 1–5 mean.
    assert values(result, "good_bad", columns) == [
        (JAN, None, 0, 2, 1, 2 / 3),
        (FEB, None, 0, 1, 0, 1.0),
        (MAR, None, 0, 0, 0, None),
    ]
    # mixed: one of each kind, each in its own column.
    assert values(result, "mixed", columns)[0] == (JAN, 1.0, 1, 1, 0, 1.0)


def test_satisfied_share_wilson_interval() -> None:
    tickets = tickets_frame([ticket(i, D(2026, 1, 2)) for i in range(1, 5)])
    ratings = ratings_frame(
        [(i, i, "bad" if i == 4 else "good", None, D(2026, 1, 3)) for i in range(1, 5)]
    )
    result = monthly(tickets, ratings, month_ends=[dt.date(2026, 1, 31)]).to_dicts()[0]
    # Wilson 3 of 4: p = 0.75, z²/n = 0.9604, centre = (0.75 + 0.4802)/1.9604 = 0.6275250,
    # half = 0.9997960·√(0.046875 + 0.0600250) = 0.9997960·0.3269557 = 0.3268889
    assert result["csat_satisfied_share"] == 0.75
    assert result["csat_satisfied_share_ci_low"] == pytest.approx(0.3006361, abs=1e-7)
    assert result["csat_satisfied_share_ci_high"] == pytest.approx(0.9544139, abs=1e-7)


def test_competitor_mentions_are_whole_words_case_insensitive() -> None:
    tickets = tickets_frame(
        [
            ticket(1, D(2026, 1, 2), subject="Ask Adam about the bot"),  # Adam is not Ada
            ticket(2, D(2026, 1, 3), subject="ADA's pricing is lower"),  # Ada
            ticket(3, D(2026, 1, 4), description="we tried Zendesk  answer\nbot"),  # multi-word
            ticket(4, D(2026, 1, 5), tags=["competitor_drift"]),  # tag words split on _
            ticket(5, D(2026, 1, 6), subject="adrift, Intercomm, driftwood"),  # none
            ticket(6, D(2026, 1, 7), subject="Intercom or Drift?", description="intercom"),
            ticket(7, D(2026, 2, 7), subject="moving to intercom"),
        ]
    )
    result = monthly(tickets)
    assert values(result, "acc", ["competitor_mentions", "competitors_mentioned"]) == [
        (JAN, 4, ["Ada", "Drift", "Intercom", "Zendesk Answer Bot"]),  # tickets 2, 3, 4, 6
        (FEB, 1, ["Intercom"]),
        (MAR, 0, []),
    ]


def test_competitor_names_must_have_word_edges() -> None:
    assert competitor_pattern(["Ada"]) == r"(?i)\b(?:Ada)\b"
    with pytest.raises(ValueError, match="config/support.yml"):
        competitor_pattern(["Tidio+"])


def test_accounts_without_tickets_get_true_zeros_and_unmapped_tickets_are_left_out() -> None:
    tickets = tickets_frame(
        [ticket(1, D(2026, 1, 2), account_id=None), ticket(2, D(2026, 1, 2), account_id="acc")]
    )
    result = monthly(tickets, accounts=["quiet"], month_ends=[dt.date(2026, 1, 31)])
    assert result.select(
        "account_id", "tickets_created", "open_at_month_end", "csat_mean"
    ).rows() == [
        ("acc", 1, 1, None),
        ("quiet", 0, 0, None),
    ]


def test_bad_ratings_and_repeated_months_are_rejected() -> None:
    tickets = tickets_frame([ticket(1, D(2026, 1, 2))])
    with pytest.raises(ValueError, match=r"rating must be 1–5; offending rating_id \[7\]"):
        monthly(tickets, ratings_frame([(7, 1, None, 6, D(2026, 1, 3))]))
    with pytest.raises(ValueError, match="both a good/bad score and a 1–5 rating"):
        monthly(tickets, ratings_frame([(8, 1, "good", 4, D(2026, 1, 3))]))
    with pytest.raises(ValueError, match="same month twice"):
        monthly(tickets, month_ends=[dt.date(2026, 1, 15), dt.date(2026, 1, 31)])


def test_counts_match_a_ticket_by_month_loop_on_random_tickets() -> None:
    """The month counts against a plain loop over every ticket and month (the definition as
    written), on random tickets with missing dates and statuses, moments exactly at a cut-off and
    months that do not follow each other. support_monthly matches each ticket to its own month and
    counts open tickets as runs of months; the loop shares none of that."""
    rng = random.Random(11)
    month_ends = [dt.date(2025, 12, 31), dt.date(2026, 2, 10), dt.date(2026, 4, 30)]
    cutoffs = [D.combine(d + dt.timedelta(days=1), dt.time()) for d in month_ends]

    def moment() -> dt.datetime | None:
        draw = rng.random()
        if draw < 0.1:
            return None
        if draw < 0.25:
            return rng.choice(cutoffs)
        return D(2025, 11, 20) + dt.timedelta(minutes=rng.randrange(60 * 24 * 180))

    rows = [
        ticket(
            i,
            moment(),
            account_id=rng.choice(["a", "b", "c"]),
            status=rng.choice(["open", "pending", "solved", "closed", None]),
            solved_at=moment() if rng.random() < 0.6 else None,
        )
        for i in range(400)
    ]
    expected = {}
    for account in ("a", "b", "c"):
        for month_end, cutoff in zip(month_ends, cutoffs, strict=True):
            start = D.combine(month_end.replace(day=1), dt.time())
            mine = [r for r in rows if r["account_id"] == account and r["created_at"] is not None]
            created = sum(start <= r["created_at"] < cutoff for r in mine)
            solved = sum(
                r["solved_at"] is not None and start <= r["solved_at"] < cutoff
                for r in rows
                if r["account_id"] == account
            )
            still_open = sum(
                r["created_at"] < cutoff
                and (
                    r["solved_at"] >= cutoff
                    if r["solved_at"] is not None
                    else r["status"] not in (None, "solved", "closed")
                )
                for r in mine
            )
            expected[(account, month_end.replace(day=1))] = (created, still_open, solved)
    frame = monthly(tickets_frame(rows), month_ends=month_ends)
    got = {
        (account, month): (created, still_open, solved)
        for account, month, created, still_open, solved in frame.select(
            "account_id", "month_start", "tickets_created", "open_at_month_end", "tickets_solved"
        ).rows()
    }
    assert got == expected


# --------------------------------------------------------------------------- the table of a run


def test_month_ends_cut_the_as_of_month_at_the_as_of_date() -> None:
    assert month_ends(dt.date(2025, 12, 15), dt.date(2026, 2, 10)) == [
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 10),
    ]
    # the as-of date on a month's last day: that month ends there, no empty next month
    assert month_ends(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == [dt.date(2026, 2, 28)]


def test_support_rows_start_at_the_accounts_first_month_unless_a_ticket_is_earlier() -> None:
    tickets = pl.DataFrame(
        [
            # a ticket dated before its account was created: counted, not hidden
            (1, "a_new", "solved", "normal", "x", "y", [], dt.datetime(2026, 8, 20),
             dt.datetime(2026, 8, 21), 5, 60),
        ],
        schema=TICKET_SCHEMA,
        orient="row",
    )  # fmt: skip
    accounts = pl.DataFrame(
        {
            "account_id": ["a_old", "a_new"],
            "first_month": [dt.date(2026, 7, 1), dt.date(2026, 10, 1)],
        }
    )
    monthly = support_table(
        tickets, NO_RATINGS, accounts, SupportConfig("test.1", ("Intercom",)), dt.date(2026, 10, 15)
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
