"""The CRM's save-playbook tasks (sources.md `cs_tasks`): CSMs who follow playbooks more or less.

Each CSM has a diligence (the chance an action is done by its due time). A playbook starts when an
account the generator knows to be at risk needs saving: a failed payment (the `failed_payment`
playbook, the day after the attempt) or a slide of its latent health below `RISK_HEALTH` (the
`grade_d_or_f` playbook, a few days into the month the slide shows). Every action of the playbook
becomes a task with its due time; the CSM does it on time, late, or closes it undone.

Outcomes depend on it: an account whose first two actions were done on time gets its latent health
lifted in the next two months (`SAVE_LIFT`), so its usage, logins and tickets recover and the
warehouse sees its triggers clear. Billing was simulated before, so churn itself is unchanged.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthetic.billing import AccountTimeline
from synthetic.calendar import SimCalendar, iso_utc
from synthetic.population import Population
from synthetic.sinks import DropWriter

CS_TASK_COLUMNS = (
    "task_id", "account_id", "csm_id", "playbook", "action_order", "created_at", "due_at",
    "completed_at", "outcome", "updated_at",
)  # fmt: skip
# Hours after a playbook starts that each of its actions is due: the CRM's copy of the playbooks
# config/risk_cases.yml declares (the CRM sets due_at; the warehouse reads it from the task).
PLAYBOOK_DUE_HOURS: dict[str, tuple[int, ...]] = {
    "failed_payment": (24, 72, 168),
    "grade_d_or_f": (48, 120, 336),
}
RISK_HEALTH = 0.35
SAVE_LIFT = 0.18
DILIGENCE_RANGE = (0.3, 0.95)
TRUTH_COLUMNS = (*CS_TASK_COLUMNS[:-1], "done_by_due", "episode")


@dataclass(frozen=True)
class _Episode:
    account: int
    playbook: str
    start_ts: int


class CsTaskSimulator:
    """Draws each CSM's diligence, the playbooks started, their tasks, and the save effect."""

    def __init__(
        self,
        cal: SimCalendar,
        pop: Population,
        timelines: list[AccountTimeline],
        writer: DropWriter,
        csm_of: np.ndarray,
        csm_ids: list[str],
        rng: np.random.Generator,
    ) -> None:
        self.cal, self.pop, self.timelines, self.writer = cal, pop, timelines, writer
        self.csm_of, self.csm_ids, self.rng = csm_of, csm_ids, rng
        self.diligence = rng.uniform(*DILIGENCE_RANGE, size=len(csm_ids))
        self.end_ts = cal.ts(cal.last_day + 1) - 1
        self.truth: list[list[object]] = []

    def _active(self, a: int, day: int) -> bool:
        return any(start <= day <= end for start, end in self.timelines[a].app_intervals)

    def _episodes(self) -> list[_Episode]:
        cal, pop, rng = self.cal, self.pop, self.rng
        months = cal.month_starts()
        signup_month = cal.month_index_of_days(pop.signup_day)
        episodes: list[_Episode] = []
        for a in np.flatnonzero(self.csm_of >= 0):
            for day in self.timelines[a].failed_payment_days:
                start = cal.ts(int(day) + 1, int(rng.integers(8 * 3600, 12 * 3600)))
                if self._active(int(a), int(day) + 1):
                    episodes.append(_Episode(int(a), "failed_payment", start))
            for m in range(int(signup_month[a]) + 1, len(months)):
                slid = pop.health[a, m] < RISK_HEALTH <= pop.health[a, m - 1]
                day = max(0, cal.day_of(months[m])) + int(rng.integers(5, 21))
                if slid and day <= cal.last_day and self._active(int(a), day):
                    episodes.append(
                        _Episode(
                            int(a), "grade_d_or_f", cal.ts(day, int(rng.integers(8, 17)) * 3600)
                        )
                    )
        return sorted(episodes, key=lambda e: (e.start_ts, e.account, e.playbook))

    def write(self) -> None:
        """Write every task into the drops and lift the latent health of the accounts saved."""
        for number, episode in enumerate(self._episodes(), start=1):
            on_time = self._write_playbook(episode, number)
            if on_time[:2] == [True, True]:
                month = self.cal.month_index(self.cal.day_of_ts(episode.start_ts))
                later = self.pop.health[episode.account, month + 1 : month + 3]
                later[:] = np.clip(later + SAVE_LIFT, 0.02, 0.98)

    def _write_playbook(self, episode: _Episode, number: int) -> list[bool]:
        """The playbook's tasks; returns, per action, whether it was done by its due time."""
        rng = self.rng
        csm = int(self.csm_of[episode.account])
        diligence = float(self.diligence[csm])
        on_time: list[bool] = []
        for order, due_hours in enumerate(PLAYBOOK_DUE_HOURS[episode.playbook], start=1):
            created = episode.start_ts
            due = created + due_hours * 3600
            draw = rng.random()
            if draw < diligence:
                completed, outcome = (
                    created + int(rng.uniform(0.05, 0.95) * due_hours * 3600),
                    "done",
                )
            elif draw < diligence + (1 - diligence) * 0.4:
                completed, outcome = due + int(rng.uniform(2, 96) * 3600), "done"
            elif draw < diligence + (1 - diligence) * 0.85:
                outcome = "skipped" if rng.random() < 0.5 else "no_response"
                completed = due + int(rng.uniform(0, 48) * 3600)
            else:
                completed, outcome = None, None
            if completed is not None and completed > self.end_ts:
                completed, outcome = None, None
            task_id = f"tsk_{number:07d}_{order}"
            row = [
                task_id,
                self.pop.account_ids[episode.account],
                self.csm_ids[csm],
                episode.playbook,
                order,
                iso_utc(created),
                iso_utc(due),
                iso_utc(completed),
                outcome,
                iso_utc(completed if completed is not None else created),
            ]
            done_by_due = outcome == "done" and completed is not None and completed <= due
            on_time.append(done_by_due)
            self.truth.append([*row[:-1], done_by_due, number])
            self._emit(row, created, completed)
        return on_time

    def _emit(self, row: list[object], created: int, completed: int | None) -> None:
        cal = self.cal
        days = [cal.day_of_ts(created)]
        opened = [*row[:7], None, None, row[5]]
        if completed is not None:
            days.append(cal.day_of_ts(completed))

        def state_at(day: int) -> list[object]:
            if completed is not None and cal.ts(day + 1) > completed:
                return row
            return opened

        self.writer.emit("app_db", "cs_tasks", str(row[0]), days, state_at)

    def write_truth(self, gt: Path) -> None:
        """cs_tasks_truth.csv (every task, final state, done by due) and csm_diligence.csv."""
        with (gt / "cs_tasks_truth.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(TRUTH_COLUMNS)
            out.writerows(self.truth)
        with (gt / "csm_diligence.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(["csm_id", "diligence"])
            out.writerows(
                [c, f"{d:.6f}"] for c, d in zip(self.csm_ids, self.diligence, strict=True)
            )
