"""int_account_daily_metrics on hand-made raw rows, through the real dbt models, then scored by
transforms.health.score_health (feature_adoption finished by transforms.health_inputs).

Raw tables are created from the ingest registry's DDL, the rows below are inserted in the drop of
2026-11-20, and `dbt build --select +int_account_daily_metrics` runs against a DuckDB file of this
module with its own target path. Every expected figure is worked out by hand in the comments.

Accounts (plan starter, conversation limit 1000, created 2026-10-01, a ticketing organisation with
no tickets, no Stripe customer):
- acc_nps and acc_no_nps: the same events (on 2026-11-20: one login, one feature_used live_chat, 40
  conversations handled, all by one user); acc_nps has an NPS response of 8, acc_no_nps none.
- acc_idle: no event at all, while the events source is present and fresh (other accounts' events
  are in the same drop).
- acc_edge: a login at 2026-11-10 23:59:59 (day t = 2026-11-10) and one at t + 1 s,
  2026-11-11 00:00:00; its account row comes in two versions, starter (limit 1000) in the drop of
  2026-11-15 and growth (limit 2000) in the drop of 2026-11-20.
- acc_gone: no activity; seen in the drop of 2026-11-15, deleted at the source on 2026-11-18 12:00
  (its row in the drop of 2026-11-20 carries deleted_at).
- acc_paid: no activity, mapped to Stripe customer cus_paid whose yearly subscription comes in
  Stripe's only drop, 2026-11-15: Stripe covers the days up to 2026-11-15 and is stale after.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from data_contracts.raw_tables import RAW_TABLES
from orchestration.config import load_churn_signals_config, load_health_config
from tests.raw_rows import insert_raw_rows, log_drops_with_rows
from tests.raw_rows import run_dbt as run_dbt_as_of
from transforms.health import score_health
from transforms.health_inputs import with_config_metrics

AS_OF = "2026-11-20"
DROP = dt.date(2026, 11, 20)
LOADED_AT = dt.datetime(2026, 11, 20, 6, 0)
CREATED = dt.datetime(2026, 10, 1, 0, 0)
ACCOUNTS = ("acc_nps", "acc_no_nps", "acc_idle", "acc_edge")
PLAN_DROP = dt.date(2026, 11, 15)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def insert_rows(
    con: duckdb.DuckDBPyConnection, key: str, rows: list[dict[str, Any]], drop: dt.date = DROP
) -> None:
    """Append rows to raw.<key> in the drop of `drop` (AS_OF by default); columns not given are NULL."""
    insert_raw_rows(con, key, rows, loaded_at=LOADED_AT, drop=drop)


def events_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(account: str, event_type: str, at: str, feature: str | None = None) -> None:
        rows.append(
            dict(
                event_id=f"e{len(rows) + 1:04d}",
                account_id=account,
                user_id=f"u_{account}",
                event_type=event_type,
                feature_key=feature,
                occurred_at=ts(at),
            )
        )

    for account in ("acc_nps", "acc_no_nps"):
        add(account, "login", "2026-11-20 09:00:00")
        add(account, "feature_used", "2026-11-20 09:05:00", "live_chat")
        for minute in range(40):
            add(account, "conversation_handled", f"2026-11-20 10:{minute:02d}:00")
    add("acc_edge", "login", "2026-11-10 23:59:59")
    add("acc_edge", "login", "2026-11-11 00:00:00")
    return rows


def build_raw(db_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table in RAW_TABLES.values():
        con.execute(table.ddl())

    def account(account_id: str, plan: str, limit: int) -> dict[str, Any]:
        return dict(
            account_id=account_id,
            name=account_id,
            segment="smb",
            plan=plan,
            plan_conversation_limit=limit,
            csm_id="csm_1",
            created_at=CREATED,
            updated_at=CREATED,
        )

    # acc_edge: first seen on starter in the 2026-11-15 drop, on growth in the 2026-11-20 drop.
    insert_rows(con, "app_db__accounts", [account("acc_edge", "starter", 1000)], PLAN_DROP)
    insert_rows(con, "app_db__accounts", [account("acc_gone", "starter", 1000)], PLAN_DROP)
    insert_rows(
        con,
        "app_db__accounts",
        [account("acc_gone", "starter", 1000) | {"deleted_at": ts("2026-11-18 12:00:00")}],
    )
    insert_rows(
        con,
        "app_db__accounts",
        [account(a, "starter", 1000) for a in ACCOUNTS if a != "acc_edge"]
        + [account("acc_edge", "growth", 2000)]
        + [account("acc_paid", "starter", 1000) | {"stripe_customer_id": "cus_paid"}]
        + [account("acc_churn", "starter", 1000) | {"stripe_customer_id": "cus_churn"}]
        + [account("acc_trial", "starter", 1000) | {"stripe_customer_id": "cus_trial"}]
        + [account("acc_lapsed", "starter", 1000) | {"stripe_customer_id": "cus_lapsed"}],
    )
    insert_stripe_yearly_subscription(con)
    insert_stripe_ended_subscriptions(con)
    insert_stripe_lapsed_subscription(con)
    insert_rows(
        con,
        "app_db__users",
        [
            dict(user_id=f"u_{account}", account_id=account, created_at=CREATED)
            for account in ACCOUNTS
        ],
    )
    insert_rows(con, "app_db__events", events_rows())
    insert_rows(
        con,
        "app_db__nps_responses",
        [
            dict(
                response_id="r1",
                account_id="acc_nps",
                user_id="u_acc_nps",
                score=8,
                submitted_at=ts("2026-11-01 12:00:00"),
            )
        ],
    )
    insert_rows(
        con,
        "ticketing__organizations",
        [
            dict(id=i, name=account, external_id=account, created_at=CREATED)
            for i, account in enumerate(ACCOUNTS, start=1)
        ],
    )
    log_drops_with_rows(con)
    con.close()


def insert_stripe_yearly_subscription(con: duckdb.DuckDBPyConnection) -> None:
    """cus_paid's active yearly subscription (one item, 1 200.00 USD a year), in the drop of
    PLAN_DROP only: Stripe's newest drop is 2026-11-15."""
    created = int(CREATED.replace(tzinfo=dt.UTC).timestamp())
    period_end = int(dt.datetime(2027, 10, 1, tzinfo=dt.UTC).timestamp())
    insert_rows(con, "stripe__customers", [dict(id="cus_paid", created=created)], PLAN_DROP)
    subscriptions_file = f"{RAW_TABLES['stripe__subscriptions'].file_stem}.jsonl"
    insert_rows(
        con,
        "stripe__subscriptions",
        [
            dict(
                id="sub_paid",
                customer="cus_paid",
                status="active",
                currency="usd",
                created=created,
                start_date=created,
                current_period_start=created,
                current_period_end=period_end,
                cancel_at_period_end=False,
                item_count=1,
                _file=subscriptions_file,
            )
        ],
        PLAN_DROP,
    )
    insert_rows(
        con,
        "stripe__subscription_items",
        [
            dict(
                subscription_id="sub_paid",
                item_index=0,
                id="si_paid",
                created=created,
                quantity=1,
                current_period_start=created,
                current_period_end=period_end,
                price_id="price_yearly",
                price_currency="usd",
                price_unit_amount=120000,
                price_type="recurring",
                price_billing_scheme="per_unit",
                price_recurring_interval="year",
                price_recurring_interval_count=1,
                price_recurring_usage_type="licensed",
                _file=subscriptions_file,
            )
        ],
        PLAN_DROP,
    )


