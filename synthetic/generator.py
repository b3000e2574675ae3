"""`generate_drops`: the whole synthetic source-drop tree plus its ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthetic.app_db import (
    ACCOUNT_COLUMNS,
    CS_ACTIVITY_COLUMNS,
    CSM_COLUMNS,
    NPS_RESPONSE_COLUMNS,
    NPS_SEND_COLUMNS,
    ONBOARDING_COLUMNS,
    USER_COLUMNS,
    AppDbSimulator,
)
from synthetic.billing import AccountTimeline, BillingSimulator
from synthetic.billing_changes import draw_multi_year_terms, write_billing_changes
from synthetic.calendar import SimCalendar
from synthetic.catalog import CURRENCIES, FX_DAILY_SIGMA, FX_START, PLANS, SEGMENTS
from synthetic.cs_tasks import CS_TASK_COLUMNS, CsTaskSimulator
from synthetic.population import Population, draw_population
from synthetic.renewal_truth import write_renewals_truth
from synthetic.sinks import DropWriter, TableSpec
from synthetic.stripe_objects import API_VERSIONS, PriceBook
from synthetic.ticketing import TicketingSimulator
from synthetic.usage import EVENTS_SCHEMA, write_events

SOURCES = ("stripe", "app_db", "ticketing", "fx_rates")

TABLES = [
    TableSpec("stripe", "customers", "jsonl"),
    TableSpec("stripe", "subscriptions", "jsonl"),
    TableSpec("stripe", "invoices", "jsonl"),
    TableSpec("stripe", "charges", "jsonl"),
    TableSpec("stripe", "refunds", "jsonl"),
    TableSpec("app_db", "accounts", "csv", ACCOUNT_COLUMNS, "segment", "unknown_segment"),
    TableSpec("app_db", "users", "csv", USER_COLUMNS, "created_at", "2025-02-30T25:61:00Z"),
    TableSpec(
        "app_db", "onboarding_steps", "csv", ONBOARDING_COLUMNS, "program_id", "unknown-program"
    ),
    TableSpec(
        "app_db", "nps_survey_sends", "csv", NPS_SEND_COLUMNS, "sent_at", "2025-13-01T00:00:00Z"
    ),
    TableSpec("app_db", "nps_responses", "csv", NPS_RESPONSE_COLUMNS, "score", "11"),
    TableSpec(
        "app_db", "cs_activities", "csv", CS_ACTIVITY_COLUMNS, "activity_type", "coffee_chat"
    ),
    TableSpec("app_db", "csms", "csv", CSM_COLUMNS, malformed=False),
    TableSpec("app_db", "cs_tasks", "csv", CS_TASK_COLUMNS, "outcome", "finished"),
    TableSpec("app_db", "events", "parquet"),
    TableSpec("ticketing", "tickets", "jsonl"),
    TableSpec("ticketing", "satisfaction_ratings", "jsonl"),
    TableSpec("ticketing", "organizations", "jsonl"),
    TableSpec("fx_rates", "fx_rates", "csv", ("date", "currency", "rate"), malformed=False),
]
FLAW_KINDS = (
    "a_repeated_update",
    "b_late_update",
    "c_malformed",
    "d_orphan_organization",
    "e_plan_mismatch",
)


@dataclass
class GenerationSummary:
    """What a generation run wrote, for the CLI to print and tests to check."""

    out_dir: Path
    ground_truth_dir: Path
    drop_dates: list[dt.date]
    row_counts: dict[tuple[str, dt.date, str], int]
    n_accounts: int
    n_events: int
    flaw_counts: dict[str, int] = field(default_factory=dict)
    api_version: str = "current"

    def total_rows(self, source: str, filename: str) -> int:
        return sum(c for (s, _d, f), c in self.row_counts.items() if s == source and f == filename)


def _quiet(_message: str) -> None:
    return None


def generate_drops(
    out_dir: Path,
    *,
    accounts: int = 2000,
    months: int = 24,
    seed: int = 7,
    api_version: str = "current",
    flaw_rate: float = 0.005,
    incremental_days: int = 14,
    end_date: dt.date = dt.date(2026, 11, 20),
    ground_truth_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write deterministic synthetic Stripe, app-database, ticketing and FX drops under out_dir.

    The same arguments always give byte-identical files. The ground truth (latent health, churn,
    billed plans, injected flaws) goes to a sibling folder, never into the extracts.
    """
    out_dir = Path(out_dir)
    if api_version not in API_VERSIONS:
        raise ValueError(
            f"api_version must be one of {', '.join(API_VERSIONS)}, not {api_version!r}"
        )
    if accounts < 1 or months < 1 or incremental_days < 0:
        raise ValueError("accounts and months must be at least 1 and incremental_days not negative")
    if not 0.0 <= flaw_rate < 0.5:
        raise ValueError(f"flaw_rate must be in [0, 0.5), not {flaw_rate}")
    if ground_truth_dir is None:
        ground_truth_dir = out_dir.parent / (out_dir.name + "_ground_truth")
    ground_truth_dir = Path(ground_truth_dir)
    say = progress or _quiet
    cal = SimCalendar.build(end_date, months, incremental_days)
    # spawn(8)'s first seven children are spawn(7)'s: the cs_tasks stream leaves the others as they were
    seeds = np.random.SeedSequence(seed).spawn(8)
    rng_pop, rng_bill, rng_app, rng_usage, rng_tix, rng_fx, rng_flaw, rng_tasks = (
        np.random.default_rng(s) for s in seeds
    )

    say(f"drawing {accounts} accounts over {cal.start} to {cal.end}")
    pop = draw_population(accounts, cal, rng_pop)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = DropWriter(out_dir, cal, TABLES, flaw_rate, rng_flaw, EVENTS_SCHEMA)
    price_ids = {
        (cur, tier, interval): f"price_csw{cur}{PLANS[tier]}{interval}"
        for cur in CURRENCIES
        for tier in range(4)
        for interval in ("month", "year", "year3")
    }
    prices = PriceBook(price_ids, cal.start_ts - 500 * 86_400, api_version)
    # A stream of its own (the ninth child: the eighth is the cs_tasks stream), so that every
    # other draw stays as it was.
    rng_terms = np.random.default_rng(np.random.SeedSequence(seed).spawn(9)[8])
    billing = BillingSimulator(
        cal, pop, writer, prices, rng_bill, multi_year=draw_multi_year_terms(pop, rng_terms)
    )
    timelines = billing.run(say)
    _choose_plan_mismatches(pop, timelines, writer)

    say("writing app database tables")
    app = AppDbSimulator(cal, pop, timelines, writer, rng_app)
    app.write_csms()
    app.write_accounts()
    users = app.write_users()
    app.write_onboarding()
    app.write_nps(users)
    app.write_cs_activities()
    # Before the events and tickets: a playbook followed lifts the latent health they are drawn from.
    tasks = CsTaskSimulator(cal, pop, timelines, writer, app.csm_of, app.csm_ids, rng_tasks)
    tasks.write()
    n_events = write_events(cal, pop, timelines, users, writer, rng_usage, say)
    say("writing tickets")
    TicketingSimulator(cal, pop, timelines, users, writer, rng_tix).write()
    fx_rates = _write_fx(cal, writer, rng_fx)
    writer.close(say)

    say(f"writing ground truth to {ground_truth_dir}")
    flaw_counts = _write_ground_truth(
        ground_truth_dir,
        cal,
        pop,
        timelines,
        writer,
        {
            "accounts": accounts,
            "months": months,
            "seed": seed,
            "api_version": api_version,
            "flaw_rate": flaw_rate,
            "incremental_days": incremental_days,
            "end_date": end_date.isoformat(),
            "start_date": cal.start.isoformat(),
            "initial_drop": cal.initial_drop.isoformat(),
        },
        n_events,
    )
    _write_revenue_truth(ground_truth_dir, cal, pop, billing, fx_rates)
    tasks.write_truth(ground_truth_dir)
    return GenerationSummary(
        out_dir=out_dir,
        ground_truth_dir=ground_truth_dir,
        drop_dates=cal.drop_dates(),
        row_counts=dict(writer.row_counts),
        n_accounts=accounts,
        n_events=n_events,
        flaw_counts=flaw_counts,
        api_version=api_version,
    )


