"""Properties of the generated drops, checked by reading the files back (sources.md is the contract)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from synthetic.generator import GenerationSummary, generate_drops
from tests.synthetic.helpers import (
    all_valid_csv,
    csv_rows,
    day_of,
    drops,
    flawed_lines,
    flaws,
    jsonl,
    latest_stripe,
    unix_day,
)

EXPECTED_FILES = {
    "stripe": {"customers.jsonl", "subscriptions.jsonl", "invoices.jsonl", "charges.jsonl", "refunds.jsonl"},
    "app_db": {
        "accounts.csv", "users.csv", "events.parquet", "onboarding_steps.csv",
        "nps_survey_sends.csv", "nps_responses.csv", "cs_activities.csv", "csms.csv", "cs_tasks.csv",
    },
    "ticketing": {"tickets.jsonl", "satisfaction_ratings.jsonl", "organizations.jsonl"},
    "fx_rates": {"fx_rates.csv"},
}  # fmt: skip


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- layout and manifests ------------------------------------------------------------------------


def test_every_drop_of_every_source_has_every_file(small_run: GenerationSummary) -> None:
    out = small_run.out_dir
    expected_dates = [(dt.date(2026, 11, 6) + dt.timedelta(days=i)).isoformat() for i in range(15)]
    assert [d.isoformat() for d in small_run.drop_dates] == expected_dates
    for source, files in EXPECTED_FILES.items():
        assert [d.name for d in drops(out, source)] == expected_dates
        for drop in drops(out, source):
            assert {p.name for p in drop.iterdir()} == files | {"_manifest.json"}


def test_manifest_row_counts_equal_the_lines_in_the_files(out_dir: Path) -> None:
    for source in EXPECTED_FILES:
        for drop in drops(out_dir, source):
            manifest = json.loads((drop / "_manifest.json").read_text())
            assert manifest["source"] == source
            assert manifest["drop_date"] == drop.name
            assert manifest["synthetic"] is True
            next_day = dt.date.fromisoformat(drop.name) + dt.timedelta(days=1)
            assert manifest["extracted_at"] == f"{next_day.isoformat()}T06:00:00Z"
            for name, count in manifest["row_counts"].items():
                path = drop / name
                if name.endswith(".parquet"):
                    actual = pq.ParquetFile(path).metadata.num_rows
                elif name.endswith(".csv"):
                    actual = len(path.read_text().splitlines()) - 1
                else:
                    actual = len(path.read_text().splitlines())
                assert actual == count, (source, drop.name, name)


def test_ground_truth_lives_outside_the_extracts(small_run: GenerationSummary) -> None:
    gt = small_run.ground_truth_dir
    assert gt == small_run.out_dir.parent / "extracts_ground_truth"
    for name in (
        "latent_health.parquet",
        "churn_events.csv",
        "accounts_truth.csv",
        "flaws.csv",
        "generation.json",
    ):
        assert (gt / name).is_file()
    assert not list(small_run.out_dir.rglob("flaws.csv"))
    args = json.loads((gt / "generation.json").read_text())["arguments"]
    assert args["accounts"] == 300 and args["months"] == 14 and args["seed"] == 7


# -- determinism -----------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_trees_and_another_seed_differs(tmp_path: Path) -> None:
    kwargs = {"accounts": 60, "months": 4, "incremental_days": 5}
    a = generate_drops(tmp_path / "a" / "x", seed=11, **kwargs)
    b = generate_drops(tmp_path / "b" / "x", seed=11, **kwargs)
    c = generate_drops(tmp_path / "c" / "x", seed=12, **kwargs)
    hashes_a = _tree_hashes(a.out_dir)
    assert hashes_a == _tree_hashes(b.out_dir)
    assert _tree_hashes(a.ground_truth_dir) == _tree_hashes(b.ground_truth_dir)
    hashes_c = _tree_hashes(c.out_dir)
    assert hashes_a.keys() == hashes_c.keys()
    differing = [k for k in hashes_a if hashes_a[k] != hashes_c[k]]
    assert "stripe/" + a.drop_dates[0].isoformat() + "/customers.jsonl" in differing
    assert len(differing) > len(hashes_a) // 2


# -- flaws -----------------------------------------------------------------------------------------


def test_malformed_json_lines_are_exactly_the_unparseable_ones(out_dir: Path) -> None:
    logged = {k for k in flawed_lines(out_dir, ("c_malformed",)) if k[2].endswith(".jsonl")}
    unparseable = set()
    for source in ("stripe", "ticketing"):
        for drop in drops(out_dir, source):
            for name in EXPECTED_FILES[source]:
                for line, obj in jsonl(drop / name):
                    if obj is None:
                        unparseable.add((source, drop.name, name, line))
    assert logged, "some JSON lines are malformed at the default rate"
    assert unparseable == logged


def _csv_violation(table: str, row: dict[str, str]) -> bool:
    """Contract checks written independently of the generator, one per table."""

    def bad_ts(value: str) -> bool:
        if value == "":
            return False
        try:
            dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return True
        return False

    if table == "accounts":
        return row["segment"] not in {"self_serve", "smb", "mid_market", "enterprise"}
    if table == "nps_responses":
        return not 0 <= int(row["score"]) <= 10
    if table == "cs_activities":
        return row["activity_type"] not in {
            "meeting_scheduled", "meeting_attended", "meeting_no_show",
            "outreach_sent", "outreach_answered", "qbr",
        }  # fmt: skip
    if table == "cs_tasks":
        return row["outcome"] not in {"", "done", "skipped", "no_response"}
    if table == "users":
        return bad_ts(row["created_at"])
    if table == "nps_survey_sends":
        return bad_ts(row["sent_at"])
    if table == "onboarding_steps":
        return row["program_id"] not in {"self-serve-v1", "mid-market-v1"}
    return False


def test_malformed_csv_rows_are_exactly_the_contract_violations(out_dir: Path) -> None:
    logged = {k for k in flawed_lines(out_dir, ("c_malformed",)) if k[2].endswith(".csv")}
    violating = set()
    for drop in drops(out_dir, "app_db"):
        for name in EXPECTED_FILES["app_db"]:
            if name.endswith(".csv"):
                for line, row in csv_rows(drop / name):
                    if _csv_violation(name[:-4], row):
                        violating.add(("app_db", drop.name, name, line))
    assert logged
    assert violating == logged


def _within(observed: int, expected: float) -> bool:
    slack = 4 * math.sqrt(max(expected, 1.0)) + 2
    return expected - slack <= observed <= expected + slack


def test_flaw_counts_per_kind_follow_the_flaw_rate(out_dir: Path) -> None:
    rate = 0.005
    by_kind: dict[str, int] = defaultdict(int)
    for f in flaws(out_dir):
        by_kind[f["kind"]] += 1
    data_lines = 0
    tickets, customers, accounts = set(), set(), set()
    for source in ("stripe", "app_db", "ticketing"):
        for drop in drops(out_dir, source):
            counts = json.loads((drop / "_manifest.json").read_text())["row_counts"]
            data_lines += sum(
                n
                for name, n in counts.items()
                if not name.endswith(".parquet") and name != "csms.csv"
            )
    malformed = by_kind["c_malformed"]
    # Each malformed line is an extra line next to the record it copies.
    assert _within(malformed, rate * (data_lines - malformed))
    for drop in drops(out_dir, "ticketing"):
        tickets |= {o["id"] for _l, o in jsonl(drop / "tickets.jsonl") if o}
    customers = set(latest_stripe(out_dir, "customers"))
    accounts = {row["account_id"] for _d, _l, row in all_valid_csv(out_dir, "accounts")}
    assert _within(by_kind["d_orphan_organization"], rate * len(tickets))
    assert _within(by_kind["e_plan_mismatch"], rate * len(accounts))
    assert _within(
        by_kind["a_repeated_update"], rate * (len(tickets) + len(customers) + len(accounts))
    )
    assert by_kind["b_late_update"] <= rate * len(tickets) + 4 * math.sqrt(rate * len(tickets)) + 2
    assert set(by_kind) <= {
        "a_repeated_update",
        "b_late_update",
        "c_malformed",
        "d_orphan_organization",
        "e_plan_mismatch",
    }


def test_orphan_tickets_point_at_organisations_without_an_account(out_dir: Path) -> None:
    accounts = {row["account_id"] for _d, _l, row in all_valid_csv(out_dir, "accounts")}
    orgs = {}
    for drop in drops(out_dir, "ticketing"):
        orgs.update({o["id"]: o for _l, o in jsonl(drop / "organizations.jsonl") if o})
    orphan_logged = {f["record_id"] for f in flaws(out_dir) if f["kind"] == "d_orphan_organization"}
    orphan_seen = set()
    for drop in drops(out_dir, "ticketing"):
        for _l, t in jsonl(drop / "tickets.jsonl"):
            if t and orgs[t["organization_id"]]["external_id"] not in accounts:
                orphan_seen.add(str(t["id"]))
    assert orphan_seen == orphan_logged


def test_plan_mismatches_differ_from_the_billed_lookup_key(out_dir: Path) -> None:
    subs = latest_stripe(out_dir, "subscriptions")
    latest_sub_of: dict[str, dict] = {}
    for sub in sorted(subs.values(), key=lambda s: s["created"]):
        latest_sub_of[sub["customer"]] = sub
    latest_account: dict[str, dict[str, str]] = {}
    for _d, _l, row in all_valid_csv(out_dir, "accounts"):
        latest_account[row["account_id"]] = row
    mismatched = set()
    for account_id, row in latest_account.items():
        sub = latest_sub_of.get(row["stripe_customer_id"])
        if sub is not None:
            billed = sub["items"]["data"][0]["price"]["metadata"]["plan"]
            if billed != row["plan"]:
                mismatched.add(account_id)
    logged = {f["record_id"] for f in flaws(out_dir) if f["kind"] == "e_plan_mismatch"}
    assert mismatched == logged


# -- Stripe ----------------------------------------------------------------------------------------


def test_subscriptions_reference_customers_and_carry_priced_items(out_dir: Path) -> None:
    customers = latest_stripe(out_dir, "customers")
    subs = latest_stripe(out_dir, "subscriptions")
    assert len(subs) >= 300
    for sub in subs.values():
        assert sub["id"].startswith("sub_") and sub["customer"] in customers
        for item in sub["items"]["data"]:
            assert item["id"].startswith("si_")
            price = item["price"]
            assert price["id"].startswith("price_") and price["unit_amount"] > 0
            plan = price["metadata"]["plan"]
            assert plan in {"starter", "growth", "pro", "enterprise"}
            assert price["lookup_key"].startswith(plan + "_")
            assert price["recurring"]["interval"] in {"month", "year"}
            assert price["recurring"]["usage_type"] == "licensed"
    intervals = {s["items"]["data"][0]["price"]["recurring"]["interval"] for s in subs.values()}
    assert intervals == {"month", "year"}
    assert {s["currency"] for s in subs.values()} >= {"usd", "eur"}


def test_invoices_reference_existing_subscriptions(out_dir: Path) -> None:
    subs = latest_stripe(out_dir, "subscriptions")
    invoices = latest_stripe(out_dir, "invoices")
    assert invoices
    for inv in invoices.values():
        sub_id = inv["parent"]["subscription_details"]["subscription"]
        assert sub_id in subs
        assert subs[sub_id]["customer"] == inv["customer"]
        assert inv["total"] == inv["subtotal"] - sum(
            d["amount"] for line in inv["lines"]["data"] for d in line["discount_amounts"]
        )
        for line in inv["lines"]["data"]:
            assert line["parent"]["subscription_item_details"]["subscription_item"].startswith(
                "si_"
            )
    assert {i["status"] for i in invoices.values()} >= {"paid", "open", "uncollectible", "void"}


def test_trials_convert_and_lapse(out_dir: Path) -> None:
    subs = latest_stripe(out_dir, "subscriptions").values()
    with_trial = [s for s in subs if s["trial_start"] is not None]
    lapsed = [
        s for s in with_trial if s["status"] == "canceled" and s["ended_at"] <= s["trial_end"]
    ]
    converted = [
        s
        for s in with_trial
        if s["status"] in ("active", "past_due") or (s["ended_at"] or 0) > s["trial_end"]
    ]
    assert lapsed and converted
    assert any(s["status"] == "incomplete_expired" for s in subs)


def test_billing_lifecycle_is_rich(out_dir: Path) -> None:
    subs = list(latest_stripe(out_dir, "subscriptions").values())
    charges = list(latest_stripe(out_dir, "charges").values())
    reasons = {s["cancellation_details"]["reason"] for s in subs if s["status"] == "canceled"}
    assert {"cancellation_requested", "payment_failed"} <= reasons
    assert any(s["cancel_at_period_end"] and s["status"] == "active" for s in subs)
    assert any(s["discounts"] for s in subs)
    failed = [c for c in charges if c["status"] == "failed"]
    assert failed and all(
        c["failure_code"] and c["outcome"]["type"] != "authorized" for c in failed
    )
    assert all(c["outcome"]["type"] == "authorized" for c in charges if c["status"] == "succeeded")
    refunds = latest_stripe(out_dir, "refunds")
    assert refunds and all(r["charge"] in {c["id"] for c in charges} for r in refunds.values())
    invoices = latest_stripe(out_dir, "invoices").values()
    assert any(line["proration"] for inv in invoices for line in inv["lines"]["data"])
    churn = pl.read_csv(
        out_dir.parent / "extracts_ground_truth" / "churn_events.csv", infer_schema=False
    )
    assert churn.filter(pl.col("reactivated_on").is_not_null()).height > 0


def test_current_api_shape(out_dir: Path) -> None:
    for sub in latest_stripe(out_dir, "subscriptions").values():
        assert "current_period_start" not in sub and "discount" not in sub
        item = sub["items"]["data"][0]
        assert item["current_period_start"] <= item["current_period_end"]
    for inv in latest_stripe(out_dir, "invoices").values():
        assert "subscription" not in inv
        for line in inv["lines"]["data"]:
            assert isinstance(line["pricing"]["price_details"]["price"], str)
            assert "price" not in line and "subscription_item" not in line


def test_pre_2025_03_31_api_shape(pre_run: GenerationSummary) -> None:
    out = pre_run.out_dir
    subs = latest_stripe(out, "subscriptions")
    for sub in subs.values():
        assert sub["current_period_start"] <= sub["current_period_end"]
        assert "current_period_start" not in sub["items"]["data"][0]
        assert "discount" in sub
    for inv in latest_stripe(out, "invoices").values():
        assert inv["subscription"] in subs and "parent" not in inv
        for line in inv["lines"]["data"]:
            assert isinstance(line["price"], dict) and line["price"]["lookup_key"]
            assert line["subscription_item"].startswith("si_")


# -- incremental drops -----------------------------------------------------------------------------


def test_incremental_drops_hold_only_what_changed_that_day(small_run: GenerationSummary) -> None:
    out = small_run.out_dir
    exempt = flawed_lines(out, ("a_repeated_update", "b_late_update", "c_malformed"))
    incremental = drops(out, "stripe")[1:]
    assert len(incremental) == 14
    charges_by_customer_day = set()
    # A mid-term change bills at once: its proration invoice is created the day of the change
    # (its charge may fall on the next day, an hour after the invoice is finalised).
    invoiced_by_customer_day = set()
    for drop in drops(out, "stripe"):
        for _l, c in jsonl(drop / "charges.jsonl"):
            if c:
                charges_by_customer_day.add((c["customer"], unix_day(c["created"])))
        for _l, inv in jsonl(drop / "invoices.jsonl"):
            if inv:
                invoiced_by_customer_day.add((inv["customer"], unix_day(inv["created"])))
    refund_day = {}
    for drop in drops(out, "stripe"):
        for _l, r in jsonl(drop / "refunds.jsonl"):
            if r:
                refund_day[r["charge"]] = unix_day(r["created"])
    checked = 0
    for drop in incremental:
        day = drop.name
        for name in EXPECTED_FILES["stripe"]:
            for line, obj in jsonl(drop / name):
                if ("stripe", day, name, line) in exempt or obj is None:
                    continue
                checked += 1
                if name == "charges.jsonl":
                    assert day in {unix_day(obj["created"]), refund_day.get(obj["id"])}
                elif name == "refunds.jsonl":
                    assert unix_day(obj["created"]) == day
                elif name == "invoices.jsonl":
                    stamps = [obj["created"], *obj["status_transitions"].values()]
                    days = {unix_day(t) for t in stamps if t}
                    assert day in days or (obj["customer"], day) in charges_by_customer_day
                elif name == "subscriptions.jsonl":
                    item = obj["items"]["data"][0]
                    stamps = [
                        obj["created"],
                        obj["canceled_at"],
                        obj["ended_at"],
                        obj["trial_end"],
                        item["current_period_start"],
                    ]
                    days = {unix_day(t) for t in stamps if t}
                    assert (
                        day in days
                        or (obj["customer"], day) in charges_by_customer_day
                        or (obj["customer"], day) in invoiced_by_customer_day
                    )
                elif not obj.get("deleted"):
                    assert unix_day(obj["created"]) == day
    stamp_of = {
        "accounts": ("updated_at",),
        "users": ("updated_at",),
        "onboarding_steps": ("updated_at",),
        "nps_survey_sends": ("sent_at",),
        "nps_responses": ("submitted_at", "followed_up_at"),
        "cs_activities": ("occurred_at",),
    }
    for drop in drops(out, "app_db")[1:]:
        for table, columns in stamp_of.items():
            for line, row in csv_rows(drop / f"{table}.csv"):
                if ("app_db", drop.name, f"{table}.csv", line) in exempt:
                    continue
                checked += 1
                assert drop.name in {day_of(row[c]) for c in columns}, (table, row)
        events = pl.read_parquet(drop / "events.parquet")
        assert (events["occurred_at"].dt.date().cast(pl.Utf8) == drop.name).all()
    for drop in drops(out, "ticketing")[1:]:
        for name in EXPECTED_FILES["ticketing"]:
            for line, obj in jsonl(drop / name):
                if ("ticketing", drop.name, name, line) in exempt or obj is None:
                    continue
                checked += 1
                assert day_of(obj["updated_at"]) == drop.name
    for drop in drops(out, "fx_rates")[1:]:
        rows = [row for _l, row in csv_rows(drop / "fx_rates.csv")]
        assert rows and {r["date"] for r in rows} == {drop.name}
    assert checked > 500


def test_first_drop_holds_the_whole_history(out_dir: Path) -> None:
    first = drops(out_dir, "app_db")[0]
    events = pl.read_parquet(first / "events.parquet")
    assert events["occurred_at"].min().date() <= dt.date(2025, 10, 31)
    assert events["occurred_at"].max().date() == dt.date(2026, 11, 6)
    fx = [row for _l, row in csv_rows(drops(out_dir, "fx_rates")[0] / "fx_rates.csv")]
    assert min(r["date"] for r in fx) == "2025-09-20"


def test_fx_rates_cover_every_non_usd_currency_on_every_date(out_dir: Path) -> None:
    used = {
        c["currency"].upper()
        for c in latest_stripe(out_dir, "customers").values()
        if c.get("currency")
    }
    used.discard("USD")
    assert used
    covered = defaultdict(set)
    for drop in drops(out_dir, "fx_rates"):
        for _l, row in csv_rows(drop / "fx_rates.csv"):
            covered[row["date"]].add(row["currency"])
            assert 0.5 < float(row["rate"]) < 2.0
    day = dt.date(2025, 9, 20)
    while day <= dt.date(2026, 11, 20):
        assert used <= covered[day.isoformat()], day
        day += dt.timedelta(days=1)


# -- the app database and support exercise the metrics ---------------------------------------------


def _latest_csv(out: Path, table: str, key: str) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for _d, _l, row in all_valid_csv(out, table):
        rows[row[key]] = row
    return rows


def test_nps_sends_never_repeat_within_90_days_per_account(out_dir: Path) -> None:
    sends = _latest_csv(out_dir, "nps_survey_sends", "send_id").values()
    by_account = defaultdict(list)
    for s in sends:
        by_account[s["account_id"]].append(
            dt.datetime.fromisoformat(s["sent_at"].replace("Z", "+00:00"))
        )
    assert len(by_account) > 100
    for times in by_account.values():
        times.sort()
        assert all((b - a).days >= 90 for a, b in zip(times, times[1:], strict=False))


def test_nps_response_rate_and_detractor_follow_ups(out_dir: Path) -> None:
    sends = _latest_csv(out_dir, "nps_survey_sends", "send_id")
    responses = _latest_csv(out_dir, "nps_responses", "response_id")
    rate = len(responses) / len(sends)
    assert 0.10 <= rate <= 0.30
    assert all(r["send_id"] in sends for r in responses.values())
    detractors = [r for r in responses.values() if int(r["score"]) <= 6]
    promoters = [r for r in responses.values() if int(r["score"]) >= 9]
    assert detractors and promoters
    assert any(r["followed_up_at"] for r in detractors)
    assert any(not r["followed_up_at"] for r in detractors)


def test_churned_accounts_were_less_healthy_before_churning(out_dir: Path) -> None:
    gt = out_dir.parent / "extracts_ground_truth"
    health = pl.read_parquet(gt / "latent_health.parquet")
    churn = pl.read_csv(gt / "churn_events.csv", try_parse_dates=True)
    truth = pl.read_csv(gt / "accounts_truth.csv")
    churned_ids = set(churn["account_id"])
    retained = set(truth.filter(pl.col("ever_paid"))["account_id"]) - churned_ids
    assert churn.height >= 20 and len(retained) >= 50
    churned_means, retained_means = [], []
    for account_id, churned_on in churn.select("account_id", "churned_on").iter_rows():
        window_start = churned_on - dt.timedelta(days=90)
        months = health.filter(
            (pl.col("month") <= churned_on) & (pl.col("month") >= window_start.replace(day=1))
        )
        mine = months.filter(pl.col("account_id") == account_id)["latent_health"]
        others = months.filter(pl.col("account_id").is_in(list(retained)))["latent_health"]
        if mine.len() and others.len():
            churned_means.append(mine.mean())
            retained_means.append(others.mean())
    churned_mean = sum(churned_means) / len(churned_means)
    retained_mean = sum(retained_means) / len(retained_means)
    assert churned_mean < retained_mean - 0.05


def test_app_database_covers_segments_onboarding_and_cs_activities(out_dir: Path) -> None:
    accounts = _latest_csv(out_dir, "accounts", "account_id")
    assert {a["segment"] for a in accounts.values()} == {
        "self_serve",
        "smb",
        "mid_market",
        "enterprise",
    }
    assert {a["plan"] for a in accounts.values()} == {"starter", "growth", "pro", "enterprise"}
    assert any(a["advocacy_status"] for a in accounts.values())
    csms = _latest_csv(out_dir, "csms", "csm_id")
    assert all(a["csm_id"] in csms for a in accounts.values() if a["csm_id"])
    steps = list(_latest_csv_pairs(out_dir))
    assert {s["program_id"] for s in steps} == {"self-serve-v1", "mid-market-v1"}
    assert any(not s["completed_at"] for s in steps) and any(s["completed_at"] for s in steps)
    kinds = {
        r["activity_type"] for r in _latest_csv(out_dir, "cs_activities", "activity_id").values()
    }
    assert kinds == {
        "meeting_scheduled", "meeting_attended", "meeting_no_show",
        "outreach_sent", "outreach_answered", "qbr",
    }  # fmt: skip


def _latest_csv_pairs(out: Path) -> list[dict[str, str]]:
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for _d, _l, row in all_valid_csv(out, "onboarding_steps"):
        rows[(row["account_id"], row["step_id"])] = row
    return list(rows.values())


def test_events_cover_every_type_with_feature_keys_only_where_meaningful(out_dir: Path) -> None:
    events = pl.concat([pl.read_parquet(d / "events.parquet") for d in drops(out_dir, "app_db")])
    assert set(events["event_type"].unique()) == {
        "login", "feature_used", "conversation_handled", "conversation_automated", "blocked_feature_attempt",
    }  # fmt: skip
    with_feature = events["event_type"].is_in(["feature_used", "blocked_feature_attempt"])
    assert (events.filter(with_feature)["feature_key"].is_not_null()).all()
    assert (events.filter(~with_feature)["feature_key"].is_null()).all()
    assert events["event_id"].n_unique() == events.height
    assert str(events.schema["occurred_at"]) == "Datetime(time_unit='us', time_zone='UTC')"


def test_tickets_carry_priorities_escalations_competitors_and_both_csat_styles(
    out_dir: Path,
) -> None:
    tickets = {}
    ratings = {}
    # Every status a version of a ticket was delivered in ("new" lasts until the first reply, so few
    # tickets end a history in it).
    statuses = set()
    for drop in drops(out_dir, "ticketing"):
        versions = [t for _l, t in jsonl(drop / "tickets.jsonl") if t]
        statuses |= {t["status"] for t in versions}
        tickets.update({t["id"]: t for t in versions})
        ratings.update({r["id"]: r for _l, r in jsonl(drop / "satisfaction_ratings.jsonl") if r})
    assert {t["priority"] for t in tickets.values()} == {"urgent", "high", "normal", "low"}
    assert {"new", "open", "solved", "closed"} <= statuses
    assert any("escalated" in t["tags"] for t in tickets.values())
    texts = [t["subject"] + " " + t["description"] for t in tickets.values()]
    assert any(
        name in text
        for text in texts
        for name in ("Intercom", "Drift", "Ada", "Zendesk Answer Bot")
    )
    assert any("@" in text for text in texts)
    assert {"good", "bad", "offered"} <= {r["score"] for r in ratings.values()}
    numeric = [r["rating"] for r in ratings.values() if r.get("rating") is not None]
    assert numeric and set(numeric) <= {1, 2, 3, 4, 5}
    assert all(r["ticket_id"] in tickets for r in ratings.values())


@pytest.mark.parametrize("bad", [{"api_version": "2019"}, {"flaw_rate": 0.9}, {"accounts": 0}])
def test_invalid_arguments_are_refused_with_a_message(tmp_path: Path, bad: dict) -> None:
    with pytest.raises(ValueError, match="must"):
        generate_drops(tmp_path / "x", **{"accounts": 10, "months": 2, **bad})
