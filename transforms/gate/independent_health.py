"""Rule 12's second path to the health inputs: a sample of accounts' daily inputs recomputed in Polars.

It shares no code or SQL with int_account_daily_metrics or the health transforms it checks
(metrics.md §2, §4, §5 are the only common ground), and the test of independence
(tests/transforms/gate/test_independence.py) keeps it so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.gate.dates import end_of_day, valid_on

#: The inputs of int_account_daily_metrics that rule 12 recomputes (metrics.md §2, §4, §5): the
#: fifteen health-score metrics (features_used_30d stands for feature_adoption, which the health
#: transform derives from it and the plan), usage_vs_limit, the churn-signal counts and the
#: lifecycle inputs that are counts or states.
HEALTH_INPUTS = [
    "plan",
    "dau_mau_ratio",
    "features_used_30d",
    "conversations_per_week",
    "days_since_last_login",
    "logins_per_week",
    "features_used_this_month",
    "open_tickets",
    "avg_csat",
    "escalations",
    "nps_score",
    "meetings_attended",
    "responses_to_outreach",
    "payment_health",
    "growth_potential",
    "contract_length",
    "usage_vs_limit",
    "usage_30d",
    "usage_prev_30d",
    "failed_payments_30d",
    "blocked_feature_attempts_30d",
    "days_without_login",
    "high_urgent_open_tickets",
    "tenure_days",
    "term_months",
    "subscription_state",
]


#: Committed months of a billing interval (contract_length, metrics.md §2).
TERM_MONTHS = {"year": 12.0, "month": 1.0, "week": 12 / 52, "day": 12 / 365}


#: The earliest day a window reaches back (previous_30_days: days 31–60 back).
HEALTH_LOOKBACK_DAYS = {"events": 60, "tickets": 90, "nps": 180, "activities": 90, "charges": 90}


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, NULL where the denominator is 0 (an undefined rate)."""
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))


@dataclass(frozen=True)
class _Window:
    """The day recomputed, the instant it ends (midnight after it) and each account's creation day
    (account_id, created_on): what every "last N days" of the inputs is counted against."""

    day: dt.date
    end: dt.datetime
    created: pl.DataFrame

    def since(self, frame: pl.DataFrame, at: str, days: int, bounded: bool = True) -> pl.DataFrame:
        """Rows of `frame` dated in the last `days` days (from the account's creation)."""
        on = pl.col(at).dt.date()
        kept = frame.filter(
            (pl.col(at) < self.end) & (on >= self.day - dt.timedelta(days=days - 1))
        ).join(self.created, on="account_id")
        return kept.filter(on >= pl.col("created_on")) if bounded else kept


def _counts(frame: pl.DataFrame, **named: pl.Expr) -> pl.DataFrame:
    """Per account, how many rows meet each named condition."""
    return frame.group_by("account_id").agg(
        **{name: expr.sum().cast(pl.Int64) for name, expr in named.items()}
    )


