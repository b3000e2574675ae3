"""NPS per period and segment with honest statistics (metrics.md §7, validation rules 9, 10, 14, 15).

Input contracts (timestamps are UTC: naive values are read as UTC, zoned values are converted):

- responses: response_id str (unique), send_id str (NULL when the response has no send), account_id
  str, user_id str, segment str (NULL is reported as segment `unknown`), score int 0–10,
  submitted_at datetime, followed_up_at datetime (NULL when nobody followed up); optional
  comment str.
- sends: send_id str (unique), account_id str, user_id str, segment str, sent_at datetime.

A response belongs to the calendar month and quarter of its `submitted_at` in UTC; a send to those
of its `sent_at`. Counts over a period are true zeros when the survey source is present (the caller
decides that), so every period between the first and the last one with data gets a row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms import stats
from transforms.redaction import redact_emails_expr

PERIOD_TYPES = ("month", "quarter")
ALL_SEGMENTS = "all"
UNKNOWN_SEGMENT = "unknown"

RESPONSE_COLUMNS = (
    "response_id",
    "send_id",
    "account_id",
    "user_id",
    "segment",
    "score",
    "submitted_at",
    "followed_up_at",
)
SEND_COLUMNS = ("send_id", "account_id", "user_id", "segment", "sent_at")

_TRUNCATE_EVERY = {"month": "1mo", "quarter": "1q"}


@dataclass(frozen=True)
class NpsConfig:
    """The settings of config/nps.yml, validated by orchestration/config.py."""

    version: str
    min_responses: int
    min_sends_for_response_rate: int
    warn_below_responses_month: int
    warn_below_responses_quarter: int
    fatigue_days: int
    follow_up_hours: int
    confidence: float

    @property
    def z(self) -> float:
        return stats.z_for_confidence(self.confidence)

    @property
    def alpha(self) -> float:
        return round(1 - self.confidence, 12)


# --------------------------------------------------------------------------- input handling


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


def _end_of_day(day: dt.date) -> dt.datetime:
    """The exclusive upper bound of `day`: data timestamped before it was known by the end of day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _check_unique(frame: pl.DataFrame, key: str, name: str) -> None:
    duplicated = frame.filter(pl.col(key).is_duplicated())[key].unique().sort()
    if len(duplicated):
        raise ValueError(
            f"{name}.{key} must be unique; duplicated: {duplicated.head(5).to_list()} "
            "(deduplicate in staging before summarising)"
        )


def _prepare_responses(responses: pl.DataFrame, as_of: dt.date | None) -> pl.DataFrame:
    _require(responses, RESPONSE_COLUMNS, "responses")
    _check_unique(responses, "response_id", "responses")
    bad = responses.filter(
        pl.col("score").is_null() | (pl.col("score") < 0) | (pl.col("score") > 10)
    )
    if bad.height:
        raise ValueError(
            "responses.score must be a whole number 0–10; offending response_id "
            f"{bad['response_id'].head(5).to_list()}"
        )
    prepared = responses.with_columns(
        _utc_naive(responses, "submitted_at", "responses"),
        _utc_naive(responses, "followed_up_at", "responses"),
        pl.col("score").cast(pl.Int64),
    )
    if as_of is not None:
        prepared = prepared.filter(pl.col("submitted_at") < _end_of_day(as_of))
    return prepared


def _prepare_sends(sends: pl.DataFrame, as_of: dt.date | None) -> pl.DataFrame:
    _require(sends, SEND_COLUMNS, "sends")
    _check_unique(sends, "send_id", "sends")
    prepared = sends.with_columns(_utc_naive(sends, "sent_at", "sends"))
    if as_of is not None:
        prepared = prepared.filter(pl.col("sent_at") < _end_of_day(as_of))
    return prepared


def _segment_expr() -> pl.Expr:
    return pl.col("segment").cast(pl.String).fill_null(UNKNOWN_SEGMENT)


def _check_segments(*frames: pl.DataFrame) -> None:
    for frame in frames:
        if frame.filter(pl.col("segment") == ALL_SEGMENTS).height:
            raise ValueError(
                f"segment `{ALL_SEGMENTS}` is reserved for the total over segments; "
                "rename that segment in the accounts data"
            )


