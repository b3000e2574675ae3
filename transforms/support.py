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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class SupportConfig:
    """The settings of config/support.yml, validated by orchestration/config.py."""

    version: str
    #: Competitor names counted in ticket subjects, descriptions and tags.
    competitors: tuple[str, ...]


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


def _in_own_month(frame: pl.DataFrame, timestamp: str, months: pl.DataFrame) -> pl.DataFrame:
    """The rows whose timestamp falls in one of the months, up to its cut-off, with that month.

    Each row is matched to the month it falls in (not to every month and then filtered), so the
    work and memory follow the rows, not rows × months.
    """
    return (
        frame.filter(pl.col(timestamp).is_not_null())
        .with_columns(month_start=pl.col(timestamp).dt.truncate("1mo").cast(pl.Date))
        .join(months, on="month_start", how="inner")
        .filter(pl.col(timestamp) < pl.col("_cutoff"))
    )


def _open_at_month_end(prepared: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """Tickets open at each month's cut-off per account (months without one left out).

    A ticket is open at cut-off c when created before c and, if it has solved_at, solved at or after
    c; without solved_at, when its status is known and not solved or closed. The cut-offs increase
    with the months, so the months a ticket is open at form one run, from the first cut-off after
    its creation to the last one not after its solving: counted as +1 where the run starts and -1
    after it ends, summed in month order per account.
    """
    cutoffs = months["_cutoff"]
    month_count = months.height
    dated = prepared.filter(pl.col("created_at").is_not_null())
    # Index of the first cut-off after creation; of the first cut-off after solving (none open
    # from there on). search_sorted takes no nulls: an unsolved ticket gets a placeholder whose
    # index is never used (its end comes from its status below).
    first = cutoffs.search_sorted(dated["created_at"], side="right").cast(pl.Int64)
    solved_end = cutoffs.search_sorted(
        dated["solved_at"].fill_null(dt.datetime(1, 1, 1)), side="right"
    ).cast(pl.Int64)
    spans = (
        dated.select("account_id", "solved_at", "status")
        .with_columns(first=first, solved_end=solved_end)
        .with_columns(
            end=pl.when(pl.col("solved_at").is_not_null())
            .then(pl.col("solved_end"))
            .when(pl.col("status").is_not_null() & ~pl.col("status").is_in(SOLVED_STATUSES))
            .then(pl.lit(month_count, dtype=pl.Int64))
            .otherwise(pl.col("first"))
        )
        .filter(pl.col("first") < pl.col("end"))
    )
    steps = pl.concat(
        [
            spans.select("account_id", index=pl.col("first"), step=pl.lit(1)),
            spans.filter(pl.col("end") < month_count).select(
                "account_id", index=pl.col("end"), step=pl.lit(-1)
            ),
        ]
    )
    indexed = months.select("month_start").with_row_index("index").cast({"index": pl.Int64})
    return (
        pl.DataFrame({"account_id": steps["account_id"].unique()}, schema={"account_id": pl.String})
        .join(indexed, how="cross")
        .join(
            steps.group_by("account_id", "index").agg(pl.col("step").sum()),
            on=["account_id", "index"],
            how="left",
        )
        .sort("account_id", "index")
        .select(
            "account_id",
            "month_start",
            open_at_month_end=pl.col("step").fill_null(0).cum_sum().over("account_id"),
        )
    )


def _competitors_mentioned(competitors: Sequence[str]) -> pl.Expr:
    """The configured competitor names a ticket's text mentions, as configured, each once."""
    pattern = competitor_pattern(competitors) if competitors else None
    canonical = {" ".join(name.split()).lower(): " ".join(name.split()) for name in competitors}
    return (
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


def _created_stats(
    prepared: pl.DataFrame, months: pl.DataFrame, competitors: Sequence[str]
) -> pl.DataFrame:
    """Per account and month, of the tickets created in it: counts, escalations, high/urgent,
    first-reply median, competitor mentions."""
    created_tickets = _in_own_month(
        prepared.with_columns(_mentioned=_competitors_mentioned(competitors)), "created_at", months
    )
    return created_tickets.group_by("account_id", "month_start").agg(
        tickets_created=pl.len(),
        escalated=pl.col("tags").list.contains(ESCALATED_TAG).fill_null(False).sum(),
        high_urgent=pl.col("priority").is_in(HIGH_PRIORITIES).fill_null(False).sum(),
        first_reply_minutes_median=pl.col("reply_time_minutes").median(),
        first_reply_n=pl.col("reply_time_minutes").count(),
        competitor_mentions=(pl.col("_mentioned").list.len() > 0).sum(),
        competitors_mentioned=pl.col("_mentioned").explode().drop_nulls(),
    )


def _solved_stats(prepared: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """Per account and month, of the tickets solved in it: count and full-resolution median."""
    return (
        _in_own_month(prepared, "solved_at", months)
        .group_by("account_id", "month_start")
        .agg(
            tickets_solved=pl.len(),
            full_resolution_minutes_median=pl.col("full_resolution_minutes").median(),
            full_resolution_n=pl.col("full_resolution_minutes").count(),
        )
    )


def _rating_stats(
    rated: pl.DataFrame, prepared: pl.DataFrame, months: pl.DataFrame
) -> pl.DataFrame:
    """Per account and month, of the ratings given in it: the 1–5 mean and the good/bad counts."""
    return (
        _in_own_month(
            rated.join(prepared.select("ticket_id", "account_id"), on="ticket_id", how="inner"),
            "created_at",
            months,
        )
        .group_by("account_id", "month_start")
        .agg(
            csat_mean=pl.col("rating").cast(pl.Float64).mean(),
            csat_rating_n=pl.col("rating").count(),
            csat_good=(pl.col("score") == "good").sum(),
            csat_bad=(pl.col("score") == "bad").sum(),
        )
    )


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
    created_stats = _created_stats(prepared, months, competitors)
    solved_stats = _solved_stats(prepared, months)
    rating_stats = _rating_stats(rated, prepared, months)

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
        grid.join(created_stats, on=["account_id", "month_start"], how="left")
        .join(solved_stats, on=["account_id", "month_start"], how="left")
        .join(_open_at_month_end(prepared, months), on=["account_id", "month_start"], how="left")
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


# --------------------------------------------------------------------------- the table of a run


def month_ends(first: dt.date, as_of: dt.date) -> list[dt.date]:
    """The cut-off day of every month from `first`'s to `as_of`'s: month ends, then the as-of date."""
    ends = []
    month = first.replace(day=1)
    while month <= as_of:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        ends.append(min(following - dt.timedelta(days=1), as_of))
        month = following
    return ends


def support_table(
    tickets: pl.DataFrame,
    ratings: pl.DataFrame,
    accounts: pl.DataFrame,
    config: SupportConfig,
    as_of: dt.date,
) -> pl.DataFrame:
    """`support_monthly` as of a date, stamped with the config version: months from the first
    ticket (or mapped account) on.

    Rows of an account before its first month are left out unless they hold activity (a ticket
    created before the account says so is still counted, not hidden).
    """
    tickets = tickets.filter(pl.col("created_at").dt.date() <= as_of)
    ratings = ratings.filter(pl.col("created_at").dt.date() <= as_of)
    starts = tickets["created_at"].dt.date().to_list() + accounts["first_month"].to_list()
    starts = [s for s in starts if s is not None and s <= as_of]
    if not starts:
        return support_monthly(tickets, ratings, [], config.competitors, []).with_columns(
            config_version=pl.lit(config.version)
        )
    monthly = support_monthly(
        tickets,
        ratings,
        month_ends(min(starts), as_of),
        config.competitors,
        accounts["account_id"].to_list(),
    )
    activity = (
        pl.col("tickets_created")
        + pl.col("open_at_month_end")
        + pl.col("tickets_solved")
        + pl.col("csat_rating_n")
        + pl.col("csat_good")
        + pl.col("csat_bad")
    ) > 0
    return (
        monthly.join(accounts, on="account_id", how="left")
        .filter(
            activity
            | pl.col("first_month").is_null()
            | (pl.col("month_start") >= pl.col("first_month"))
        )
        .drop("first_month")
        .with_columns(config_version=pl.lit(config.version))
    )