def _usage(events: pl.DataFrame, window: _Window) -> list[pl.DataFrame]:
    """Product usage and engagement per account: event counts of the windows, active user-days,
    monthly active users, features used and the last login."""
    day, end = window.day, window.end
    kind = pl.col("event_type")
    on = pl.col("occurred_at").dt.date()
    usage = _counts(
        window.since(events, "occurred_at", 60),
        logins_28d=(kind == "login") & (on >= day - dt.timedelta(days=27)),
        conversations_28d=(kind == "conversation_handled") & (on >= day - dt.timedelta(days=27)),
        conversations_30d=(kind == "conversation_handled") & (on >= day - dt.timedelta(days=29)),
        conversations_prev_30d=(kind == "conversation_handled")
        & (on <= day - dt.timedelta(days=30)),
        blocked_30d=(kind == "blocked_feature_attempt") & (on >= day - dt.timedelta(days=29)),
    )
    active_user_days = (
        window.since(events, "occurred_at", 30)
        .filter(pl.col("user_id").is_not_null())
        .group_by("account_id", on.alias("on"))
        .agg(users=pl.col("user_id").n_unique())
        .group_by("account_id")
        .agg(active_user_days=pl.col("users").sum())
    )
    last_30 = window.since(events, "occurred_at", 30, bounded=False)
    monthly_users = (
        last_30.filter(pl.col("user_id").is_not_null())
        .group_by("account_id")
        .agg(monthly_active_users=pl.col("user_id").n_unique())
    )
    features = (
        last_30.filter((kind == "feature_used") & pl.col("feature_key").is_not_null())
        .group_by("account_id")
        .agg(features=pl.col("feature_key").unique().sort())
    )
    last_login = (
        events.filter((kind == "login") & (pl.col("occurred_at") < end))
        .join(window.created, on="account_id")
        .filter(on >= pl.col("created_on"))
        .group_by("account_id")
        .agg(last_login_on=on.max())
    )
    return [usage, active_user_days, monthly_users, features, last_login]


def _support(
    organizations: pl.DataFrame, tickets: pl.DataFrame, ratings: pl.DataFrame, window: _Window
) -> list[pl.DataFrame]:
    """The helpdesk per account (through its organisations): open and high/urgent open tickets,
    escalations and CSAT of 90 days, and whether an organisation maps to it at all."""
    end = window.end
    mapped = organizations.filter(pl.col("account_id").is_not_null()).select(
        "organization_id", "account_id"
    )
    account_tickets = tickets.join(mapped, on="organization_id")
    is_open = (pl.col("created_at") < end) & (
        pl.col("solved_at").is_null() | (pl.col("solved_at") >= end)
    )
    high = pl.col("priority").is_in(["high", "urgent"])
    open_tickets = _counts(
        account_tickets, open_tickets=is_open, high_urgent_open_tickets=is_open & high
    )
    escalations = _counts(
        window.since(account_tickets, "created_at", 90),
        escalations=pl.col("is_escalated").fill_null(False),
    )
    rated = (
        ratings.filter(pl.col("rating").is_between(1, 5))
        .join(
            tickets.select("ticket_id", ticket_organization_id="organization_id"),
            on="ticket_id",
        )
        .with_columns(organization_id=pl.coalesce("organization_id", "ticket_organization_id"))
        .join(mapped, on="organization_id")
    )
    csat = (
        window.since(rated, "created_at", 90)
        .group_by("account_id")
        .agg(avg_csat=pl.col("rating").cast(pl.Float64).mean())
    )
    has_organization = mapped.group_by("account_id").agg(has_organization=pl.lit(True))
    return [open_tickets, escalations, csat, has_organization]


def _relationship(
    nps_responses: pl.DataFrame, cs_activities: pl.DataFrame, window: _Window
) -> list[pl.DataFrame]:
    """The relationship per account: its latest NPS score of 180 days, and the meetings and
    outreach of 90 days."""
    nps = (
        window.since(
            nps_responses.filter(
                pl.col("account_id").is_not_null() & pl.col("score").is_not_null()
            ),
            "submitted_at",
            180,
        )
        .sort("submitted_at", "score", descending=True)
        .group_by("account_id")
        .agg(nps_score=pl.col("score").first().cast(pl.Float64))
    )
    activity = pl.col("activity_type")
    activities = _counts(
        window.since(cs_activities.filter(pl.col("account_id").is_not_null()), "occurred_at", 90),
        attended=activity == "meeting_attended",
        no_show=activity == "meeting_no_show",
        sent=activity == "outreach_sent",
        answered=activity == "outreach_answered",
    )
    return [nps, activities]


