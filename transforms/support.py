"""Support per account and month (metrics.md §6; the ticketing system is the source of truth).

Input contracts (timestamps UTC: naive values are read as UTC, zoned values are converted):

- tickets: ticket_id, account_id str (the organisation's external_id; NULL when the organisation
  maps to no account — such tickets are left out here and counted by the reconciliation rule),
  status (new, open, pending, hold, solved, closed), priority (urgent, high, normal, low or NULL),
  subject str, description str, tags list[str], created_at, solved_at (NULL while unsolved),
  reply_time_minutes int (first reply, calendar minutes), full_resolution_minutes int.
- ratings: rating_id, ticket_id, score str (good, bad, offered, unoffered or NULL), rating int 1–5
  (NULL where `score` is used), created_at. One kind per row; offered/unoffered are not ratings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import polars as pl

from transforms import stats

TICKET_COLUMNS = (
    "ticket_id",
    "account_id",
    "status",
    "priority",
    "subject",
    "description",
    "tags",
    "created_at",
    "solved_at",
    "reply_time_minutes",
    "full_resolution_minutes",
)
RATING_COLUMNS = ("rating_id", "ticket_id", "score", "rating", "created_at")

ESCALATED_TAG = "escalated"
HIGH_PRIORITIES = ("high", "urgent")
SOLVED_STATUSES = ("solved", "closed")

SUPPORT_MONTHLY_COLUMNS = (
    "account_id",
    "month_start",
    "month_end",
    "tickets_created",
    "open_at_month_end",
    "tickets_solved",
    "escalated",
    "high_urgent",
    "first_reply_minutes_median",
    "first_reply_n",
    "full_resolution_minutes_median",
    "full_resolution_n",
    "csat_mean",
    "csat_rating_n",
    "csat_good",
    "csat_bad",
    "csat_satisfied_share",
    "csat_satisfied_share_ci_low",
    "csat_satisfied_share_ci_high",
    "competitor_mentions",
    "competitors_mentioned",
)


def _require(frame: pl.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame lacks columns {missing}; it has {frame.columns}")


def _utc_naive(frame: pl.DataFrame, column: str, name: str) -> pl.Expr:
    dtype = frame.schema[column]
    if not isinstance(dtype, pl.Datetime):
        raise ValueError(f"{name}.{column} must be a datetime column, got {dtype}")
    if dtype.time_zone is None:
        return pl.col(column)
    return pl.col(column).dt.convert_time_zone("UTC").dt.replace_time_zone(None)


def competitor_pattern(competitors: Sequence[str]) -> str:
    """Case-insensitive whole-word regex matching any of the names (runs of spaces are flexible)."""
    names = [" ".join(name.split()) for name in competitors]
    for name in names:
        if not name or not (name[0].isalnum() and name[-1].isalnum()):
            raise ValueError(
                f"competitor name {name!r} must start and end with a letter or digit "
                "(config/support.yml `competitors`), so that whole-word matching is defined"
            )
    # Longest first, so "Zendesk Answer Bot" wins over a shorter configured "Zendesk".
    alternatives = [
        r"\s+".join(re.escape(word) for word in name.split())
        for name in sorted(set(names), key=lambda n: (-len(n), n))
    ]
    return r"(?i)\b(?:" + "|".join(alternatives) + r")\b"


def _ticket_text() -> pl.Expr:
    # Tags such as `competitor_intercom` name the competitor with underscores between words.
    tags = pl.col("tags").list.join(" ").str.replace_all(r"[_\-]", " ")
    return pl.concat_str(
        [pl.col("subject"), pl.col("description"), tags], separator="\n", ignore_nulls=True
    )


def _month_frame(month_ends: Sequence[dt.date]) -> pl.DataFrame:
    months = sorted(month_ends)
    starts = [day.replace(day=1) for day in months]
    if len(set(starts)) != len(starts):
        raise ValueError(f"month_ends name the same month twice: {[d.isoformat() for d in months]}")
    return pl.DataFrame(
        {
            "month_start": starts,
            "month_end": months,
            # Everything timestamped before the next midnight happened by the end of month_end.
            "_cutoff": [dt.datetime.combine(d + dt.timedelta(days=1), dt.time()) for d in months],
        },
        schema={"month_start": pl.Date, "month_end": pl.Date, "_cutoff": pl.Datetime("us")},
    )


def _in_month(timestamp: str) -> pl.Expr:
    """Whether the timestamp falls in the row's month, up to the end of its month_end day."""
    return (pl.col(timestamp) >= pl.col("month_start").cast(pl.Datetime("us"))) & (
        pl.col(timestamp) < pl.col("_cutoff")
    )


