"""Frame contracts of the customer-health transforms (transforms/health.py, churn_signals.py,
lifecycle.py, engagement.py, expansion.py, onboarding.py): their inputs, which dbt's
`int_account_daily_metrics` and friends must produce, and their outputs.

Conventions (metrics.md): NULL means the source does not cover the account and date; 0 is a
measured zero. Nullable columns say so; ranges reject impossible values, and floats reject NaN
because NaN is neither a value nor a declared absence.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

GRADES = ["A", "B", "C", "D", "F"]
SEVERITIES = ["low", "medium", "high", "critical"]
STAGES = [
    "trial",
    "onboarding",
    "adopting",
    "growing",
    "renewing",
    "expanding",
    "advocating",
    "at_risk",
    "churned",
]
SUBSCRIPTION_STATES = ["active", "past_due", "trialing", "none"]


def _share(**kwargs) -> object:
    """A nullable ratio in [0, 1]."""
    return pa.Field(nullable=True, ge=0, le=1, **kwargs)


def _count(**kwargs) -> object:
    """A nullable non-negative quantity."""
    return pa.Field(nullable=True, ge=0, **kwargs)


def _score(**kwargs) -> object:
    """A nullable 0–100 score."""
    return pa.Field(nullable=True, ge=0, le=100, **kwargs)


class _Frame(pa.DataFrameModel):
    """Base of every contract here: no NaN in any float column (NULL is the missing marker)."""

    @pa.dataframe_check(name="no_nan", error="NaN is not allowed; use NULL for missing")
    @classmethod
    def no_nan(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ~pl.any_horizontal(pl.col(pl.Float32, pl.Float64).is_nan().fill_null(False))
        )

    class Config:
        strict = False


class _Daily(_Frame):
    account_id: str = pa.Field(nullable=False)
    as_of_date: pl.Date = pa.Field(nullable=False)

    class Config:
        strict = False
        unique = ["account_id", "as_of_date"]


# --------------------------------------------------------------------------- health (§2)


class HealthMetricsInput(_Daily):
    """Input of `score_health`: every health metric of §2 per account and day (dbt
    `int_account_daily_metrics`). Windows as in metrics.md §2; NULL where not covered."""

    dau_mau_ratio: pl.Float64 = _share()
    feature_adoption: pl.Float64 = _share()
    conversations_per_week: pl.Float64 = _count()
    days_since_last_login: pl.Float64 = _count()
    logins_per_week: pl.Float64 = _count()
    features_used_this_month: pl.Float64 = _count()
    open_tickets: pl.Float64 = _count()
    avg_csat: pl.Float64 = pa.Field(nullable=True, ge=1, le=5)
    escalations: pl.Float64 = _count()
    nps_score: pl.Float64 = pa.Field(nullable=True, ge=0, le=10)
    meetings_attended: pl.Float64 = _share()
    responses_to_outreach: pl.Float64 = _share()
    payment_health: pl.Float64 = _share()
    growth_potential: pl.Float64 = _share()
    contract_length: pl.Float64 = _count()
    # Uncapped conversations / plan limit (growth_potential is this capped at 1).
    usage_vs_limit: pl.Float64 = _count()


class HealthScoresOutput(_Daily):
    """Output of `score_health` (and, with the trend columns, of `add_trends`)."""

    score: pl.Float64 = _score()
    score_display: pl.Int32 = pa.Field(nullable=True, ge=0, le=100)
    grade: str = pa.Field(nullable=True, isin=GRADES)
    coverage: pl.Float64 = pa.Field(nullable=False, ge=0, le=1 + 1e-9)
    reason: str = pa.Field(nullable=True, isin=["insufficient_data"])
    product_usage_score: pl.Float64 = _score()
    engagement_score: pl.Float64 = _score()
    support_score: pl.Float64 = _score()
    relationship_score: pl.Float64 = _score()
    financial_score: pl.Float64 = _score()
    risk_factors: pl.List(pl.String) = pa.Field(nullable=False)
    opportunities: pl.List(pl.String) = pa.Field(nullable=False)
    config_version: str = pa.Field(nullable=False)


class AlertEpisodesOutput(_Frame):
    """Output of `alert_episodes`: one row per alert episode (metrics.md §2)."""

    episode_id: str = pa.Field(nullable=False, unique=True)
    account_id: str = pa.Field(nullable=False)
    alert: str = pa.Field(isin=["health_score_drop", "at_risk_grade", "churn_signal"])
    severity: str = pa.Field(isin=SEVERITIES)
    base_severity: str = pa.Field(isin=SEVERITIES)
    opened_on: pl.Date = pa.Field(nullable=False)
    closed_on: pl.Date = pa.Field(nullable=True)
    close_reason: str = pa.Field(nullable=True, isin=["condition_cleared", "left_live_book"])
    latest_on: pl.Date = pa.Field(nullable=False)
    opening_grade: str = pa.Field(nullable=True, isin=GRADES)
    latest_grade: str = pa.Field(nullable=True, isin=GRADES)
    customer_status: str = pa.Field(nullable=True, isin=["paying", "trialing"])
    config_version: str


# --------------------------------------------------------------------------- churn signals (§4)


class ChurnSignalInput(_Daily):
    """Input of `detect_churn_signals`."""

    days_since_last_login: pl.Int64 = _count()
    usage_30d: pl.Float64 = _count()
    usage_prev_30d: pl.Float64 = _count()
    nps_score: pl.Float64 = pa.Field(nullable=True, ge=0, le=10)
    open_tickets: pl.Int64 = _count()
    failed_payments_30d: pl.Int64 = _count()
    cancellation_requested: pl.Boolean = pa.Field(nullable=True)
    competitor_mentions_90d: pl.Int64 = _count()


class ChurnSignalsOutput(_Frame):
    """Output of `detect_churn_signals`: one row per signal that fired."""

    account_id: str
    as_of_date: pl.Date
    signal: str
    severity: str = pa.Field(isin=SEVERITIES)
    observed_value: pl.Float64 = pa.Field(nullable=False)
    operator: str = pa.Field(isin=["<", "<=", ">", ">=", "=="])
    threshold: pl.Float64
    config_version: str

    class Config:
        strict = True
        unique = ["account_id", "as_of_date", "signal"]


# --------------------------------------------------------------------------- lifecycle (§5)


class LifecycleDailyInput(_Daily):
    """Input of `run_lifecycle`: one row per account and day to evaluate."""

    subscription_state: str = pa.Field(nullable=False, isin=SUBSCRIPTION_STATES)
    health_score: pl.Float64 = _score()
    days_without_login: pl.Int64 = _count()
    high_urgent_open_tickets: pl.Int64 = _count()
    nps_score: pl.Float64 = pa.Field(nullable=True, ge=0, le=10)
    onboarding_completion: pl.Float64 = _share()
    tenure_days: pl.Int64 = _count()
    term_months: pl.Int64 = pa.Field(nullable=True, ge=1)
    current_period_end: pl.Date = pa.Field(nullable=True)
    expansion_opportunity: pl.Boolean = pa.Field(nullable=True)
    mrr_rose: pl.Boolean = pa.Field(nullable=True)


class LifecycleState(_Frame):
    """The stage machine's state between runs (`LifecycleRun.final_state`)."""

    account_id: str = pa.Field(unique=True)
    stage: str = pa.Field(isin=STAGES)
    stage_entered_on: pl.Date
    renewal_term_end: pl.Date = pa.Field(nullable=True)