def insert_stripe_ended_subscriptions(con: duckdb.DuckDBPyConnection) -> None:
    """In the PLAN_DROP drop, canceled: cus_churn's subscription (started 2026-10-01, ended
    2026-11-05 12:00) and cus_trial's (a trial 2026-10-01 - 2026-10-10, ended at its end,
    2026-10-10 12:00, never paid)."""

    def epoch(text: str) -> int:
        return int(ts(text).replace(tzinfo=dt.UTC).timestamp())

    created = epoch("2026-10-01 00:00:00")
    subscriptions_file = f"{RAW_TABLES['stripe__subscriptions'].file_stem}.jsonl"
    rows = [
        dict(id="sub_churn", customer="cus_churn", ended_at=epoch("2026-11-05 12:00:00")),
        dict(
            id="sub_trial",
            customer="cus_trial",
            trial_start=created,
            trial_end=epoch("2026-10-10 12:00:00"),
            ended_at=epoch("2026-10-10 12:00:00"),
        ),
    ]
    insert_rows(
        con,
        "stripe__customers",
        [dict(id="cus_churn", created=created), dict(id="cus_trial", created=created)],
        PLAN_DROP,
    )
    insert_rows(
        con,
        "stripe__subscriptions",
        [
            row
            | dict(
                status="canceled",
                currency="usd",
                created=created,
                start_date=created,
                canceled_at=row["ended_at"],
                cancel_at_period_end=False,
                item_count=0,
                _file=subscriptions_file,
            )
            for row in rows
        ],
        PLAN_DROP,
    )


