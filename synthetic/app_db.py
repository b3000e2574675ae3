"""Application-database tables: accounts, users, onboarding, NPS, CS activities and CSMs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthetic.billing import AccountTimeline
from synthetic.calendar import SECONDS_PER_DAY, SimCalendar, iso_utc
from synthetic.catalog import (
    ADVOCACY_STATUSES,
    MAX_USERS,
    NPS_COMMENTS,
    ONBOARDING_PROGRAMS,
    PERSON_FIRST,
    PERSON_LAST,
    PLAN_CONVERSATION_LIMIT,
    PLANS,
    PROGRAM_OF_SEGMENT,
    SEGMENTS,
    STEP_GAP_DAYS,
    USER_ROLES,
    USERS_PER_SEAT,
)
from synthetic.population import Population
from synthetic.sinks import DropWriter

ACCOUNT_COLUMNS = (
    "account_id", "name", "stripe_customer_id", "segment", "plan", "csm_id", "created_at",
    "seats", "plan_conversation_limit", "advocacy_status", "updated_at", "deleted_at",
)  # fmt: skip
USER_COLUMNS = (
    "user_id", "account_id", "email", "role", "created_at", "deactivated_at", "updated_at",
)  # fmt: skip
ONBOARDING_COLUMNS = ("account_id", "step_id", "program_id", "completed_at", "updated_at")
NPS_SEND_COLUMNS = ("send_id", "account_id", "user_id", "sent_at", "trigger")
NPS_RESPONSE_COLUMNS = (
    "response_id", "send_id", "account_id", "user_id", "score", "comment", "submitted_at",
    "followed_up_at",
)  # fmt: skip
CS_ACTIVITY_COLUMNS = ("activity_id", "account_id", "csm_id", "activity_type", "occurred_at")
CSM_COLUMNS = ("csm_id", "name", "email")


@dataclass
class Users:
    """Every user: index-aligned arrays used by the usage and ticketing simulations."""

    user_ids: list[str]
    account: np.ndarray
    created_day: np.ndarray
    deactivated_day: np.ndarray  # last_day + 1 when still active
    zendesk_id: np.ndarray
    first_of_account: np.ndarray  # index of each account's first user
    count_of_account: np.ndarray


def active_on(tl: AccountTimeline, day: int) -> bool:
    return any(start <= day <= end for start, end in tl.app_intervals)


class AppDbSimulator:
    def __init__(
        self,
        cal: SimCalendar,
        pop: Population,
        timelines: list[AccountTimeline],
        writer: DropWriter,
        rng: np.random.Generator,
    ) -> None:
        self.cal, self.pop, self.timelines, self.writer, self.rng = cal, pop, timelines, writer, rng
        n_csms = max(3, pop.n // 150)
        self.csm_ids = [f"csm_{i + 1:03d}" for i in range(n_csms)]
        has_csm = np.where(pop.segment >= 2, True, (pop.segment == 1) & (rng.random(pop.n) < 0.5))
        self.csm_of = np.where(has_csm, rng.integers(0, n_csms, size=pop.n), -1)
        self.end_ts = cal.ts(cal.last_day + 1) - 1

    def ts_iso(self, ts: int | None) -> str | None:
        return iso_utc(ts)

    # -- csms ------------------------------------------------------------------------------

    def write_csms(self) -> None:
        rng = self.rng
        for i, csm_id in enumerate(self.csm_ids):
            first = PERSON_FIRST[int(rng.integers(len(PERSON_FIRST)))]
            last = PERSON_LAST[int(rng.integers(len(PERSON_LAST)))]
            row = [
                csm_id,
                f"{first.title()} {last.title()}",
                f"{first}.{last}{i + 1}@cswarehouse.example",
            ]
            self.writer.emit("app_db", "csms", csm_id, [0], lambda day, row=row: row)

    # -- accounts --------------------------------------------------------------------------

    def write_accounts(self) -> None:
        pop, cal, rng, writer = self.pop, self.cal, self.rng, self.writer
        spec = writer.specs[("app_db", "accounts")]
        for a, tl in enumerate(self.timelines):
            account_id = pop.account_ids[a]
            created = tl.customer_created
            changes: list[tuple[int, str, Any]] = [
                (ts, "plan", (tier, seats)) for ts, tier, seats in tl.plan_versions
            ]
            paid = [
                m
                for m in range(pop.health.shape[1])
                if pop.health[a, m] > 0.85 and cal.month_index(int(pop.signup_day[a])) < m
            ]
            if paid and rng.random() < 0.3 and tl.paid_intervals:
                month_start = cal.month_starts()[paid[0]]
                day = max(cal.day_of(month_start), int(pop.signup_day[a]) + 1) + int(
                    rng.integers(0, 28)
                )
                status = ADVOCACY_STATUSES[int(rng.integers(len(ADVOCACY_STATUSES)))]
                changes.append(
                    (cal.ts(day, int(rng.integers(8 * 3600, 18 * 3600))), "advocacy", status)
                )
            if tl.deleted_day is not None:
                changes.append((cal.ts(tl.deleted_day, 3 * 3600), "deleted", None))
            changes = [c for c in changes if c[0] <= self.end_ts]
            changes.sort(key=lambda c: c[0])
            offset = int(pop.db_plan_offset[a])
            base = {
                "tier": int(pop.tier0[a]),
                "seats": int(pop.seats0[a]),
                "advocacy": None,
                "deleted": None,
                "updated": created,
            }
            states: list[tuple[int, dict[str, Any]]] = [(created, dict(base))]
            for ts, kind, value in changes:
                cur = dict(states[-1][1])
                if kind == "plan":
                    if (cur["tier"], cur["seats"]) == value:
                        continue
                    cur["tier"], cur["seats"] = value
                elif kind == "advocacy":
                    cur["advocacy"] = value
                else:
                    cur["deleted"] = ts
                cur["updated"] = max(ts, created)
                states.append((cur["updated"], cur))
            csm = self.csm_of[a]
            csm_id = self.csm_ids[csm] if csm >= 0 else None

            def row_of(
                s: dict[str, Any], a: int = a, csm_id: str | None = csm_id, offset: int = offset
            ) -> list[Any]:
                tier = s["tier"] + offset
                return [
                    pop.account_ids[a],
                    pop.names[a],
                    self.timelines[a].customer_id,
                    SEGMENTS[int(pop.segment[a])],
                    PLANS[tier],
                    csm_id,
                    iso_utc(self.timelines[a].customer_created),
                    s["seats"],
                    PLAN_CONVERSATION_LIMIT[tier],
                    s["advocacy"],
                    iso_utc(s["updated"]),
                    iso_utc(s["deleted"]),
                ]

            def state_at(
                day: int, states: list[tuple[int, dict[str, Any]]] = states, row_of: Any = row_of
            ) -> list[Any]:
                limit = cal.ts(day + 1) - 1
                current = states[0][1]
                for ts, s in states:
                    if ts <= limit:
                        current = s
                return row_of(current)

            def touch(row: list[Any], day: int) -> tuple[list[Any], str]:
                newer = list(row)
                newer[1] = f"{row[1]} Inc."
                newer[10] = iso_utc(cal.ts(day, int(rng.integers(3600, 80000))))
                return newer, f"name changed to {newer[1]!r}"

            days = [cal.day_of_ts(ts) for ts, _ in states]
            written = writer.emit("app_db", "accounts", account_id, days, state_at, touch=touch)
            if offset and written:
                billed = PLANS[states[-1][1]["tier"]]
                writer.log_flaw(
                    "e_plan_mismatch",
                    spec,
                    written[0][0],
                    written[0][1],
                    account_id,
                    f"database plan {PLANS[states[-1][1]['tier'] + offset]}, Stripe bills {billed}",
                )

    # -- users -----------------------------------------------------------------------------

    def write_users(self) -> Users:
        pop, cal, rng, writer = self.pop, self.cal, self.rng, self.writer
        counts = np.clip(np.ceil(pop.seats0 * USERS_PER_SEAT), 1, MAX_USERS).astype(np.int64)
        total = int(counts.sum())
        account = np.repeat(np.arange(pop.n), counts)
        first_of = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(total) - first_of[account]
        signup = pop.signup_day[account]
        created_day = np.where(rank == 0, signup, signup + rng.integers(0, 45, size=total))
        created_sec = rng.integers(7 * 3600, 19 * 3600, size=total)
        deactivate = (rank > 0) & (rng.random(total) < 0.12)
        deact_day = np.where(
            deactivate, created_day + rng.integers(30, 400, size=total), cal.last_day + 1
        )
        first_names = rng.integers(0, len(PERSON_FIRST), size=total)
        last_names = rng.integers(0, len(PERSON_LAST), size=total)
        roles = rng.integers(0, len(USER_ROLES), size=total)
        width = max(7, len(str(total)))
        user_ids = [f"usr_{i + 1:0{width}d}" for i in range(total)]
        for u in range(total):
            a = int(account[u])
            role = "admin" if rank[u] == 0 else USER_ROLES[int(roles[u])]
            email = f"{PERSON_FIRST[first_names[u]]}.{PERSON_LAST[last_names[u]]}{rank[u] + 1}@{pop.domains[a]}"
            created = cal.ts(int(created_day[u]), int(created_sec[u]))
            deact = cal.ts(int(deact_day[u]), int(created_sec[u])) if deactivate[u] else None
            base = [
                user_ids[u],
                pop.account_ids[a],
                email,
                role,
                iso_utc(created),
                None,
                iso_utc(created),
            ]
            days = [int(created_day[u])]
            if deact is not None:
                days.append(int(deact_day[u]))

            def state_at(day: int, base: list[Any] = base, deact: int | None = deact) -> list[Any]:
                if deact is not None and cal.ts(day + 1) > deact:
                    return base[:5] + [iso_utc(deact), iso_utc(deact)]
                return base

            writer.emit("app_db", "users", user_ids[u], days, state_at)
        return Users(
            user_ids=user_ids,
            account=account,
            created_day=created_day,
            deactivated_day=np.where(deactivate, deact_day, cal.last_day + 1),
            zendesk_id=7_000_000 + np.arange(total),
            first_of_account=first_of,
            count_of_account=counts,
        )

    # -- onboarding ------------------------------------------------------------------------

    def write_onboarding(self) -> None:
        pop, cal, rng, writer = self.pop, self.cal, self.rng, self.writer
        for a, tl in enumerate(self.timelines):
            program = PROGRAM_OF_SEGMENT[int(pop.segment[a])]
            steps = ONBOARDING_PROGRAMS[program]
            h0 = float(pop.health[a, cal.month_index(int(pop.signup_day[a]))])
            start = tl.customer_created
            app_end = cal.ts(tl.app_intervals[0][1] + 1) - 1 if tl.app_intervals else start
            required = [s for s, req in steps if req]
            stall_at = len(required)
            if rng.random() < 0.12 + 0.45 * (1.0 - h0):
                stall_at = int(rng.integers(1, len(required)))
            gap_mean = STEP_GAP_DAYS[program] * (1.6 - h0) * SECONDS_PER_DAY
            t = start
            done: dict[str, int | None] = {}
            for k, step in enumerate(required):
                t = t + int(rng.exponential(gap_mean)) + 600
                if k >= stall_at:
                    # Stalled programs sometimes resume weeks later.
                    late = rng.random() < 0.3
                    done[step] = t + int(rng.integers(20, 60)) * SECONDS_PER_DAY if late else None
                    if late:
                        t = done[step]  # type: ignore[assignment]
                    else:
                        break
                else:
                    done[step] = t
            for step, req in steps:
                if not req:
                    p = 0.35 + 0.3 * h0
                    done[step] = (
                        start + int(rng.exponential(gap_mean * 4)) + 600
                        if rng.random() < p
                        else None
                    )
            for step, _req in steps:
                completed = done.get(step)
                if completed is not None and (completed > app_end or completed > self.end_ts):
                    completed = None
                created_row = [pop.account_ids[a], step, program, None, iso_utc(start)]
                days = [cal.day_of_ts(start)]
                if completed is not None:
                    days.append(cal.day_of_ts(completed))

                def state_at(
                    day: int, row: list[Any] = created_row, completed: int | None = completed
                ) -> list[Any]:
                    if completed is not None and cal.ts(day + 1) > completed:
                        return row[:3] + [iso_utc(completed), iso_utc(completed)]
                    return row

                writer.emit(
                    "app_db", "onboarding_steps", f"{pop.account_ids[a]}/{step}", days, state_at
                )

    # -- NPS -------------------------------------------------------------------------------

    def write_nps(self, users: Users) -> None:
        pop, cal, rng, writer = self.pop, self.cal, self.rng, self.writer
        send_n = 0
        resp_n = 0
        for a, tl in enumerate(self.timelines):
            day = int(pop.signup_day[a]) + 30 + int(rng.integers(0, 30))
            trigger = "day_30"
            while day <= cal.last_day:
                if active_on(tl, day):
                    first, count = int(users.first_of_account[a]), int(users.count_of_account[a])
                    candidates = [
                        u
                        for u in range(first, first + count)
                        if users.created_day[u] <= day < users.deactivated_day[u]
                    ]
                    if candidates:
                        u = candidates[int(rng.integers(len(candidates)))]
                        send_n += 1
                        send_id = f"snd_{send_n:08d}"
                        sent = cal.ts(day, int(rng.integers(9 * 3600, 17 * 3600)))
                        row = [
                            send_id,
                            pop.account_ids[a],
                            users.user_ids[u],
                            iso_utc(sent),
                            trigger,
                        ]
                        writer.emit(
                            "app_db", "nps_survey_sends", send_id, [day], lambda d, row=row: row
                        )
                        h = float(pop.health[a, cal.month_index(day)])
                        if rng.random() < 0.06 + 0.26 * h:
                            resp_n += 1
                            self._nps_response(
                                f"rsp_{resp_n:08d}", send_id, a, users.user_ids[u], sent, h
                            )
                        trigger = "quarterly"
                # 91 days at least: sends fall at different hours of the day.
                day += 91 + int(rng.integers(0, 45))

    def _nps_response(
        self, response_id: str, send_id: str, a: int, user_id: str, sent: int, h: float
    ) -> None:
        cal, rng, writer = self.cal, self.rng, self.writer
        submitted = sent + int(rng.exponential(1.5 * SECONDS_PER_DAY)) + 300
        if submitted > self.end_ts:
            return
        score = int(np.clip(round(rng.normal(1.5 + 9.0 * h, 1.6)), 0, 10))
        group = "promoter" if score >= 9 else ("passive" if score >= 7 else "detractor")
        comment = None
        if rng.random() < 0.5:
            options = NPS_COMMENTS[group]
            comment = options[int(rng.integers(len(options)))]
            if rng.random() < 0.03:
                comment += f" Reach me at {user_id.replace('usr_', 'user')}@{self.pop.domains[a]}"
        followed = None
        if group == "detractor" and rng.random() < 0.75:
            followed = submitted + int(rng.integers(3600, 120 * 3600))
            if followed > self.end_ts:
                followed = None
        row = [
            response_id,
            send_id,
            self.pop.account_ids[a],
            user_id,
            score,
            comment,
            iso_utc(submitted),
            None,
        ]
        days = [cal.day_of_ts(submitted)]
        if followed is not None:
            days.append(cal.day_of_ts(followed))

        def state_at(day: int) -> list[Any]:
            if followed is not None and cal.ts(day + 1) > followed:
                return row[:7] + [iso_utc(followed)]
            return row

        writer.emit("app_db", "nps_responses", response_id, days, state_at)

    # -- CS activities ---------------------------------------------------------------------

    def write_cs_activities(self) -> None:
        pop, cal, rng, writer = self.pop, self.cal, self.rng, self.writer
        n = pop.n
        months = cal.month_starts()
        app_start = np.array(
            [tl.app_intervals[0][0] if tl.app_intervals else cal.n_days for tl in self.timelines]
        )
        app_end = np.array(
            [tl.app_intervals[-1][1] if tl.app_intervals else -1 for tl in self.timelines]
        )
        act_n = 0
        has_csm = self.csm_of >= 0
        big = pop.segment >= 2
        for m, month_start in enumerate(months):
            d0 = max(0, cal.day_of(month_start))
            d1 = min(
                cal.last_day, cal.day_of(months[m + 1]) - 1 if m + 1 < len(months) else cal.last_day
            )
            live = has_csm & (app_start <= d1) & (app_end >= d0)
            h = pop.health[:, m]
            rows: list[tuple[int, int, str]] = []  # (ts, account, type)

            def day_in(size: int, lo: int = d0, hi: int = d1) -> np.ndarray:
                return rng.integers(lo, hi + 1, size=size)

            meet = live & (rng.random(n) < np.where(big, 0.55, 0.25))
            idx = np.flatnonzero(meet)
            sched = day_in(idx.size)
            held = sched + rng.integers(2, 10, size=idx.size)
            no_show = rng.random(idx.size) < 0.04 + 0.5 * (1.0 - h[idx]) ** 1.5
            for a, s, t, ns in zip(idx, sched, held, no_show, strict=True):
                rows.append(
                    (
                        cal.ts(int(s), int(rng.integers(8 * 3600, 18 * 3600))),
                        int(a),
                        "meeting_scheduled",
                    )
                )
                rows.append(
                    (
                        cal.ts(int(t), int(rng.integers(8 * 3600, 18 * 3600))),
                        int(a),
                        "meeting_no_show" if ns else "meeting_attended",
                    )
                )
            outreach = np.where(live, rng.poisson(0.6 + 1.2 * (1.0 - h)), 0)
            idx = np.repeat(np.arange(n), outreach)
            sent = day_in(idx.size)
            answered = rng.random(idx.size) < 0.15 + 0.7 * h[idx]
            answer_day = sent + rng.integers(0, 6, size=idx.size)
            for a, s, ans, ad in zip(idx, sent, answered, answer_day, strict=True):
                rows.append(
                    (
                        cal.ts(int(s), int(rng.integers(8 * 3600, 18 * 3600))),
                        int(a),
                        "outreach_sent",
                    )
                )
                if ans:
                    rows.append(
                        (
                            cal.ts(int(ad), int(rng.integers(8 * 3600, 18 * 3600))),
                            int(a),
                            "outreach_answered",
                        )
                    )
            qbr_month = (cal.month_index_of_days(pop.signup_day) % 3) == (m % 3)
            qbr = live & big & qbr_month & (rng.random(n) < 0.2 + 0.7 * h)
            for a, s in zip(np.flatnonzero(qbr), day_in(int(qbr.sum())), strict=True):
                rows.append((cal.ts(int(s), int(rng.integers(8 * 3600, 18 * 3600))), int(a), "qbr"))
            rows.sort(key=lambda r: (r[0], r[1], r[2]))
            for ts, a, kind in rows:
                if ts > self.end_ts or cal.day_of_ts(ts) < int(pop.signup_day[a]):
                    continue
                act_n += 1
                activity_id = f"act_{act_n:09d}"
                row = [
                    activity_id,
                    pop.account_ids[a],
                    self.csm_ids[self.csm_of[a]],
                    kind,
                    iso_utc(ts),
                ]
                writer.emit(
                    "app_db",
                    "cs_activities",
                    activity_id,
                    [cal.day_of_ts(ts)],
                    lambda d, row=row: row,
                )
