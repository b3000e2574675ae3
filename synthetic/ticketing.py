"""Zendesk-shaped support data: organisations, tickets with their metrics, satisfaction ratings."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthetic.app_db import Users
from synthetic.billing import AccountTimeline
from synthetic.calendar import SECONDS_PER_DAY, SimCalendar, iso_utc
from synthetic.catalog import COMPETITORS, SUPPORT_AGENTS, TICKET_TOPICS
from synthetic.population import Population
from synthetic.sinks import DropWriter

TICKETS_PER_MONTH = (0.25, 0.5, 1.0, 1.8)
ORG_ID_BASE = 360_000_000
AGENT_ID_BASE = 9_000_000


def _org_object(org_id: int, name: str, external_id: str, created: int) -> dict[str, Any]:
    return {
        "id": org_id,
        "url": f"https://cswarehouse.zendesk.com/api/v2/organizations/{org_id}.json",
        "name": name,
        "external_id": external_id,
        "domain_names": [],
        "details": None,
        "notes": None,
        "group_id": None,
        "shared_tickets": False,
        "shared_comments": False,
        "tags": [],
        "organization_fields": {},
        "created_at": iso_utc(created),
        "updated_at": iso_utc(created),
    }


class TicketingSimulator:
    def __init__(
        self,
        cal: SimCalendar,
        pop: Population,
        timelines: list[AccountTimeline],
        users: Users,
        writer: DropWriter,
        rng: np.random.Generator,
    ) -> None:
        self.cal, self.pop, self.timelines, self.users = cal, pop, timelines, users
        self.writer, self.rng = writer, rng
        self.end_ts = cal.ts(cal.last_day + 1) - 1
        # Accounts whose helpdesk rates 1–5 (an Intercom-style rating) instead of good/bad.
        self.numeric_rating = rng.random(pop.n) < 0.2
        self.ticket_n = 0
        self.rating_n = 0

    def write(self) -> None:
        pop, cal, writer, rng = self.pop, self.cal, self.writer, self.rng
        for a, tl in enumerate(self.timelines):
            org_id = ORG_ID_BASE + a + 1
            obj = _org_object(org_id, pop.names[a], pop.account_ids[a], tl.customer_created)
            writer.emit(
                "ticketing",
                "organizations",
                str(org_id),
                [cal.day_of_ts(tl.customer_created)],
                lambda d, obj=obj: obj,
            )
        # A few organisations that no account knows (typed by hand in the helpdesk).
        orphans = []
        for i in range(3):
            org_id = ORG_ID_BASE + 900_000 + i
            created = cal.ts(int(rng.integers(0, max(1, cal.initial_day))), 36000)
            orphans.append((org_id, created))
            obj = _org_object(org_id, f"Unknown Customer {i + 1}", f"acc_unknown_{i + 1}", created)
            writer.emit(
                "ticketing",
                "organizations",
                str(org_id),
                [cal.day_of_ts(created)],
                lambda d, obj=obj: obj,
            )
        months = cal.month_starts()
        for m, month_start in enumerate(months):
            d0 = max(0, cal.day_of(month_start))
            d1 = min(
                cal.last_day, cal.day_of(months[m + 1]) - 1 if m + 1 < len(months) else cal.last_day
            )
            h = pop.health[:, m]
            rate = np.asarray(TICKETS_PER_MONTH)[pop.segment] * (0.4 + 2.2 * (1.0 - h) ** 1.5)
            counts = rng.poisson(rate)
            rows = []
            for a in np.flatnonzero(counts):
                tl = self.timelines[a]
                for _ in range(int(counts[a])):
                    day = int(rng.integers(d0, d1 + 1))
                    if any(s <= day <= e + 14 for s, e in tl.app_intervals):
                        rows.append((cal.ts(day, int(rng.integers(0, SECONDS_PER_DAY))), int(a)))
            rows.sort()
            for created, a in rows:
                self._ticket(a, created, float(h[a]), orphans)

    def _ticket(self, a: int, created: int, h: float, orphans: list[tuple[int, int]]) -> None:
        pop, cal, rng, writer, users = self.pop, self.cal, self.rng, self.writer, self.users
        if created > self.end_ts:
            return
        self.ticket_n += 1
        ticket_id = 10_000 + self.ticket_n
        org_id = ORG_ID_BASE + a + 1
        orphan_flaw = writer.chance()
        if orphan_flaw:
            org_id = orphans[int(rng.integers(len(orphans)))][0]
        first, count = int(users.first_of_account[a]), int(users.count_of_account[a])
        requester = int(users.zendesk_id[first + int(rng.integers(count))])
        assignee = AGENT_ID_BASE + int(rng.integers(SUPPORT_AGENTS))
        kind, subject = TICKET_TOPICS[int(rng.integers(len(TICKET_TOPICS)))]
        priority = str(rng.choice(("urgent", "high", "normal", "low"), p=_priority_p(h)))
        description = f"{subject}. Account {pop.names[a]}."
        if rng.random() < 0.02 + 0.12 * (1.0 - h):
            competitor = COMPETITORS[int(rng.integers(len(COMPETITORS)))]
            description += (
                f" We are evaluating {competitor} as an alternative if this is not fixed."
            )
        if rng.random() < 0.02:
            description += f" Please reply to ops.lead@{pop.domains[a]} instead."
        if rng.random() < 0.005:
            subject += f" (cc finance@{pop.domains[a]})"
        tags = [kind, "chatbot"]
        if rng.random() < 0.03 + 0.25 * (1.0 - h) ** 2 or (
            priority == "urgent" and rng.random() < 0.4
        ):
            tags.append("escalated")
        reply_min = (
            int(rng.lognormal(np.log(90 if priority in ("urgent", "high") else 300), 0.9)) + 1
        )
        resolve_min = reply_min + int(rng.lognormal(np.log(60 * 24 * (0.6 + 2.0 * (1.0 - h))), 0.9))
        replied = created + reply_min * 60
        pending_at = replied + int(rng.integers(600, 6 * 3600)) if rng.random() < 0.4 else None
        solved = created + resolve_min * 60
        if rng.random() < 0.04:
            solved = None  # stays open for a long time
        if pending_at is not None and solved is not None and pending_at >= solved:
            pending_at = None
        closed = solved + 4 * SECONDS_PER_DAY if solved is not None else None
        events = [(created, "new"), (replied, "open")]
        if pending_at is not None:
            events.append((pending_at, "pending"))
        if solved is not None:
            events.append((solved, "solved"))
            events.append((closed, "closed"))  # type: ignore[arg-type]
        events = [e for e in events if e[0] <= self.end_ts]

        def state_at(day: int) -> dict[str, Any]:
            limit = cal.ts(day + 1) - 1
            seen = [e for e in events if e[0] <= limit]
            status = seen[-1][1]
            updated = seen[-1][0]
            is_solved = status in ("solved", "closed")
            has_reply = replied <= limit
            return {
                "id": ticket_id,
                "url": f"https://cswarehouse.zendesk.com/api/v2/tickets/{ticket_id}.json",
                "external_id": None,
                "type": kind,
                "subject": subject,
                "raw_subject": subject,
                "description": description,
                "priority": priority,
                "status": status,
                "requester_id": requester,
                "submitter_id": requester,
                "assignee_id": assignee if has_reply else None,
                "organization_id": org_id,
                "group_id": 20_000_001,
                "tags": tags,
                "via": {"channel": "email"},
                "created_at": iso_utc(created),
                "updated_at": iso_utc(updated),
                "solved_at": iso_utc(solved) if is_solved else None,
                "reply_time_in_minutes": {
                    "calendar": reply_min if has_reply else None,
                    "business": max(1, int(reply_min * 0.6)) if has_reply else None,
                },
                "full_resolution_time_in_minutes": {
                    "calendar": resolve_min if is_solved else None,
                    "business": max(1, int(resolve_min * 0.4)) if is_solved else None,
                },
            }

        def touch(payload: dict[str, Any], day: int) -> tuple[dict[str, Any], str]:
            newer = dict(payload)
            newer["tags"] = list(payload["tags"]) + ["follow_up"]
            newer["updated_at"] = iso_utc(cal.ts(day, int(rng.integers(0, SECONDS_PER_DAY))))
            return newer, "tag follow_up added"

        days = [cal.day_of_ts(ts) for ts, _ in events]
        written = writer.emit(
            "ticketing", "tickets", str(ticket_id), days, state_at, late_updates=True, touch=touch
        )
        if orphan_flaw and written:
            spec = writer.specs[("ticketing", "tickets")]
            writer.log_flaw(
                "d_orphan_organization",
                spec,
                written[0][0],
                written[0][1],
                str(ticket_id),
                f"organization {org_id} has no account",
            )
        if solved is not None and rng.random() < 0.45:
            self._rating(a, ticket_id, requester, assignee, solved, h)

    def _rating(
        self, a: int, ticket_id: int, requester: int, assignee: int, solved: int, h: float
    ) -> None:
        rng, cal = self.rng, self.cal
        created = solved + int(rng.integers(3600, 3 * SECONDS_PER_DAY))
        if created > self.end_ts:
            return
        self.rating_n += 1
        rating_id = 50_000_000 + self.rating_n
        comment = None
        obj: dict[str, Any] = {
            "id": rating_id,
            "url": f"https://cswarehouse.zendesk.com/api/v2/satisfaction_ratings/{rating_id}.json",
            "assignee_id": assignee,
            "group_id": 20_000_001,
            "requester_id": requester,
            "ticket_id": ticket_id,
        }
        if self.numeric_rating[a]:
            rating = int(np.clip(round(rng.normal(1.2 + 4.0 * h, 0.8)), 1, 5))
            obj["score"] = None
            obj["rating"] = rating
            if rating <= 2 and rng.random() < 0.5:
                comment = "Took too long to fix."
        else:
            r = rng.random()
            if r < 0.25:
                obj["score"] = "offered"
            else:
                good = rng.random() < 0.35 + 0.6 * h
                obj["score"] = "good" if good else "bad"
                if rng.random() < 0.4:
                    comment = (
                        "Quick and helpful, thanks!"
                        if good
                        else "The answer did not solve my problem."
                    )
        obj["comment"] = comment
        obj["reason"] = None
        obj["created_at"] = iso_utc(created)
        obj["updated_at"] = iso_utc(created)
        self.writer.emit(
            "ticketing",
            "satisfaction_ratings",
            str(rating_id),
            [cal.day_of_ts(created)],
            lambda d: obj,
        )


def _priority_p(h: float) -> tuple[float, float, float, float]:
    urgent = 0.03 + 0.10 * (1.0 - h)
    high = 0.12 + 0.15 * (1.0 - h)
    low = 0.25 * h
    return (urgent, high, 1.0 - urgent - high - low, low)