def _prepare_tickets(tickets: pl.DataFrame) -> pl.DataFrame:
    _require(tickets, TICKET_COLUMNS, "tickets")
    return tickets.filter(pl.col("account_id").is_not_null()).with_columns(
        _utc_naive(tickets, "created_at", "tickets").cast(pl.Datetime("us")),
        _utc_naive(tickets, "solved_at", "tickets").cast(pl.Datetime("us")),
        pl.col("account_id").cast(pl.String),
        pl.col("priority").cast(pl.String).str.to_lowercase(),
        pl.col("status").cast(pl.String).str.to_lowercase(),
        pl.col("tags").list.eval(pl.element().str.to_lowercase()),
    )


def _prepare_ratings(ratings: pl.DataFrame) -> pl.DataFrame:
    _require(ratings, RATING_COLUMNS, "ratings")
    prepared = ratings.with_columns(
        _utc_naive(ratings, "created_at", "ratings").cast(pl.Datetime("us")),
        pl.col("score").cast(pl.String).str.to_lowercase(),
        pl.col("rating").cast(pl.Int64),
    )
    bad_score = prepared.filter(
        pl.col("score").is_not_null()
        & ~pl.col("score").is_in(["good", "bad", "offered", "unoffered"])
    )
    bad_rating = prepared.filter(
        pl.col("rating").is_not_null() & ~pl.col("rating").is_between(1, 5)
    )
    both = prepared.filter(pl.col("rating").is_not_null() & pl.col("score").is_in(["good", "bad"]))
    for problem, rows in (
        ("score must be good, bad, offered or unoffered", bad_score),
        ("rating must be 1–5", bad_rating),
        ("a row carries both a good/bad score and a 1–5 rating", both),
    ):
        if rows.height:
            raise ValueError(
                f"ratings: {problem}; offending rating_id {rows['rating_id'].head(5).to_list()}"
            )
    return prepared