class LifecycleStagesOutput(_Daily):
    """`LifecycleRun.daily_stages`."""

    stage: str = pa.Field(isin=STAGES)
    previous_stage: str = pa.Field(nullable=True, isin=STAGES)
    days_in_stage: pl.Int64 = pa.Field(ge=0)
    config_version: str


class LifecycleTransitionsOutput(_Daily):
    """`LifecycleRun.transitions`: at most one per account and day."""

    from_stage: str = pa.Field(nullable=True, isin=STAGES)
    to_stage: str = pa.Field(isin=STAGES)
    rule: str
    detail: str = pa.Field(nullable=True)
    config_version: str


# --------------------------------------------------------------------------- engagement (§3)


class EngagementMonthlyInput(_Frame):
    """Input of `score_engagement`: one row per account and calendar month."""

    account_id: str
    month: pl.Date
    logins: pl.Int64 = _count()
    active_users: pl.Int64 = _count()
    features_used: pl.Int64 = _count()
    actions: pl.Int64 = _count()
    automation_rate: pl.Float64 = _share()
    csat: pl.Float64 = pa.Field(nullable=True, ge=1, le=5)

    @pa.check("month", name="first_of_month", error="month must be the first day of the month")
    @classmethod
    def first_of_month(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).dt.day() == 1)

    class Config:
        strict = False
        unique = ["account_id", "month"]


