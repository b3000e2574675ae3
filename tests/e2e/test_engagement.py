"""Engagement and onboarding marts on generated drops through the real `csw run`, checked against
figures computed here straight from the extract files (events parquet, onboarding_steps and
accounts CSV, Stripe subscriptions JSONL) by a second implementation that shares no code with dbt
or transforms/: plain Python over the newest version of each record in drops up to the as-of date.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.warehouses import DailyOperation

pytestmark = pytest.mark.slow

CSW = [sys.executable, "-m", "orchestration.cli"]
ROOT = Path(__file__).resolve().parents[2]
SELF_SERVE = ["welcome", "first_chatbot", "customize", "install", "first_conversation"]
MID_MARKET = ["kickoff", "discovery", "implementation", "training", "go_live", "review_30"]
PROGRAMS = {
    "self_serve": (SELF_SERVE, "first_conversation"),
    "smb": (SELF_SERVE, "first_conversation"),
    "mid_market": (MID_MARKET, "go_live"),
    "enterprise": (MID_MARKET, "go_live"),
}
KNOWN_PROGRAM_IDS = {"self-serve-v1", "mid-market-v1"}


@pytest.fixture(scope="module")
def run(daily_operation: DailyOperation):
    """The daily-operation history (tests/warehouses.py): its extracts, as-of date and published file."""
    settings = daily_operation.settings
    con = duckdb.connect(str(settings.published_db), read_only=True)
    yield settings.extracts_dir, daily_operation.drop_dates[-1], con
    con.close()


def drops(extracts: Path, source: str, as_of: dt.date) -> list[Path]:
    return sorted(
        p
        for p in (extracts / source).iterdir()
        if p.is_dir() and dt.date.fromisoformat(p.name) <= as_of
    )


def newest_events(extracts: Path, as_of: dt.date) -> pl.DataFrame:
    """Every event known at the end of `as_of`: the newest row per event_id over the drops."""
    frames = [
        pl.read_parquet(d / "events.parquet").with_columns(pl.lit(d.name).alias("drop"))
        for d in drops(extracts, "app_db", as_of)
        if (d / "events.parquet").exists()
    ]
    events = pl.concat(frames, how="diagonal_relaxed").sort("drop")
    return events.unique("event_id", keep="last")


def newest_csv_rows(extracts: Path, as_of: dt.date, table: str, key: tuple[str, ...]) -> dict:
    newest: dict[tuple, dict] = {}
    for d in drops(extracts, "app_db", as_of):
        path = d / f"{table}.csv"
        if not path.exists():
            continue
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                newest[tuple(row[k] for k in key)] = row
    return newest


def test_monthly_logins_features_and_actions_match_the_events(run) -> None:
    extracts, as_of, con = run
    month = (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last full month
    events = newest_events(extracts, as_of)
    start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(as_of.replace(day=1), dt.time(), tzinfo=dt.UTC)
    in_month = [
        e
        for e in events.iter_rows(named=True)
        if start <= e["occurred_at"].replace(tzinfo=dt.UTC) < end and not e.get("deleted_at")
    ]
    logins: dict[str, int] = defaultdict(int)
    actions: dict[str, int] = defaultdict(int)
    features: dict[str, set] = defaultdict(set)
    users: dict[str, set] = defaultdict(set)
    for e in in_month:
        account = e["account_id"]
        if e["user_id"]:
            users[account].add(e["user_id"])
        if e["event_type"] == "login":
            logins[account] += 1
        if e["event_type"] == "feature_used":
            actions[account] += 1
            features[account].add(e["feature_key"])
    busiest = sorted(logins, key=lambda a: (-logins[a], a))[:3]
    published = {
        r[0]: r[1:]
        for r in con.execute(
            "select account_id, logins, features_used, actions, active_users "
            "from marts.engagement_monthly where month = ?",
            [month],
        ).fetchall()
    }
    assert busiest, "the generated month has no login"
    for account in busiest:
        assert published[account] == (
            logins[account],
            len(features[account]),
            actions[account],
            len(users[account]),
        ), account
    # An account with no event that month while the extract covered it is a measured zero.
    quiet = sorted(a for a, values in published.items() if a not in users and a not in logins)
    for account in quiet[:3]:
        assert published[account][:3] == (0, 0, 0), account


def test_onboarding_progress_matches_the_steps_file(run) -> None:
    extracts, as_of, con = run
    accounts = newest_csv_rows(extracts, as_of, "accounts", ("account_id",))
    steps = newest_csv_rows(extracts, as_of, "onboarding_steps", ("account_id", "step_id"))
    starts: dict[str, int] = {}
    newest_subscriptions: dict[str, dict] = {}
    for d in drops(extracts, "stripe", as_of):
        for line in (d / "subscriptions.jsonl").read_text().splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # a truncated line is quarantined by ingest
            newest_subscriptions[obj["id"]] = obj
    for sub in newest_subscriptions.values():
        if sub["status"] in ("incomplete", "incomplete_expired"):
            continue
        starts[sub["customer"]] = min(
            starts.get(sub["customer"], sub["start_date"]), sub["start_date"]
        )
    published = {
        r[0]: r[1:]
        for r in con.execute(
            "select account_id, program, required_done, progress, status, first_value_on, "
            "time_to_first_value_days, stalled from marts.onboarding_progress where as_of_date = ?",
            [as_of],
        ).fetchall()
    }
    malformed = {k[0] for k, row in steps.items() if row["program_id"] not in KNOWN_PROGRAM_IDS}
    # One completed and one in-progress account of each program.
    checked: dict[tuple[str, str], int] = defaultdict(int)
    for account_id in sorted(published):
        account = accounts.get((account_id,))
        if account is None or account_id in malformed or account["segment"] not in PROGRAMS:
            continue
        required, first_value_step = PROGRAMS[account["segment"]]
        program = "self-serve-v1" if required is SELF_SERVE else "mid-market-v1"
        done = {
            step: dt.datetime.fromisoformat(row["completed_at"].replace("Z", "+00:00")).date()
            for (acc, step), row in steps.items()
            if acc == account_id and row["completed_at"]
        }
        start = dt.datetime.fromtimestamp(starts[account["stripe_customer_id"]], dt.UTC).date()
        required_done = sum(1 for s in required if s in done)
        first_value = done.get(first_value_step)
        last_step = max(done.values(), default=start)
        completed = required_done == len(required)
        status = "completed" if completed else "in_progress"
        if checked[(program, status)] >= 1:
            continue
        expected = (
            program,
            required_done,
            pytest.approx(required_done / len(required)),
            status,
            first_value,
            (first_value - start).days if first_value else None,
            (not completed) and (as_of - last_step).days >= 3,
        )
        assert published[account_id] == expected, account_id
        checked[(program, status)] += 1
    assert sorted(checked) == [
        ("mid-market-v1", "completed"),
        ("mid-market-v1", "in_progress"),
        ("self-serve-v1", "completed"),
        ("self-serve-v1", "in_progress"),
    ]