def _choose_plan_mismatches(
    pop: Population, timelines: list[AccountTimeline], writer: DropWriter
) -> None:
    """Flaw (e): the database shows a neighbouring plan for a few accounts."""
    for a, tl in enumerate(timelines):
        tiers = [int(pop.tier0[a])] + [t for _ts, t, _s in tl.plan_versions]
        if not writer.chance():
            continue
        if max(tiers) < 3:
            pop.db_plan_offset[a] = 1
        elif min(tiers) > 0:
            pop.db_plan_offset[a] = -1


def _write_fx(
    cal: SimCalendar, writer: DropWriter, rng: np.random.Generator
) -> dict[str, list[str]]:
    """Daily rates to USD for every non-USD currency, on every day of the period; returns them as
    written (currency → the rate of each day, as text)."""
    written: dict[str, list[str]] = {}
    for currency in CURRENCIES:
        if currency == "usd":
            continue
        steps = rng.normal(0.0, FX_DAILY_SIGMA, size=cal.n_days)
        rates = FX_START[currency] * np.exp(np.cumsum(steps) - steps[0])
        written[currency] = [f"{rates[day]:.6f}" for day in range(cal.n_days)]
        for day in range(cal.n_days):
            row = [cal.date(day).isoformat(), currency.upper(), written[currency][day]]
            writer.emit("fx_rates", "fx_rates", f"{day}/{currency}", [day], lambda d, row=row: row)
    return written