def _payments(
    base: pl.DataFrame, stripe_customers: pl.DataFrame, charges: pl.DataFrame, window: _Window
) -> list[pl.DataFrame]:
    """Payments per account whose Stripe customer Stripe knows: charges succeeded and failed in
    90 days, failed in 30, and the accounts so known (`is_known`)."""
    day = window.day
    known = base.select("account_id", customer_id="stripe_customer_id").join(
        stripe_customers.select("customer_id").unique(), on="customer_id"
    )
    account_charges = charges.join(known, on="customer_id")
    payments = _counts(
        window.since(account_charges, "created_at", 90),
        succeeded=pl.col("status") == "succeeded",
        failed=pl.col("status") == "failed",
        failed_30d=(pl.col("status") == "failed")
        & (pl.col("created_at").dt.date() >= day - dt.timedelta(days=29)),
    )
    return [payments, known.select("account_id", is_known=pl.lit(True))]


def _contract_terms(
    base: pl.DataFrame,
    subscriptions: pl.DataFrame,
    items: pl.DataFrame,
    day: dt.date,
    first_stripe_drop: dt.date | None,
) -> pl.DataFrame:
    """Per account, the longest committed billing interval of its live subscriptions on the day
    (contract_length) and the best of their statuses (subscription_state)."""
    first_versions = subscriptions.sort("valid_from_drop").group_by("subscription_id").first()
    valued_at = end_of_day(day)
    if first_stripe_drop is not None and day < first_stripe_drop:
        # Before the first drop the subscription's own dates give its state, and the items the
        # first drop brought give the billing interval (no earlier state of them is known).
        states = first_versions.select(
            "subscription_id",
            status=pl.when(pl.col("status").is_in(["incomplete", "incomplete_expired"]))
            .then(None)
            .when(pl.col("started_at") > valued_at)
            .then(None)
            .when(pl.col("ended_at") <= valued_at)
            .then(pl.lit("canceled"))
            .when(pl.col("trial_end_at") > valued_at)
            .then(pl.lit("trialing"))
            .otherwise(pl.lit("active")),
        )
        item_terms = items.filter(pl.col("valid_from_drop") == first_stripe_drop)
    else:
        states = valid_on(subscriptions, day).select("subscription_id", "status")
        item_terms = valid_on(items, day)
    live = (
        first_versions.filter(pl.col("created_at").dt.date() <= day)
        .select("subscription_id", customer_id="customer_id")
        .join(states, on="subscription_id")
        .filter(pl.col("status").is_in(["active", "past_due", "trialing"]))
        .join(
            base.select("account_id", customer_id="stripe_customer_id"),
            on="customer_id",
        )
    )
    return (
        live.join(
            item_terms.select(
                "subscription_id",
                term=pl.col("recurring_interval").replace_strict(
                    TERM_MONTHS, default=None, return_dtype=pl.Float64
                )
                * pl.col("recurring_interval_count").cast(pl.Float64),
            ),
            on="subscription_id",
            how="left",
        )
        .group_by("account_id")
        .agg(
            contract_length=pl.col("term").max(),
            subscription_state=pl.when((pl.col("status") == "active").any())
            .then(pl.lit("active"))
            .when((pl.col("status") == "past_due").any())
            .then(pl.lit("past_due"))
            .otherwise(pl.lit("trialing")),
        )
    )