def _in_periods_and_segments(frame: pl.DataFrame, timestamp: str) -> pl.DataFrame:
    """One row per input row × period type × (its segment, `all`), keyed by period_start."""
    per_type = [
        frame.with_columns(
            period_type=pl.lit(period_type),
            period_start=pl.col(timestamp).dt.truncate(every).cast(pl.Date),
        )
        for period_type, every in _TRUNCATE_EVERY.items()
    ]
    return (
        pl.concat(per_type)
        .with_columns(segment=pl.concat_list(pl.lit(ALL_SEGMENTS), _segment_expr()))
        .explode("segment")
    )


def _period_end(period_type: pl.Expr, period_start: pl.Expr) -> pl.Expr:
    """The last day of the period (inclusive), so that each row states its bounds."""
    return (
        pl.when(period_type == "month")
        .then(period_start.dt.offset_by("1mo"))
        .otherwise(period_start.dt.offset_by("1q"))
        .dt.offset_by("-1d")
    )


def _previous_period_start(period_type: pl.Expr, period_start: pl.Expr) -> pl.Expr:
    return (
        pl.when(period_type == "month")
        .then(period_start.dt.offset_by("-1mo"))
        .otherwise(period_start.dt.offset_by("-1q"))
    )


def _period_grid(starts: list[dt.date], segments: list[str]) -> pl.DataFrame:
    """Every period of each type from the earliest to the latest date given, × every segment."""
    schema = {"period_type": pl.String, "period_start": pl.Date, "segment": pl.String}
    if not starts:
        return pl.DataFrame(schema=schema)
    first, last = min(starts), max(starts)
    rows = []
    for period_type, every in _TRUNCATE_EVERY.items():
        bounds = pl.select(
            pl.lit(first).dt.truncate(every).alias("first"),
            pl.lit(last).dt.truncate(every).alias("last"),
        ).row(0)
        periods = pl.date_range(bounds[0], bounds[1], every, eager=True)
        rows.append(
            pl.DataFrame({"period_start": periods}).with_columns(period_type=pl.lit(period_type))
        )
    grid = pl.concat(rows).join(pl.DataFrame({"segment": segments}), how="cross")
    return grid.select(schema.keys()).cast(schema)


# --------------------------------------------------------------------------- public functions


def categorise_score(score: str | pl.Expr = "score") -> pl.Expr:
    """Promoter (9–10), passive (7–8) or detractor (0–6)."""
    value = pl.col(score) if isinstance(score, str) else score
    return (
        pl.when(value >= 9)
        .then(pl.lit("promoter"))
        .when(value >= 7)
        .then(pl.lit("passive"))
        .otherwise(pl.lit("detractor"))
    )


def nps_responses(responses: pl.DataFrame) -> pl.DataFrame:
    """Clean responses for the `nps_responses` mart: category, period keys, comment redacted.

    Adds category, month_start and quarter_start (dates, UTC); a `comment` column, when present,
    has every e-mail address replaced by `[email]`.
    """
    prepared = _prepare_responses(responses, as_of=None)
    result = prepared.with_columns(
        segment=_segment_expr(),
        category=categorise_score(),
        month_start=pl.col("submitted_at").dt.truncate("1mo").cast(pl.Date),
        quarter_start=pl.col("submitted_at").dt.truncate("1q").cast(pl.Date),
    )
    if "comment" in result.columns:
        result = result.with_columns(comment=redact_emails_expr("comment"))
    return result.sort("submitted_at", "response_id")


NPS_SUMMARY_COLUMNS = (
    "period_type",
    "period_start",
    "period_end",
    "segment",
    "sends",
    "responded_sends",
    "response_rate",
    "response_rate_ci_low",
    "response_rate_ci_high",
    "response_rate_reason",
    "responses",
    "promoters",
    "passives",
    "detractors",
    "promoter_share",
    "promoter_share_ci_low",
    "promoter_share_ci_high",
    "passive_share",
    "passive_share_ci_low",
    "passive_share_ci_high",
    "detractor_share",
    "detractor_share_ci_low",
    "detractor_share_ci_high",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
    "reportable",
    "reason",
    "small_sample_warning",
    "previous_period_start",
    "previous_nps",
    "nps_change",
    "change_p_value",
    "change_significant",
    "change_reason",
    "config_version",
)