def insert_stripe_lapsed_subscription(con: duckdb.DuckDBPyConnection) -> None:
    """cus_lapsed: a monthly subscription started 2026-10-01, first seen `unpaid` in the PLAN_DROP
    drop, with no end date; its only paid invoice line covers 2026-10-01 00:00 - 2026-10-15 00:00."""

    def epoch(text: str) -> int:
        return int(ts(text).replace(tzinfo=dt.UTC).timestamp())

    created = epoch("2026-10-01 00:00:00")
    insert_rows(con, "stripe__customers", [dict(id="cus_lapsed", created=created)], PLAN_DROP)
    insert_rows(
        con,
        "stripe__subscriptions",
        [
            dict(id="sub_lapsed", customer="cus_lapsed", status="unpaid", currency="usd",
                 created=created, start_date=created, cancel_at_period_end=False, item_count=0,
                 _file=f"{RAW_TABLES['stripe__subscriptions'].file_stem}.jsonl")
        ],
        PLAN_DROP,
    )  # fmt: skip
    insert_rows(
        con,
        "stripe__invoices",
        [
            dict(id="in_lapsed", customer="cus_lapsed", subscription="sub_lapsed", status="paid",
                 currency="usd", amount_due=3000, paid=True, created=created)
        ],
        PLAN_DROP,
    )  # fmt: skip
    insert_rows(
        con,
        "stripe__invoice_lines",
        [
            dict(invoice_id="in_lapsed", id="il_lapsed", line_index=0, type="subscription",
                 amount=3000, currency="usd", proration=False, quantity=1,
                 period_start=created, period_end=epoch("2026-10-15 00:00:00"),
                 price_recurring_interval="month", _file="invoices.jsonl")
        ],
        PLAN_DROP,
    )  # fmt: skip