def support_monthly(
    tickets: pl.DataFrame,
    ratings: pl.DataFrame,
    month_ends: Sequence[dt.date],
    competitors: Sequence[str],
    accounts: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The `support_monthly` table: one row per account × month.

    `month_ends` gives the months to report, each by the day whose end is its cut-off: the last
    day of a past month, the as-of date for the current one. Accounts are those with a ticket plus
    any listed in `accounts` (mapped accounts without tickets get true zeros).

    Per month: tickets_created (created in the month); open_at_month_end (created by the cut-off
    and not solved by it, whenever it was solved later); tickets_solved (solved_at in the month);
    escalated and high_urgent (tickets created in the month with the `escalated` tag, with
    priority high or urgent); first_reply_minutes_median over tickets created in the month and
    full_resolution_minutes_median over tickets solved in it, each with its n; CSAT from ratings
    given in the month, kept in two forms that are never converted into each other: csat_mean of
    1–5 ratings with csat_rating_n, and csat_satisfied_share = good/(good+bad) with csat_good,
    csat_bad and a Wilson interval; competitor_mentions (tickets created in the month naming a
    configured competitor in subject, description or tags, case-insensitive, whole words) and the
    sorted names mentioned.

    A solved or closed ticket without solved_at is not counted as open (its status is the only
    evidence and says it is not).
    """
    months = _month_frame(month_ends)
    prepared = _prepare_tickets(tickets)
    rated = _prepare_ratings(ratings)
    pattern = competitor_pattern(competitors) if competitors else None
    canonical = {" ".join(name.split()).lower(): " ".join(name.split()) for name in competitors}
    mentioned = (
        _ticket_text()
        .str.extract_all(pattern)
        .list.eval(
            pl.element()
            .str.to_lowercase()
            .str.replace_all(r"\s+", " ")
            .replace_strict(canonical, return_dtype=pl.String)
        )
        .list.unique()
        if pattern is not None
        else pl.lit([], dtype=pl.List(pl.String))
    )
    created = _in_month("created_at")
    solved = _in_month("solved_at")
    open_at_end = (pl.col("created_at") < pl.col("_cutoff")) & pl.when(
        pl.col("solved_at").is_null()
    ).then(~pl.col("status").is_in(SOLVED_STATUSES)).otherwise(
        pl.col("solved_at") >= pl.col("_cutoff")
    )
    ticket_stats = (
        prepared.with_columns(_mentioned=mentioned)
        .join(months, how="cross")
        .group_by("account_id", "month_start")
        .agg(
            tickets_created=created.sum(),
            open_at_month_end=open_at_end.sum(),
            tickets_solved=solved.fill_null(False).sum(),
            escalated=(
                created & pl.col("tags").list.contains(ESCALATED_TAG).fill_null(False)
            ).sum(),
            high_urgent=(
                created & pl.col("priority").is_in(HIGH_PRIORITIES).fill_null(False)
            ).sum(),
            first_reply_minutes_median=pl.col("reply_time_minutes").filter(created).median(),
            first_reply_n=pl.col("reply_time_minutes").filter(created).count(),
            full_resolution_minutes_median=pl.col("full_resolution_minutes")
            .filter(solved.fill_null(False))
            .median(),
            full_resolution_n=pl.col("full_resolution_minutes")
            .filter(solved.fill_null(False))
            .count(),
            competitor_mentions=(created & (pl.col("_mentioned").list.len() > 0)).sum(),
            competitors_mentioned=pl.col("_mentioned").filter(created).explode().drop_nulls(),
        )
    )

    rating_stats = (
        rated.join(prepared.select("ticket_id", "account_id"), on="ticket_id", how="inner")
        .join(months, how="cross")
        .filter(_in_month("created_at"))
        .group_by("account_id", "month_start")
        .agg(
            csat_mean=pl.col("rating").cast(pl.Float64).mean(),
            csat_rating_n=pl.col("rating").count(),
            csat_good=(pl.col("score") == "good").sum(),
            csat_bad=(pl.col("score") == "bad").sum(),
        )
    )

    account_ids = set(prepared["account_id"].to_list()) | set(accounts or [])
    grid = pl.DataFrame({"account_id": sorted(account_ids)}, schema={"account_id": pl.String}).join(
        months.drop("_cutoff"), how="cross"
    )
    counts = (
        "tickets_created",
        "open_at_month_end",
        "tickets_solved",
        "escalated",
        "high_urgent",
        "first_reply_n",
        "full_resolution_n",
        "competitor_mentions",
        "csat_rating_n",
        "csat_good",
        "csat_bad",
    )
    share_low, share_high = stats.wilson_interval_exprs(
        "csat_good", pl.col("csat_good") + pl.col("csat_bad")
    )
    result = (
        grid.join(ticket_stats, on=["account_id", "month_start"], how="left")
        .join(rating_stats, on=["account_id", "month_start"], how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts)
        .with_columns(
            competitors_mentioned=pl.col("competitors_mentioned")
            .fill_null([])
            .list.unique()
            .list.sort(),
            csat_satisfied_share=pl.when(pl.col("csat_good") + pl.col("csat_bad") > 0).then(
                pl.col("csat_good") / (pl.col("csat_good") + pl.col("csat_bad"))
            ),
            csat_satisfied_share_ci_low=share_low,
            csat_satisfied_share_ci_high=share_high,
        )
    )
    return result.select(SUPPORT_MONTHLY_COLUMNS).sort("account_id", "month_start")