def summarise_nps(
    responses: pl.DataFrame,
    sends: pl.DataFrame,
    config: NpsConfig,
    as_of: dt.date | None = None,
) -> pl.DataFrame:
    """The `nps_summary` table: one row per period_type × period_start × segment.

    Periods run from the first to the last period with a send or response (to the period holding
    `as_of` when given, and then only data timestamped up to the end of `as_of` is used). Segments
    are `all` plus every segment seen.

    Columns:
    - period_type (`month`|`quarter`), period_start, period_end (inclusive dates), segment
    - sends: surveys sent in the period; responded_sends: those of them with a response (whenever
      it came); response_rate = responded_sends / sends with Wilson response_rate_ci_low/high,
      published only when sends ≥ min_sends_for_response_rate, else NULL with
      response_rate_reason `no_sends` or `insufficient_sends` (rule 10)
    - responses: responses submitted in the period (the NPS sample n); promoters, passives,
      detractors; promoter_share, passive_share, detractor_share with Wilson _ci_low/_ci_high
    - nps = 100·(P − D)/n unrounded, nps_ci_low/high the adjusted-Wald interval (clipped to ±100)
    - reportable: responses ≥ min_responses; otherwise reason `insufficient_sample` and nps, its
      interval and the shares are NULL (rule 9: the shares would give the NPS away)
    - small_sample_warning: reportable but below the configured warning count for its period type
    - previous_period_start; previous_nps (the preceding period of the same type and segment, NULL
      unless it was reportable); nps_change = nps − previous_nps in points; change_p_value and
      change_significant from the two-period z-test on the adjusted NPS (p < 1 − confidence);
      change_reason (`insufficient_sample`, `previous_insufficient_sample`,
      `no_previous_period`) when they are NULL
    - config_version
    """
    responses = _prepare_responses(responses, as_of).with_columns(segment=_segment_expr())
    sends = _prepare_sends(sends, as_of).with_columns(segment=_segment_expr())
    _check_segments(responses, sends)
    summary = _with_change(
        _with_statistics(_period_counts(responses, sends, as_of), config), config
    )
    return summary.select(NPS_SUMMARY_COLUMNS).sort(
        "period_type", "period_start", pl.col("segment") != ALL_SEGMENTS, "segment"
    )


def _period_counts(
    responses: pl.DataFrame, sends: pl.DataFrame, as_of: dt.date | None
) -> pl.DataFrame:
    """Sends, responded sends, responses and their categories for every period and segment of the
    grid from the first data (or `as_of`) to the last; true zeros where nothing happened."""
    responded = responses.select("send_id").drop_nulls().unique().with_columns(responded=True)
    send_counts = (
        _in_periods_and_segments(
            sends.join(responded, on="send_id", how="left").with_columns(
                pl.col("responded").fill_null(False)
            ),
            "sent_at",
        )
        .group_by("period_type", "period_start", "segment")
        .agg(sends=pl.len(), responded_sends=pl.col("responded").sum())
    )
    category = categorise_score()
    response_counts = (
        _in_periods_and_segments(responses, "submitted_at")
        .group_by("period_type", "period_start", "segment")
        .agg(
            responses=pl.len(),
            promoters=(category == "promoter").sum(),
            passives=(category == "passive").sum(),
            detractors=(category == "detractor").sum(),
        )
    )

    starts = (
        responses["submitted_at"].dt.date().to_list()
        + sends["sent_at"].dt.date().to_list()
        + ([as_of] if as_of is not None else [])
    )
    segments = sorted(set(responses["segment"].to_list()) | set(sends["segment"].to_list()))
    grid = _period_grid(starts, [ALL_SEGMENTS, *segments])
    keys = ["period_type", "period_start", "segment"]
    counts = ["sends", "responded_sends", "responses", "promoters", "passives", "detractors"]
    return (
        grid.join(send_counts, on=keys, how="left")
        .join(response_counts, on=keys, how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts)
    )