def _write_revenue_truth(
    gt: Path,
    cal: SimCalendar,
    pop: Population,
    billing: BillingSimulator,
    fx_rates: dict[str, list[str]],
) -> None:
    """mrr_truth.csv, mrr_movements_truth.csv (synthetic/revenue_truth.py), billing_changes.csv
    and renewals_truth.csv (synthetic/renewal_truth.py), valued in USD at the rates the fx_rates
    drops carry."""

    def rate_of(currency: str, day: dt.date) -> Decimal:
        if currency == "usd":
            return Decimal(1)
        return Decimal(fx_rates[currency][cal.day_of(day)])

    billing.truth.write(gt, pop.account_ids, rate_of)
    write_billing_changes(gt / "billing_changes.csv", cal, pop.account_ids, billing.changes)
    write_renewals_truth(gt / "renewals_truth.csv", billing.truth, pop.account_ids, rate_of)


def _write_ground_truth(
    gt: Path,
    cal: SimCalendar,
    pop: Population,
    timelines: list[AccountTimeline],
    writer: DropWriter,
    args: dict[str, object],
    n_events: int,
) -> dict[str, int]:
    gt.mkdir(parents=True, exist_ok=True)
    months = cal.month_starts()
    signup_month = cal.month_index_of_days(pop.signup_day)
    acc_col, month_col, health_col = [], [], []
    for m, month_start in enumerate(months):
        live = np.flatnonzero(signup_month <= m)
        acc_col.extend(pop.account_ids[a] for a in live)
        month_col.extend([month_start] * live.size)
        health_col.append(pop.health[live, m])
    table = pa.table(
        {
            "account_id": pa.array(acc_col, pa.string()),
            "month": pa.array(month_col, pa.date32()),
            "latent_health": pa.array(
                np.concatenate(health_col) if health_col else [], pa.float64()
            ),
        }
    )
    pq.write_table(table, gt / "latent_health.parquet", compression="zstd")

    with (gt / "churn_events.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["account_id", "churned_on", "reactivated_on"])
        for a, tl in enumerate(timelines):
            paid = tl.paid_intervals
            for i, (_start, end) in enumerate(paid):
                if end is None:
                    continue
                again = paid[i + 1][0] if i + 1 < len(paid) else None
                out.writerow(
                    [
                        pop.account_ids[a],
                        cal.date(end).isoformat(),
                        cal.date(again).isoformat() if again is not None else "",
                    ]
                )

    with (gt / "accounts_truth.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(
            [
                "account_id",
                "stripe_customer_id",
                "segment",
                "billed_plan",
                "database_plan",
                "currency",
                "signup_date",
                "trial_outcome",
                "ever_paid",
                "deleted_on",
            ]
        )
        for a, tl in enumerate(timelines):
            tier = tl.plan_versions[-1][1] if tl.plan_versions else int(pop.tier0[a])
            out.writerow(
                [
                    pop.account_ids[a],
                    tl.customer_id,
                    SEGMENTS[int(pop.segment[a])],
                    PLANS[tier],
                    PLANS[tier + int(pop.db_plan_offset[a])],
                    pop.currency_code(a),
                    cal.date(int(pop.signup_day[a])).isoformat(),
                    tl.trial_outcome,
                    "true" if tl.paid_intervals else "false",
                    cal.date(tl.deleted_day).isoformat() if tl.deleted_day is not None else "",
                ]
            )

    flaws = sorted(
        writer.flaws, key=lambda f: (f["kind"], f["source"], f["drop_date"], f["file"], f["line"])
    )
    with (gt / "flaws.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(
            handle,
            ["kind", "source", "drop_date", "file", "line", "record_id", "detail"],
            lineterminator="\n",
        )
        out.writeheader()
        out.writerows(flaws)
    counts = {kind: sum(1 for f in flaws if f["kind"] == kind) for kind in FLAW_KINDS}
    record_counts: dict[str, int] = {}
    for (source, _drop, filename), rows in sorted(writer.row_counts.items()):
        key = f"{source}/{filename}"
        record_counts[key] = record_counts.get(key, 0) + rows
    generation = {
        "generator": "cs-warehouse synthetic",
        "arguments": args,
        "drop_dates": [d.isoformat() for d in cal.drop_dates()],
        "n_events": n_events,
        "flaw_counts": counts,
        "rows_per_file": record_counts,
        "paying_accounts": int(sum(1 for tl in timelines if tl.paid_intervals)),
        "churn_events": int(
            sum(1 for tl in timelines for _s, e in tl.paid_intervals if e is not None)
        ),
        "mean_latent_health": round(float(np.mean(pop.health)), 6) if pop.n else math.nan,
    }
    (gt / "generation.json").write_text(json.dumps(generation, indent=2) + "\n", encoding="utf-8")
    return counts