def run_dbt(args: list[str], db_path: Path, work_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_dbt_as_of(args, db_path, work_dir, AS_OF)


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """int_account_daily_metrics of the hand-made accounts, with feature_adoption finished."""
    root = tmp_path_factory.mktemp("health_metrics")
    db_path = root / "warehouse.duckdb"
    build_raw(db_path)
    built = run_dbt(
        ["build", "--select", "+int_account_daily_metrics", "--indirect-selection", "cautious"],
        db_path,
        root,
    )
    assert built.returncode == 0, built.stdout[-5000:]
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        frame = pl.from_arrow(
            con.sql("select * from intermediate.int_account_daily_metrics").to_arrow_table()
        )
    finally:
        con.close()
    no_tickets = pl.DataFrame(
        schema={"account_id": pl.String, "created_on": pl.Date, "text": pl.String}
    )
    return with_config_metrics(frame, no_tickets, load_health_config(), load_churn_signals_config())


def row(frame: pl.DataFrame, account: str, day: str) -> dict[str, Any]:
    rows = frame.filter(
        (pl.col("account_id") == account) & (pl.col("as_of_date") == dt.date.fromisoformat(day))
    )
    assert rows.height == 1, f"{account} {day}: {rows.height} rows"
    return rows.row(0, named=True)


@pytest.fixture(scope="module")
def scores(metrics: pl.DataFrame) -> pl.DataFrame:
    return score_health(metrics.filter(pl.col("as_of_date") == DROP), load_health_config())


def test_the_metrics_of_an_active_account_worked_by_hand(metrics: pl.DataFrame) -> None:
    m = row(metrics, "acc_nps", AS_OF)
    # 1 active user-day in the 30-day window of 30 days, 1 monthly active user: 1/30/1.
    assert m["dau_mau_ratio"] == pytest.approx(1 / 30)
    # starter's core features: chatbot_builder, live_chat, knowledge_base, analytics_dashboard → 1/4.
    assert m["feature_adoption"] == pytest.approx(0.25)
    assert m["conversations_per_week"] == pytest.approx(40 / 4)
    assert m["days_since_last_login"] == 0.0
    assert m["logins_per_week"] == pytest.approx(1 / 4)
    assert m["features_used_this_month"] == 1.0
    # A mapped organisation without tickets: true zeros; no rating: CSAT undefined.
    assert (m["open_tickets"], m["escalations"], m["avg_csat"]) == (0.0, 0.0, None)
    assert m["nps_score"] == 8.0
    assert (m["meetings_attended"], m["responses_to_outreach"]) == (None, None)
    # 40 conversations in 30 days / limit 1000; no Stripe customer: no payment health, no contract.
    assert m["growth_potential"] == pytest.approx(0.04)
    assert (m["payment_health"], m["contract_length"]) == (None, None)
    assert row(metrics, "acc_no_nps", AS_OF)["nps_score"] is None


def test_removing_nps_rescales_the_score_with_lower_coverage(scores: pl.DataFrame) -> None:
    with_nps = row(scores, "acc_nps", AS_OF)
    without = row(scores, "acc_no_nps", AS_OF)
    # Normalised metrics (higher: min(100, v/ideal·100); inverse: 100·clamp((worst−v)/(worst−ideal))):
    #   product usage = 0.4·(1/30/0.5·100 = 6.6667) + 0.3·(0.25/0.7·100 = 35.7143)
    #                   + 0.3·(10/100·100 = 10) = 2.6667 + 10.7143 + 3 = 16.380952
    #   engagement    = 0.4·100 (0 days) + 0.3·(0.25/5·100 = 5) + 0.3·(1/10·100 = 10) = 44.5
    #   support       = (0.4·100 + 0.2·100) / 0.6 = 100 (open tickets 0, escalations 0; no CSAT)
    #   relationship  = 80 (NPS 8 only) for acc_nps; absent for acc_no_nps
    #   financial     = growth potential 0.04/1·100 = 4 (only metric present)
    product_usage = 0.4 * (1 / 30 / 0.5 * 100) + 0.3 * (0.25 / 0.7 * 100) + 0.3 * 10
    assert with_nps["product_usage_score"] == pytest.approx(16.380952, abs=1e-6)
    assert with_nps["relationship_score"] == pytest.approx(80.0)
    assert without["relationship_score"] is None
    # With NPS: Σ weight·component / Σ weights = (0.30·16.380952 + 0.25·44.5 + 0.15·100
    #   + 0.15·80 + 0.15·4) / 1.00 = (4.914286 + 11.125 + 15 + 12 + 0.6) = 43.639286
    # coverage 0.30 + 0.25 + 0.15·(0.4 + 0.2) + 0.15·0.5 + 0.15·0.3 = 0.76
    assert with_nps["score"] == pytest.approx(43.639286, abs=1e-6)
    assert with_nps["coverage"] == pytest.approx(0.76)
    # Without NPS the relationship component is left out: 31.639286 / 0.85 = 37.222689,
    # coverage 0.76 − 0.075 = 0.685 (still ≥ 0.6, so a score).
    assert without["score"] == pytest.approx(37.222689, abs=1e-6)
    assert without["coverage"] == pytest.approx(0.685)
    assert without["reason"] is None
    # Read as NPS 0 it would have been 31.639286 / 1.00: not what is published.
    as_if_zero = 0.30 * product_usage + 0.25 * 44.5 + 0.15 * 100 + 0.15 * 0 + 0.15 * 4
    assert as_if_zero == pytest.approx(31.639286, abs=1e-6)
    assert without["score"] != pytest.approx(as_if_zero, abs=1e-3)
    assert (with_nps["grade"], without["grade"]) == ("C", "D")


def test_an_account_without_events_scores_as_inactive_with_true_zeros(
    metrics: pl.DataFrame, scores: pl.DataFrame
) -> None:
    m = row(metrics, "acc_idle", AS_OF)
    # No login ever: counted from creation, 2026-10-01 → 2026-11-20 = 30 + 20 = 50 days.
    assert m["days_since_last_login"] == 50.0
    assert m["days_without_login"] == 50
    assert (m["logins_per_week"], m["features_used_this_month"]) == (0.0, 0.0)
    # No monthly active user: dau/mau has no denominator and is NULL, not 0 (issue #21).
    assert (m["dau_mau_ratio"], m["conversations_per_week"], m["feature_adoption"]) == (
        None,
        0.0,
        0.0,
    )
    assert m["growth_potential"] == 0.0
    s = row(scores, "acc_idle", AS_OF)
    # Product usage 0 (feature adoption and conversations, both 0) and engagement 0 (50 days ≥
    # worst 30 → 0; 0 logins; 0 features) are scored, not left out; dau/mau is left out, so the
    # coverage is acc_no_nps's 0.685 less 0.30·0.4 = 0.565, below the 0.6 bar: no score
    # (with dau/mau filled as 0 it was 0.685 and graded F: a grade from a defaulted input).
    assert (s["product_usage_score"], s["engagement_score"]) == (0.0, 0.0)
    assert s["coverage"] == pytest.approx(0.565)
    assert (s["score"], s["grade"], s["reason"]) == (None, None, "insufficient_data")


def test_a_login_one_second_after_the_day_does_not_count_for_it(metrics: pl.DataFrame) -> None:
    day_t = row(metrics, "acc_edge", "2026-11-10")
    # Only the login at 23:59:59 of day t: 0 days since, 1 login in 28 days.
    assert day_t["days_since_last_login"] == 0.0
    assert day_t["logins_per_week"] == pytest.approx(1 / 4)
    day_before = row(metrics, "acc_edge", "2026-11-09")
    # Before either login: since creation, 2026-10-01 → 2026-11-09 = 39 days, 0 logins.
    assert (day_before["days_since_last_login"], day_before["logins_per_week"]) == (39.0, 0.0)
    day_after = row(metrics, "acc_edge", "2026-11-11")
    assert day_after["days_since_last_login"] == 0.0
    assert day_after["logins_per_week"] == pytest.approx(2 / 4)


def test_the_plan_is_the_version_valid_on_the_day(metrics: pl.DataFrame) -> None:
    # Before the first drop (2026-11-15) the first version stands: starter.
    assert row(metrics, "acc_edge", "2026-11-14")["plan"] == "starter"
    # From the 11-15 drop up to the day before the 11-20 drop: starter.
    assert row(metrics, "acc_edge", "2026-11-19")["plan"] == "starter"
    assert row(metrics, "acc_edge", "2026-11-20")["plan"] == "growth"
    # growth's core features are 7 and none was used: feature_adoption 0/7 = 0 (not NULL).
    assert row(metrics, "acc_edge", "2026-11-20")["feature_adoption"] == 0.0


def test_a_deleted_account_keeps_its_days_before_the_deletion(metrics: pl.DataFrame) -> None:
    """Deleted on 2026-11-18: its days 2026-10-01 … 2026-11-17 stay (31 + 17 = 48 rows, the health
    history already scored for them keeps its inputs); from the deletion day on there is no account."""
    days = metrics.filter(pl.col("account_id") == "acc_gone")["as_of_date"].sort()
    assert days.len() == 48
    assert (days.min(), days.max()) == (dt.date(2026, 10, 1), dt.date(2026, 11, 17))


def test_the_contract_length_is_missing_once_stripe_is_stale(metrics: pl.DataFrame) -> None:
    # Stripe's newest drop (2026-11-15) covers that day: a yearly item → 12 committed months.
    covered = row(metrics, "acc_paid", "2026-11-15")
    assert (covered["contract_length"], covered["term_months"]) == (12.0, 12)
    assert covered["subscription_state"] == "active"
    # Five days later Stripe has not re-confirmed the subscription: stale is missing, as for the
    # other Stripe inputs (metrics.md), not the last interval seen.
    stale = row(metrics, "acc_paid", AS_OF)
    assert (stale["contract_length"], stale["term_months"], stale["payment_health"]) == (
        None,
        None,
        None,
    )
    assert stale["subscription_state"] == "none"


def test_the_customer_status_per_day_from_stripe(metrics: pl.DataFrame) -> None:
    """metrics.md, population. acc_paid pays from its creation (2026-10-01, before Stripe's first
    drop: from the subscription's dates); Stripe's newest drop is 11-15, so after it the status is
    not known (NULL), never guessed, and the account is out of the live book."""
    status = {
        (a, d): (row(metrics, a, d)["customer_status"], row(metrics, a, d)["in_live_book"])
        for a, d in [
            ("acc_paid", "2026-10-01"),
            ("acc_paid", "2026-11-15"),
            ("acc_paid", AS_OF),
            ("acc_nps", "2026-11-15"),
        ]
    }
    assert status == {
        ("acc_paid", "2026-10-01"): ("paying", True),
        ("acc_paid", "2026-11-15"): ("paying", True),
        ("acc_paid", AS_OF): (None, False),
        # no Stripe customer: never paid, never scored
        ("acc_nps", "2026-11-15"): ("never_paid", False),
    }
    assert row(metrics, "acc_paid", "2026-11-15")["first_paying_on"] == dt.date(2026, 10, 1)


def test_a_churned_account_has_one_terminal_day_and_an_unconverted_trial_none(
    metrics: pl.DataFrame,
) -> None:
    """acc_churn paid from 10-01 until its subscription ended on 11-05 at noon: paying through
    11-04, churned from 11-05, in the live book on 11-05 only (its terminal day). acc_trial trialed
    10-01 - 10-09 and its trial ended unconverted on 10-10: trialing (live, its own segment) then
    never_paid, with no terminal day (it never paid)."""

    def days(account: str) -> dict[str, tuple[str | None, bool]]:
        frame = metrics.filter(pl.col("account_id") == account)
        return {
            d.isoformat(): (s, live)
            for d, s, live in frame.select("as_of_date", "customer_status", "in_live_book").rows()
        }

    churn = days("acc_churn")
    assert churn["2026-11-04"] == ("paying", True)
    assert churn["2026-11-05"] == ("churned", True)
    assert churn["2026-11-06"] == ("churned", False)
    assert churn["2026-11-15"] == ("churned", False)
    assert sum(live for s, live in churn.values() if s == "churned") == 1
    trial = days("acc_trial")
    assert trial["2026-10-09"] == ("trialing", True)
    assert trial["2026-10-10"] == ("never_paid", False)
    assert not any(live for s, live in trial.values() if s == "never_paid")


def test_a_subscription_first_seen_unpaid_pays_only_while_an_invoice_covers_it(
    metrics: pl.DataFrame,
) -> None:
    """metrics.md §1: before the first drop, a subscription first seen unpaid counts only on days a
    paid or open invoice line covers. acc_lapsed's line covers the ends of 10-01 … 10-14: paying
    then, churned on 10-15 (its terminal day), not paying until the first drop, unpaid after it."""
    assert row(metrics, "acc_lapsed", "2026-10-14")["customer_status"] == "paying"
    lapsed = row(metrics, "acc_lapsed", "2026-10-15")
    assert (lapsed["customer_status"], lapsed["in_live_book"]) == ("churned", True)
    later = row(metrics, "acc_lapsed", "2026-11-01")
    assert (later["customer_status"], later["in_live_book"]) == ("churned", False)
    assert row(metrics, "acc_lapsed", "2026-11-01")["subscription_state"] == "none"