class EngagementMonthlyOutput(_Frame):
    """Output of `score_engagement`."""

    account_id: str
    month: pl.Date
    score: pl.Float64 = _score()
    score_display: pl.Int32 = pa.Field(nullable=True, ge=0, le=100)
    level: str = pa.Field(nullable=True, isin=["high", "medium", "low"])
    coverage: pl.Float64 = pa.Field(ge=0, le=1 + 1e-9)
    score_change_pct: pl.Float64 = pa.Field(nullable=True)
    logins_change_pct: pl.Float64 = pa.Field(nullable=True)
    actions_change_pct: pl.Float64 = pa.Field(nullable=True)
    csat_change_pct: pl.Float64 = pa.Field(nullable=True)
    config_version: str

    class Config:
        strict = False
        unique = ["account_id", "month"]


# --------------------------------------------------------------------------- expansion (§9)


class ExpansionInput(_Daily):
    """Input of `score_expansion` and `expansion_opportunities`."""

    csm_id: str = pa.Field(nullable=True)
    plan: str = pa.Field(nullable=True)
    mrr: pl.Float64 = _count()
    seats: pl.Int64 = _count()
    usage_vs_limit: pl.Float64 = _count()
    blocked_feature_attempts: pl.Int64 = _count()
    blocked_features: pl.Int64 = _count()
    seat_growth_90d: pl.Float64 = pa.Field(nullable=True, ge=-1)
    active_user_growth_90d: pl.Float64 = pa.Field(nullable=True, ge=-1)
    success_metrics_exceeded: pl.Boolean = pa.Field(nullable=True)
    engagement_score: pl.Float64 = _score()
    nps_score: pl.Float64 = pa.Field(nullable=True, ge=0, le=10)
    days_to_renewal: pl.Int64 = pa.Field(nullable=True)


class ExpansionOpportunitiesOutput(_Daily):
    """Output of `expansion_opportunities`: one row per opportunity."""

    csm_id: str = pa.Field(nullable=True)
    type: str = pa.Field(isin=["upsell", "add_seats", "add_features"])
    product: str
    estimated_value: pl.Float64 = _count()
    probability: pl.Float64 = pa.Field(ge=0, le=1)
    signals: pl.List(pl.String)
    timing: str
    config_version: str

    class Config:
        strict = False
        unique = ["account_id", "as_of_date", "type"]


class AdvocacyInput(_Frame):
    """Input of `advocacy_candidates`: one row per account, as of one day."""

    account_id: str = pa.Field(unique=True)
    nps_score: pl.Float64 = pa.Field(nullable=True, ge=0, le=10)
    health_score: pl.Float64 = _score()
    advocacy_status: str = pa.Field(nullable=True)
    mrr: pl.Float64 = _count()

    class Config:
        strict = False


# --------------------------------------------------------------------------- onboarding (§8)


class OnboardingAccountInput(_Frame):
    """Accounts input of the onboarding transforms."""

    account_id: str = pa.Field(unique=True)
    segment: str
    onboarding_start: pl.Date

    class Config:
        strict = False


class OnboardingStepInput(_Frame):
    """Completed onboarding steps (repeats allowed: the first completion counts)."""

    account_id: str
    step: str
    completed_on: pl.Date

    class Config:
        strict = False


class OnboardingProgressOutput(_Frame):
    """Output of `onboarding_progress`."""

    account_id: str = pa.Field(unique=True)
    as_of_date: pl.Date
    program: str
    required_steps: pl.Int64 = pa.Field(gt=0)
    required_done: pl.Int64 = pa.Field(ge=0)
    progress: pl.Float64 = pa.Field(ge=0, le=1)
    status: str = pa.Field(isin=["completed", "in_progress"])
    completed_on: pl.Date = pa.Field(nullable=True)
    last_step_on: pl.Date = pa.Field(nullable=True)
    stalled: pl.Boolean
    first_value_on: pl.Date = pa.Field(nullable=True)
    time_to_first_value_days: pl.Int64 = pa.Field(nullable=True)
    window_end: pl.Date
    window_ended: pl.Boolean
    completed_in_window: pl.Boolean
    config_version: str

    class Config:
        strict = False