def _with_zeros(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """The counts of a covered account with no activity as 0, and the figures the inputs derive
    from them: days since the last login (or the account's creation), days of the 30 the account
    existed, the plan's conversation limit."""
    zero = [
        "logins_28d",
        "conversations_28d",
        "conversations_30d",
        "conversations_prev_30d",
        "blocked_30d",
        "active_user_days",
        "monthly_active_users",
        "open_tickets",
        "high_urgent_open_tickets",
        "escalations",
        "attended",
        "no_show",
        "sent",
        "answered",
        "succeeded",
        "failed",
        "failed_30d",
    ]
    return frame.with_columns(pl.col(zero).fill_null(0)).with_columns(
        days_since_login=(pl.lit(day) - pl.coalesce("last_login_on", "created_on")).dt.total_days(),
        days_in_window=pl.min_horizontal(
            pl.lit(30), (pl.lit(day) - pl.col("created_on")).dt.total_days() + 1
        ),
        limit=pl.col("plan_conversation_limit").cast(pl.Float64),
    )


def _inputs(
    frame: pl.DataFrame, day: dt.date, app_db: bool, stripe: bool, ticketing: bool
) -> pl.DataFrame:
    """The HEALTH_INPUTS from the assembled counts, NULL where their source does not cover the
    account (`app_db`, `stripe`, `ticketing`: whether the source covers the day)."""
    app = pl.lit(app_db)
    support = pl.lit(ticketing) & pl.col("has_organization").fill_null(False)
    paid = pl.lit(stripe) & pl.col("is_known").fill_null(False)
    f64 = pl.Float64
    return frame.select(
        "account_id",
        "plan",
        dau_mau_ratio=pl.when(app).then(
            # no monthly active user: no denominator, undefined
            pl.when(pl.col("monthly_active_users") > 0).then(
                pl.min_horizontal(
                    1.0,
                    pl.col("active_user_days").cast(f64)
                    / pl.col("days_in_window").cast(f64)
                    / pl.col("monthly_active_users").cast(f64),
                )
            )
        ),
        features_used_30d=pl.when(app).then(
            pl.col("features").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        ),
        conversations_per_week=pl.when(app).then(pl.col("conversations_28d") / 4.0),
        days_since_last_login=pl.when(app).then(pl.col("days_since_login").cast(f64)),
        logins_per_week=pl.when(app).then(pl.col("logins_28d") / 4.0),
        features_used_this_month=pl.when(app).then(
            pl.col("features").list.len().fill_null(0).cast(f64)
        ),
        open_tickets=pl.when(support).then(pl.col("open_tickets").cast(f64)),
        avg_csat=pl.when(support).then("avg_csat"),
        escalations=pl.when(support).then(pl.col("escalations").cast(f64)),
        nps_score=pl.when(app).then("nps_score"),
        meetings_attended=pl.when(app).then(
            _ratio(pl.col("attended"), pl.col("attended") + pl.col("no_show"))
        ),
        responses_to_outreach=pl.when(app & (pl.col("sent") > 0)).then(
            pl.min_horizontal(1.0, _ratio(pl.col("answered"), pl.col("sent")))
        ),
        payment_health=pl.when(paid).then(
            _ratio(pl.col("succeeded"), pl.col("succeeded") + pl.col("failed"))
        ),
        growth_potential=pl.when(app & (pl.col("limit") > 0)).then(
            pl.min_horizontal(1.0, pl.col("conversations_30d").cast(f64) / pl.col("limit"))
        ),
        contract_length=pl.when(paid).then("contract_length"),
        usage_vs_limit=pl.when(app).then(_ratio(pl.col("conversations_30d"), pl.col("limit"))),
        usage_30d=pl.when(app).then(pl.col("conversations_30d").cast(f64)),
        # The 30 days before those: NULL for an account that did not exist on any of them.
        usage_prev_30d=pl.when(app & (pl.col("created_on") <= day - dt.timedelta(days=30))).then(
            pl.col("conversations_prev_30d").cast(f64)
        ),
        failed_payments_30d=pl.when(paid).then(pl.col("failed_30d").cast(f64)),
        blocked_feature_attempts_30d=pl.when(app).then(pl.col("blocked_30d").cast(f64)),
        days_without_login=pl.when(app).then(pl.col("days_since_login").cast(f64)),
        high_urgent_open_tickets=pl.when(support).then(
            pl.col("high_urgent_open_tickets").cast(f64)
        ),
        tenure_days=(pl.lit(day) - pl.col("created_on")).dt.total_days().cast(f64),
        term_months=pl.when(paid).then(pl.col("contract_length").ceil()),
        subscription_state=pl.when(paid)
        .then(pl.col("subscription_state").fill_null("none"))
        .otherwise(pl.lit("none")),
    )


def independent_health_inputs(
    day: dt.date,
    accounts: pl.DataFrame,
    organizations: pl.DataFrame,
    tickets: pl.DataFrame,
    ratings: pl.DataFrame,
    events: pl.DataFrame,
    nps_responses: pl.DataFrame,
    cs_activities: pl.DataFrame,
    stripe_customers: pl.DataFrame,
    charges: pl.DataFrame,
    subscriptions: pl.DataFrame,
    items: pl.DataFrame,
    covered_through: dict[str, dt.date | None],
) -> pl.DataFrame:
    """Rule 12 (health inputs): the HEALTH_INPUTS of `accounts` at the end of `day`, recomputed from
    staging in Polars (metrics.md §2, §4, §5), sharing no SQL with dbt.

    A window of N days is the calendar days day−N+1 … day from the account's creation on (activity
    dated before the account existed is not the account's); "distinct users / features in the last
    30 days" count any event of those days. Coverage: a source covers the days up to its newest
    delivered drop, whatever it held (`covered_through`: app_db, stripe, ticketing; None: never
    delivered). An input whose
    source does not cover the account is NULL — the application database's inputs when `day` is
    after its newest drop; the helpdesk's when no organisation maps to the account or `day` is
    after its newest drop; payments when the account's Stripe customer is unknown to Stripe or
    `day` is after Stripe's newest drop — and a covered account with no activity gets 0 (days since
    the last login then count from the account's creation). Rates with no denominator are NULL, and
    so is usage_prev_30d (days 31–60 back) for an account created after all of those days.
    contract_length is the longest billing interval (in committed months) of the items valid on the
    day of the customer's subscriptions (created by then) whose version valid then is live
    (active, past_due, trialing), NULL like the payments when Stripe does not cover the day;
    subscription_state the best of those statuses, `none` without a Stripe customer known and
    covered. Before the first Stripe drop (`stripe_first_drop`) a
    subscription's state comes from its first version's dates (started, trial over, ended; never
    started: incomplete) and the interval from the items of the first drop.

    Frames (only the rows of the accounts checked are needed, and of the windows above):
    `accounts`: account_id, created_at, stripe_customer_id, plan, plan_conversation_limit;
    `organizations`: organization_id, account_id; `tickets`: ticket_id, organization_id,
    created_at, solved_at, priority, is_escalated; `ratings`: ticket_id, organization_id, rating,
    created_at; `events`: account_id, user_id, feature_key, event_type, occurred_at;
    `nps_responses`: account_id, score, submitted_at; `cs_activities`: account_id, activity_type,
    occurred_at; `stripe_customers`: customer_id; `charges`: customer_id, status, created_at;
    `subscriptions`: subscription_id, customer_id, status, created_at, started_at, ended_at,
    trial_end_at, valid_from_drop, valid_to_drop; `items`: subscription_id, recurring_interval, recurring_interval_count,
    valid_from_drop, valid_to_drop (versions).
    """
    first_stripe_drop = covered_through.get("stripe_first_drop")

    def covers(source: str) -> bool:
        through = covered_through.get(source)
        return through is not None and day <= through

    base = accounts.select(
        "account_id",
        "stripe_customer_id",
        "plan",
        "plan_conversation_limit",
        created_on=pl.col("created_at").dt.date(),
    )
    window = _Window(
        day,
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time()),
        base.select("account_id", "created_on"),
    )
    frame = base
    for part in (
        *_usage(events, window),
        *_support(organizations, tickets, ratings, window),
        *_relationship(nps_responses, cs_activities, window),
        *_payments(base, stripe_customers, charges, window),
        _contract_terms(base, subscriptions, items, day, first_stripe_drop),
    ):
        frame = frame.join(part, on="account_id", how="left")
    return _inputs(
        _with_zeros(frame, day), day, covers("app_db"), covers("stripe"), covers("ticketing")
    )