def _with_statistics(summary: pl.DataFrame, config: NpsConfig) -> pl.DataFrame:
    """The period counts with response rate, shares, NPS and their intervals where publishable,
    the reasons where not, and the adjusted NPS the change test reads."""
    z = config.z
    reportable = pl.col("responses") >= config.min_responses
    rate_published = pl.col("sends") >= config.min_sends_for_response_rate
    rate_low, rate_high = stats.wilson_interval_exprs("responded_sends", "sends", z)
    nps_low, nps_high = stats.nps_interval_exprs("promoters", "detractors", "responses", z)
    nps_adj, nps_var = stats.adjusted_nps_exprs("promoters", "detractors", "responses")
    share_columns = []
    for count, share in (
        ("promoters", "promoter_share"),
        ("passives", "passive_share"),
        ("detractors", "detractor_share"),
    ):
        low, high = stats.wilson_interval_exprs(count, "responses", z)
        share_columns += [
            pl.when(reportable).then(pl.col(count) / pl.col("responses")).alias(share),
            pl.when(reportable).then(low).alias(f"{share}_ci_low"),
            pl.when(reportable).then(high).alias(f"{share}_ci_high"),
        ]
    warn_below = (
        pl.when(pl.col("period_type") == "month")
        .then(config.warn_below_responses_month)
        .otherwise(config.warn_below_responses_quarter)
    )
    return summary.with_columns(
        *share_columns,
        period_end=_period_end(pl.col("period_type"), pl.col("period_start")),
        response_rate=pl.when(rate_published).then(pl.col("responded_sends") / pl.col("sends")),
        response_rate_ci_low=pl.when(rate_published).then(rate_low),
        response_rate_ci_high=pl.when(rate_published).then(rate_high),
        response_rate_reason=pl.when(pl.col("sends") == 0)
        .then(pl.lit("no_sends"))
        .when(~rate_published)
        .then(pl.lit("insufficient_sends")),
        nps=pl.when(reportable).then(stats.nps_expr("promoters", "detractors", "responses")),
        nps_ci_low=pl.when(reportable).then(nps_low),
        nps_ci_high=pl.when(reportable).then(nps_high),
        reportable=reportable,
        reason=pl.when(~reportable).then(pl.lit("insufficient_sample")),
        small_sample_warning=reportable & (pl.col("responses") < warn_below),
        _nps_adj=pl.when(reportable).then(nps_adj),
        _nps_var=pl.when(reportable).then(nps_var),
        previous_period_start=_previous_period_start(pl.col("period_type"), pl.col("period_start")),
    )


def _with_change(summary: pl.DataFrame, config: NpsConfig) -> pl.DataFrame:
    """The statistics with the previous period's NPS, the change and its significance test."""
    previous = summary.select(
        "period_type",
        "segment",
        pl.col("period_start").alias("previous_period_start"),
        pl.lit(True).alias("_previous_exists"),
        pl.col("nps").alias("previous_nps"),
        pl.col("_nps_adj").alias("_previous_nps_adj"),
        pl.col("_nps_var").alias("_previous_nps_var"),
    )
    _, p_value, significant = stats.nps_change_exprs(
        "_previous_nps_adj", "_previous_nps_var", "_nps_adj", "_nps_var", config.alpha
    )
    return summary.join(
        previous, on=["period_type", "segment", "previous_period_start"], how="left"
    ).with_columns(
        nps_change=pl.col("nps") - pl.col("previous_nps"),
        change_p_value=p_value,
        change_significant=significant,
        change_reason=pl.when(~pl.col("reportable"))
        .then(pl.lit("insufficient_sample"))
        .when(pl.col("_previous_exists").is_null())
        .then(pl.lit("no_previous_period"))
        .when(pl.col("previous_nps").is_null())
        .then(pl.lit("previous_insufficient_sample")),
        config_version=pl.lit(config.version),
    )


def nps_trend(summary: pl.DataFrame, months: int = 6) -> pl.DataFrame:
    """The last `months` monthly all-segment rows of an `nps_summary` frame, oldest first."""
    return (
        summary.filter((pl.col("period_type") == "month") & (pl.col("segment") == ALL_SEGMENTS))
        .sort("period_start")
        .tail(months)
    )


