"""Stripe billing per account: trials, subscriptions, renewals, plan and seat changes, dunning,
cancellations and reactivations, driven by the account's latent health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthetic.billing_changes import BillingChange, interval_at_renewal, period_changes
from synthetic.calendar import SECONDS_PER_DAY, SimCalendar, add_months
from synthetic.catalog import CANCELLATION_FEEDBACK, FAILURE_WEIGHTS, FAILURES, PLANS, TRIAL_DAYS
from synthetic.ids import IdFactory
from synthetic.population import Population
from synthetic.revenue_truth import RevenueTruth, SubscriptionRecord
from synthetic.sinks import DropWriter
from synthetic.stripe_objects import (
    Attempt,
    Charge,
    Invoice,
    InvoiceLine,
    PriceBook,
    SubscriptionStatic,
    charge_object,
    customer_object,
    deleted_customer,
    discount_object,
    invoice_object,
    refund_object,
    subscription_object,
    unit_amount,
)

RETRY_DAYS = (3, 7, 14)
DISCOUNT_SHARE = 0.04
DISCOUNT_PERCENT = 20  # the LOYAL20 coupon of stripe_objects.discount_object
REFUND_SHARE = 0.01


@dataclass
class AccountTimeline:
    """What billing decided for one account, for the other sources and the ground truth."""

    customer_id: str
    customer_created: int
    app_intervals: list[tuple[int, int]] = field(default_factory=list)
    paid_intervals: list[tuple[int, int | None]] = field(default_factory=list)
    plan_versions: list[tuple[int, int, int]] = field(default_factory=list)
    deleted_day: int | None = None
    trial_outcome: str = "no_trial"
    failed_payment_days: list[int] = field(default_factory=list)


@dataclass
class _Ids:
    cus: IdFactory
    sub: IdFactory
    si: IdFactory
    inv: IdFactory
    il: IdFactory
    ch: IdFactory
    re: IdFactory
    di: IdFactory


class BillingSimulator:
    """Simulates every account's Stripe history and writes the Stripe objects."""

    def __init__(
        self,
        cal: SimCalendar,
        pop: Population,
        writer: DropWriter,
        prices: PriceBook,
        rng: np.random.Generator,
    ) -> None:
        self.cal = cal
        self.pop = pop
        self.writer = writer
        self.prices = prices
        self.rng = rng
        self.ids = _Ids(
            *(
                IdFactory(p, rng, 10)
                for p in ("cus_", "sub_", "si_", "in_", "il_", "ch_", "re_", "di_")
            )
        )
        self.end_ts = cal.ts(cal.last_day + 1) - 1
        self.coupon_created = cal.start_ts - 400 * SECONDS_PER_DAY
        self.truth = RevenueTruth(cal, self.end_ts)
        self.changes: list[BillingChange] = []

    # -- helpers -----------------------------------------------------------------------------

    def _health(self, a: int, ts: int) -> float:
        month = self.cal.month_index(self.cal.day_of_ts(min(ts, self.end_ts)))
        return float(self.pop.health[a, month])

    def _day(self, ts: int) -> int:
        return self.cal.day_of_ts(ts)

    def _add_period(self, ts: int, interval: str, anchor: int) -> int:
        base = dt.datetime.fromtimestamp(ts, dt.UTC)
        nxt = add_months(base.date(), 12 if interval == "year" else 1, anchor)
        return int(dt.datetime.combine(nxt, base.time(), dt.UTC).timestamp())

    def _random_ts_between(self, start: int, end: int) -> int:
        return int(start + self.rng.integers(0, max(1, end - start)))

    # -- the account loop --------------------------------------------------------------------

    def run(self, progress: Any) -> list[AccountTimeline]:
        timelines = []
        n = self.pop.n
        step = max(1, n // 10)
        for a in range(n):
            if a % step == 0:
                progress(f"simulating billing for accounts {a + 1}-{min(n, a + step)} of {n}")
            timelines.append(self._account(a))
        return timelines

    def _account(self, a: int) -> AccountTimeline:
        pop, cal, rng = self.pop, self.cal, self.rng
        signup = int(pop.signup_day[a])
        created = cal.ts(signup, int(rng.integers(6 * 3600, 20 * 3600)))
        cus_id = self.ids.cus.next()
        tl = AccountTimeline(customer_id=cus_id, customer_created=created)
        currency = pop.currency_code(a)
        state = {"tier": int(pop.tier0[a]), "seats": int(pop.seats0[a])}
        state["interval"] = "year" if pop.annual0[a] else "month"
        start_ts = created
        first = True
        invoice_seq = [0]
        while start_ts <= self.end_ts:
            end_ts, paid_start = self._subscription(
                a, tl, cus_id, currency, state, start_ts, first, invoice_seq
            )
            first = False
            if end_ts is None:
                break
            if paid_start is None and tl.trial_outcome != "incomplete_expired":
                break
            if paid_start is None:
                # A first payment that failed: most customers try again the next day.
                if rng.random() < 0.6:
                    start_ts = end_ts + int(rng.integers(3600, SECONDS_PER_DAY))
                    continue
                break
            gap_months = int(rng.geometric(0.035))
            restart = (
                end_ts
                + gap_months * 30 * SECONDS_PER_DAY
                + int(rng.integers(0, 30 * SECONDS_PER_DAY))
            )
            if restart > self.end_ts or rng.random() < 0.45:
                if rng.random() < 0.3:
                    deleted = self._day(end_ts) + int(rng.integers(60, 200))
                    if deleted <= cal.last_day:
                        tl.deleted_day = deleted
                break
            start_ts = restart
            # Customers who come back usually start smaller and healthier.
            state["seats"] = max(1, int(round(state["seats"] * rng.uniform(0.6, 1.0))))
            pop.health[a, cal.month_index(self._day(restart)) :] = np.clip(
                pop.health[a, cal.month_index(self._day(restart)) :] + 0.2, 0.02, 0.98
            )
        self._emit_customer(a, tl, currency)
        return tl

    def _emit_customer(self, a: int, tl: AccountTimeline, currency: str) -> None:
        pop = self.pop
        obj = customer_object(
            tl.customer_id,
            tl.customer_created,
            currency,
            pop.billing_email[a],
            pop.names[a],
            pop.account_ids[a],
            f"{pop.account_ids[a][4:].upper()}",
        )
        days = [self._day(tl.customer_created)]
        if tl.deleted_day is not None:
            days.append(tl.deleted_day)
        deleted_id = deleted_customer(tl.customer_id)

        def state_at(day: int) -> dict[str, Any]:
            if tl.deleted_day is not None and day >= tl.deleted_day:
                return deleted_id
            return obj

        def touch(payload: dict[str, Any], day: int) -> tuple[dict[str, Any], str]:
            if payload.get("deleted"):
                return payload, "deleted customer re-sent"
            newer = dict(payload)
            newer["email"] = "billing+" + str(payload["email"])
            return newer, f"email changed to {newer['email']}"

        self.writer.emit("stripe", "customers", tl.customer_id, days, state_at, touch=touch)

    # -- one subscription --------------------------------------------------------------------

    def _subscription(
        self,
        a: int,
        tl: AccountTimeline,
        cus_id: str,
        currency: str,
        state: dict[str, Any],
        created: int,
        first: bool,
        invoice_seq: list[int],
    ) -> tuple[int | None, int | None]:
        """Simulate one subscription; returns (end time or None if still open, paid start)."""
        rng, pop = self.rng, self.pop
        sub_id, si_id = self.ids.sub.next(), self.ids.si.next()
        discount = None
        if rng.random() < DISCOUNT_SHARE:
            discount = discount_object(
                self.ids.di.next(), cus_id, sub_id, created, self.coupon_created
            )
        static = SubscriptionStatic(
            sub_id=sub_id,
            si_id=si_id,
            customer=cus_id,
            created=created,
            currency=currency,
            discount=discount,
            metadata={"account_id": pop.account_ids[a]},
        )
        snaps: list[tuple[int, dict[str, Any]]] = []
        snap: dict[str, Any] = {
            "status": "active",
            "tier": state["tier"],
            "interval": state["interval"],
            "seats": state["seats"],
            "cps": created,
            "cpe": created,
            "anchor": created,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "ended_at": None,
            "reason": None,
            "feedback": None,
            "comment": None,
            "trial_start": None,
            "trial_end": None,
            "latest_invoice": None,
        }
        invoices: list[Invoice] = []
        charges: list[Charge] = []
        history = SubscriptionRecord(
            a, cus_id, currency, DISCOUNT_PERCENT if discount else 0, snaps, []
        )

        def record(ts: int, **changes: Any) -> None:
            snap.update(changes)
            snaps.append((ts, dict(snap)))
            if "tier" in changes or "seats" in changes or len(snaps) == 1:
                tl.plan_versions.append((ts, snap["tier"], snap["seats"]))

        def new_invoice(
            ts: int, reason: str, lines: list[InvoiceLine], p_start: int, p_end: int
        ) -> Invoice:
            invoice_seq[0] += 1
            inv = Invoice(
                inv_id=self.ids.inv.next(),
                number=f"{pop.account_ids[a][4:].upper()}-{invoice_seq[0]:04d}",
                customer=cus_id,
                customer_email=pop.billing_email[a],
                sub_id=sub_id,
                si_id=si_id,
                currency=currency,
                created=ts,
                billing_reason=reason,
                period_start=p_start,
                period_end=p_end,
                lines=lines,
                discount_id=discount["id"] if discount else None,
            )
            invoices.append(inv)
            history.invoices.append(inv)
            snap["latest_invoice"] = inv.inv_id
            return inv

        def line(
            amount: int,
            p_start: int,
            p_end: int,
            proration: bool,
            desc: str,
            seats: int,
            tier: int,
            interval: str,
        ) -> InvoiceLine:
            # Proration lines carry amounts net of the discount (Stripe's default, "included").
            disc = (
                int(round(amount * DISCOUNT_PERCENT / 100))
                if discount and amount > 0 and not proration
                else 0
            )
            return InvoiceLine(
                self.ids.il.next(),
                amount,
                p_start,
                p_end,
                proration,
                seats,
                tier,
                interval,
                desc,
                disc,
            )

        def cycle_line(p_start: int, p_end: int) -> InvoiceLine:
            tier, seats, interval = snap["tier"], snap["seats"], snap["interval"]
            amount = unit_amount(currency, tier, interval) * seats
            name = PLANS[tier].title()
            return line(
                amount,
                p_start,
                p_end,
                False,
                f"{seats} × {name} (per {interval})",
                seats,
                tier,
                interval,
            )

        def pay(inv: Invoice, h: float, force_ok: bool = False) -> int | None:
            """Charge the invoice with retries; returns the time it ended unpaid, else None."""
            first_try = inv.finalized_at + 60
            times = [first_try] + [first_try + d * SECONDS_PER_DAY for d in RETRY_DAYS]
            p_fail_first = 0.02 + 0.2 * (1.0 - h) ** 2
            p_recover = 0.4 + 0.35 * h
            for i, ts in enumerate(times):
                if ts > self.end_ts:
                    return None
                failed = not force_ok and (
                    rng.random() < p_fail_first if i == 0 else rng.random() > p_recover
                )
                failure = None
                if failed:
                    failure = FAILURES[int(rng.choice(len(FAILURES), p=FAILURE_WEIGHTS))]
                ch = Charge(
                    ch_id=self.ids.ch.next(),
                    customer=cus_id,
                    inv_id=inv.inv_id,
                    amount=inv.total,
                    currency=currency,
                    created=ts,
                    failure=failure,
                    description="Subscription creation"
                    if inv.billing_reason == "subscription_create"
                    else "Subscription update",
                    risk_score=int(rng.integers(5, 60)),
                )
                charges.append(ch)
                inv.attempts.append(Attempt(ts, ch.ch_id, not failed))
                if not failed:
                    inv.paid_at = ts
                    if rng.random() < REFUND_SHARE:
                        ch.refund_id = self.ids.re.next()
                        ch.refund_amount = (
                            ch.amount if rng.random() < 0.5 else max(1, ch.amount // 4)
                        )
                        ch.refund_at = ts + int(rng.integers(1, 20)) * SECONDS_PER_DAY
                    if i > 0 and snap["status"] == "past_due":
                        record(ts, status="active")
                    return None
                tl.failed_payment_days.append(self._day(ts))
                if i == 0 and snap["status"] == "active":
                    record(ts, status="past_due")
            return times[-1]

        h0 = self._health(a, created)
        first_ts = created
        if first and pop.trial[a]:
            trial_end = created + TRIAL_DAYS * SECONDS_PER_DAY
            record(
                created,
                status="trialing",
                cps=created,
                cpe=trial_end,
                anchor=trial_end,
                trial_start=created,
                trial_end=trial_end,
            )
            trial_line = line(
                0,
                created,
                trial_end,
                False,
                f"Trial period for {PLANS[snap['tier']].title()}",
                snap["seats"],
                snap["tier"],
                snap["interval"],
            )
            inv = new_invoice(created, "subscription_create", [trial_line], created, created)
            inv.paid_at = inv.finalized_at
            self._emit_invoices(invoices, charges)
            invoices.clear()
            if rng.random() > 0.3 + 0.6 * h0:
                tl.trial_outcome = "lapsed"
                if rng.random() < 0.5:
                    end = (
                        created
                        + int(rng.integers(2, TRIAL_DAYS)) * SECONDS_PER_DAY
                        + int(rng.integers(0, 3600 * 8))
                    )
                else:
                    end = trial_end
                if end <= self.end_ts:
                    feedback = str(rng.choice(CANCELLATION_FEEDBACK))
                    record(
                        end,
                        status="canceled",
                        canceled_at=end,
                        ended_at=end,
                        reason="cancellation_requested",
                        feedback=feedback,
                    )
                tl.app_intervals.append(
                    (self._day(created), min(self._day(end), self.cal.last_day))
                )
                self._emit_subscription(static, snaps)
                self.truth.add(history)
                return (end if end <= self.end_ts else None), None
            tl.trial_outcome = "converted"
            first_ts = trial_end
        else:
            interval = snap["interval"]
            cpe = self._add_period(
                created, interval, dt.datetime.fromtimestamp(created, dt.UTC).day
            )
            if first and rng.random() < 0.05:
                # The first payment fails: the subscription stays incomplete, then expires.
                record(created, status="incomplete", cps=created, cpe=cpe, anchor=created)
                inv = new_invoice(
                    created, "subscription_create", [cycle_line(created, cpe)], created, created
                )
                ts = inv.finalized_at + 60
                failure = FAILURES[0]
                ch = Charge(
                    self.ids.ch.next(),
                    cus_id,
                    inv.inv_id,
                    inv.total,
                    currency,
                    ts,
                    failure,
                    "Subscription creation",
                    int(rng.integers(5, 60)),
                )
                charges.append(ch)
                inv.attempts.append(Attempt(ts, ch.ch_id, False))
                tl.failed_payment_days.append(self._day(ts))
                expired = created + 23 * 3600
                inv.voided_at = expired
                record(expired, status="incomplete_expired", ended_at=expired)
                tl.trial_outcome = "incomplete_expired"
                tl.app_intervals.append(
                    (self._day(created), min(self._day(expired), self.cal.last_day))
                )
                self._emit_invoices(invoices, charges)
                self._emit_subscription(static, snaps)
                self.truth.add(history)
                return (expired if expired <= self.end_ts else None), None
        app_start = self._day(created)
        anchor_day = dt.datetime.fromtimestamp(first_ts, dt.UTC).day
        period_start = first_ts
        pending: dict[str, Any] = {}
        ended: int | None = None
        paid_start = first_ts
        is_first_period = True
        while period_start <= self.end_ts:
            interval = pending.pop("interval", snap["interval"])
            changes = {"interval": interval, **pending}
            pending = {}
            self._log_period_changes(a, cus_id, sub_id, period_start, snap, changes)
            period_end = self._add_period(period_start, interval, anchor_day)
            if is_first_period and snap["status"] != "trialing" and not snaps:
                record(
                    period_start,
                    status="active",
                    cps=period_start,
                    cpe=period_end,
                    anchor=period_start,
                    **changes,
                )
            else:
                status = "active" if snap["status"] in ("trialing", "active") else snap["status"]
                record(period_start, status=status, cps=period_start, cpe=period_end, **changes)
            reason = (
                "subscription_create"
                if is_first_period and not snap["trial_end"]
                else "subscription_cycle"
            )
            prev_start = (
                snaps[-2][1]["cps"] if len(snaps) > 1 and not is_first_period else period_start
            )
            inv = new_invoice(
                period_start,
                reason,
                [cycle_line(period_start, period_end)],
                prev_start,
                period_start,
            )
            h = self._health(a, period_start)
            unpaid_at = pay(inv, h)
            is_first_period = False
            if unpaid_at is not None:
                if rng.random() < 0.75:
                    inv.uncollectible_at = unpaid_at
                    record(
                        unpaid_at,
                        status="canceled",
                        canceled_at=unpaid_at,
                        ended_at=unpaid_at,
                        reason="payment_failed",
                    )
                else:
                    record(unpaid_at, status="unpaid")
                ended = unpaid_at
                break
            cancel_requested = False
            slots = 12 if interval == "year" else 1
            for k in range(slots):
                slot_start = (
                    period_start if k == 0 else self._add_period_months(period_start, k, anchor_day)
                )
                slot_end = (
                    period_end
                    if k == slots - 1
                    else self._add_period_months(period_start, k + 1, anchor_day)
                )
                if slot_start > self.end_ts:
                    break
                h = self._health(a, slot_start)
                when = self._random_ts_between(slot_start + 3600, slot_end - 3600)
                if rng.random() < 0.003 + 0.25 * (1.0 - h) ** 3:
                    if when <= self.end_ts:
                        feedback = str(rng.choice(CANCELLATION_FEEDBACK))
                        record(
                            when,
                            cancel_at_period_end=True,
                            cancel_at=period_end,
                            canceled_at=when,
                            reason="cancellation_requested",
                            feedback=feedback,
                        )
                    cancel_requested = True
                    break
                if when > self.end_ts:
                    continue
                tier, seats = snap["tier"], snap["seats"]
                if tier < 3 and rng.random() < 0.004 + 0.02 * h**2:
                    self._proration(
                        new_invoice,
                        line,
                        pay,
                        a,
                        when,
                        period_start,
                        period_end,
                        tier + 1,
                        seats,
                        snap,
                        history.discount_percent,
                    )
                    record(when, tier=tier + 1)
                    self._log(a, cus_id, sub_id, "upgrade", when, PLANS[tier], PLANS[tier + 1])
                elif rng.random() < 0.06 * h:
                    more = seats + max(1, int(round(seats * rng.uniform(0.1, 0.4))))
                    self._proration(
                        new_invoice,
                        line,
                        pay,
                        a,
                        when,
                        period_start,
                        period_end,
                        tier,
                        more,
                        snap,
                        history.discount_percent,
                    )
                    record(when, seats=more)
                    self._log(a, cus_id, sub_id, "seats_added", when, str(seats), str(more))
                elif tier > 0 and rng.random() < 0.04 * (1.0 - h) ** 2:
                    pending["tier"] = tier - 1
                elif seats > 1 and rng.random() < 0.05 * (1.0 - h):
                    pending["seats"] = max(
                        1, seats - max(1, int(round(seats * rng.uniform(0.1, 0.3))))
                    )
            if cancel_requested:
                if period_end <= self.end_ts:
                    record(period_end, status="canceled", ended_at=period_end)
                    ended = period_end
                break
            switch = interval_at_renewal(interval, rng)
            if switch is not None:
                pending["interval"] = switch
            period_start = period_end
        state.update({"tier": snap["tier"], "seats": snap["seats"], "interval": snap["interval"]})
        end_day = self.cal.last_day if ended is None else min(self._day(ended), self.cal.last_day)
        tl.app_intervals.append((app_start, end_day))
        tl.paid_intervals.append(
            (self._day(paid_start), None if ended is None else self._day(ended))
        )
        self._emit_invoices(invoices, charges)
        self._emit_subscription(static, snaps)
        self.truth.add(history)
        return ended, paid_start

    def _log(
        self, a: int, customer: str, sub_id: str, kind: str, ts: int, before: str, after: str
    ) -> None:
        """Note a change of plan, seats or interval for the ground truth."""
        if ts <= self.end_ts:
            self.changes.append(BillingChange(a, customer, sub_id, kind, ts, before, after))

    def _log_period_changes(
        self, a: int, customer: str, sub_id: str, ts: int, snap: dict, changes: dict
    ) -> None:
        """Note the changes a new period brings (interval, a downgrade, fewer seats)."""
        if ts <= self.end_ts:
            self.changes += period_changes(a, customer, sub_id, ts, snap, changes)

    def _add_period_months(self, ts: int, months: int, anchor: int) -> int:
        base = dt.datetime.fromtimestamp(ts, dt.UTC)
        nxt = add_months(base.date(), months, anchor)
        return int(dt.datetime.combine(nxt, base.time(), dt.UTC).timestamp())

    def _proration(
        self,
        new_invoice: Any,
        line: Any,
        pay: Any,
        a: int,
        when: int,
        p_start: int,
        p_end: int,
        new_tier: int,
        new_seats: int,
        snap: dict[str, Any],
        percent: int,
    ) -> None:
        """An immediate upgrade or seat increase: credit the unused time, charge the new price
        (both net of the subscription's discount, as Stripe shows prorations by default)."""
        currency = self.pop.currency_code(a)
        share = (p_end - when) / max(1, p_end - p_start) * (1 - percent / 100)
        old_amount = unit_amount(currency, snap["tier"], snap["interval"]) * snap["seats"]
        new_amount = unit_amount(currency, new_tier, snap["interval"]) * new_seats
        old_name, new_name = PLANS[snap["tier"]].title(), PLANS[new_tier].title()
        lines = [
            line(
                -int(round(old_amount * share)),
                when,
                p_end,
                True,
                f"Unused time on {snap['seats']} × {old_name}",
                snap["seats"],
                snap["tier"],
                snap["interval"],
            ),
            line(
                int(round(new_amount * share)),
                when,
                p_end,
                True,
                f"Remaining time on {new_seats} × {new_name}",
                new_seats,
                new_tier,
                snap["interval"],
            ),
        ]
        inv = new_invoice(when, "subscription_update", lines, when, when)
        if inv.total > 0:
            pay(inv, 1.0, force_ok=True)
        else:
            inv.paid_at = inv.finalized_at

    # -- emitting ----------------------------------------------------------------------------

    def _emit_subscription(
        self, static: SubscriptionStatic, snaps: list[tuple[int, dict[str, Any]]]
    ) -> None:
        stamps = [ts for ts, _ in snaps if ts <= self.end_ts]
        days = [self._day(ts) for ts in stamps]
        cal = self.cal

        def state_at(day: int) -> dict[str, Any]:
            limit = cal.ts(day + 1) - 1
            current = snaps[0][1]
            for ts, s in snaps:
                if ts <= limit:
                    current = s
            return subscription_object(static, current, self.prices)

        self.writer.emit("stripe", "subscriptions", static.sub_id, days, state_at)

    def _emit_invoices(self, invoices: list[Invoice], charges: list[Charge]) -> None:
        cal, api = self.cal, self.prices.api
        for inv in invoices:
            days = [self._day(ts) for ts in inv.change_timestamps() if ts <= self.end_ts]
            self.writer.emit(
                "stripe",
                "invoices",
                inv.inv_id,
                days,
                lambda day, inv=inv: invoice_object(inv, cal.ts(day + 1) - 1, self.prices),
            )
        for ch in charges:
            days = [self._day(ch.created)]
            if ch.refund_at and ch.refund_at <= self.end_ts:
                days.append(self._day(ch.refund_at))
            self.writer.emit(
                "stripe",
                "charges",
                ch.ch_id,
                days,
                lambda day, ch=ch: charge_object(ch, cal.ts(day + 1) - 1, api),
            )
            if ch.refund_id and ch.refund_at and ch.refund_at <= self.end_ts:
                self.writer.emit(
                    "stripe",
                    "refunds",
                    ch.refund_id,
                    [self._day(ch.refund_at)],
                    lambda day, ch=ch: refund_object(ch),
                )