def survey_fatigue_violations(sends: pl.DataFrame, fatigue_days: int = 90) -> pl.DataFrame:
    """Sends that reached an account or a person less than `fatigue_days` after the previous one.

    The gap is measured between timestamps: a send 89 days 23 hours after the previous one to the
    same account is a violation, one exactly 90 days after is not. Consecutive pairs are listed
    (three sends within 90 days give two rows). Columns: level (`account`|`user`), subject_id,
    send_id, sent_at, previous_send_id, previous_sent_at, days_since_previous (float days).
    """
    prepared = _prepare_sends(sends, as_of=None)
    window = dt.timedelta(days=fatigue_days)
    levels = []
    for level, subject in (("account", "account_id"), ("user", "user_id")):
        pairs = (
            prepared.filter(pl.col(subject).is_not_null())
            .sort(subject, "sent_at", "send_id")
            .with_columns(
                previous_send_id=pl.col("send_id").shift(1).over(subject),
                previous_sent_at=pl.col("sent_at").shift(1).over(subject),
            )
            .filter(pl.col("sent_at") - pl.col("previous_sent_at") < window)
            .select(
                pl.lit(level).alias("level"),
                pl.col(subject).cast(pl.String).alias("subject_id"),
                "send_id",
                "sent_at",
                "previous_send_id",
                "previous_sent_at",
                (
                    (pl.col("sent_at") - pl.col("previous_sent_at")).dt.total_seconds(
                        fractional=True
                    )
                    / 86_400
                ).alias("days_since_previous"),
            )
        )
        levels.append(pairs)
    return pl.concat(levels).sort("level", "subject_id", "sent_at")


def detractor_follow_up(
    responses: pl.DataFrame, follow_up_hours: int = 72, as_of: dt.date | None = None
) -> pl.DataFrame:
    """Share of detractors followed up within `follow_up_hours`, per period type × period × segment.

    A detractor counts as followed up when 0 ≤ followed_up_at − submitted_at ≤ follow_up_hours
    (exactly 72 hours is in time). With `as_of`, detractors whose window is still open at the end
    of that day are left out of both numerator and denominator (`pending`), so that the rate does
    not fall for follow-ups that may still happen; without it every window counts as closed.
    Columns: period_type, period_start, segment, detractors, pending, followed_up_in_time,
    eligible, follow_up_rate with Wilson follow_up_rate_ci_low/high, reason (`no_detractors`,
    `follow_up_window_open`) when the rate is NULL.
    """
    prepared = _prepare_responses(responses, as_of).with_columns(segment=_segment_expr())
    window = dt.timedelta(hours=follow_up_hours)
    deadline = pl.col("submitted_at") + window
    lag = pl.col("followed_up_at") - pl.col("submitted_at")
    in_time = lag.is_not_null() & (lag >= dt.timedelta(0)) & (lag <= window)
    window_open = deadline >= _end_of_day(as_of) if as_of is not None else pl.lit(False)
    is_detractor = categorise_score() == "detractor"
    low, high = stats.wilson_interval_exprs("followed_up_in_time", "eligible")
    return (
        _in_periods_and_segments(prepared, "submitted_at")
        .group_by("period_type", "period_start", "segment")
        .agg(
            detractors=is_detractor.sum().cast(pl.Int64),
            pending=(is_detractor & window_open).sum().cast(pl.Int64),
            followed_up_in_time=(is_detractor & ~window_open & in_time).sum().cast(pl.Int64),
        )
        .with_columns(eligible=pl.col("detractors") - pl.col("pending"))
        .with_columns(
            follow_up_rate=pl.when(pl.col("eligible") > 0).then(
                pl.col("followed_up_in_time") / pl.col("eligible")
            ),
            follow_up_rate_ci_low=low,
            follow_up_rate_ci_high=high,
            reason=pl.when(pl.col("detractors") == 0)
            .then(pl.lit("no_detractors"))
            .when(pl.col("eligible") == 0)
            .then(pl.lit("follow_up_window_open")),
        )
        .sort("period_type", "period_start", pl.col("segment") != ALL_SEGMENTS, "segment")
    )


# --------------------------------------------------------------------------- tables of a run


def nps_tables(
    responses: pl.DataFrame, sends: pl.DataFrame, config: NpsConfig, as_of: dt.date
) -> dict[str, pl.DataFrame]:
    """Every NPS table of schema `transforms` (nps_summary, nps_responses, nps_survey_fatigue,
    nps_detractor_follow_up) from staged responses and sends as of a date."""
    # With no survey data at all the source is absent: no period gets a row, rather than rows of
    # zero responses that would claim nobody answered.
    has_data = responses.height > 0 or sends.height > 0
    summary = summarise_nps(responses, sends, config, as_of if has_data else None)
    return {
        "nps_summary": summary,
        "nps_responses": nps_responses(responses).filter(
            pl.col("submitted_at") < dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
        ),
        "nps_survey_fatigue": survey_fatigue_violations(sends, config.fatigue_days),
        "nps_detractor_follow_up": detractor_follow_up(responses, config.follow_up_hours, as_of),
    }
