"""The generated save-playbook tasks: the drops' newest version of every task is its ground truth,
and each CSM's share of actions done on time is its diligence, within sampling error."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from synthetic.generator import GenerationSummary
from tests.synthetic.helpers import all_valid_csv


def _truth(run: GenerationSummary) -> dict[str, dict[str, str]]:
    with (run.ground_truth_dir / "cs_tasks_truth.csv").open(encoding="utf-8") as handle:
        return {row["task_id"]: row for row in csv.DictReader(handle)}


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_newest_delivered_version_of_every_task_is_its_truth(
    small_run: GenerationSummary, out_dir: Path
) -> None:
    truth = _truth(small_run)
    newest: dict[str, dict[str, str]] = {}
    for _drop, _line, row in all_valid_csv(out_dir, "cs_tasks"):
        newest[row["task_id"]] = row  # drops and lines in order: the last one wins
    assert len(truth) > 50 and newest.keys() == truth.keys()
    columns = ("account_id", "csm_id", "playbook", "action_order", "created_at", "due_at",
               "completed_at", "outcome")  # fmt: skip
    for task_id, row in truth.items():
        assert tuple(newest[task_id][c] for c in columns) == tuple(row[c] for c in columns)
        on_time = row["outcome"] == "done" and _at(row["completed_at"]) <= _at(row["due_at"])
        assert row["done_by_due"] == str(on_time)


def test_each_csm_does_actions_on_time_as_often_as_its_diligence(
    small_run: GenerationSummary,
) -> None:
    end = dt.datetime.combine(dt.date(2026, 11, 20), dt.time(), dt.UTC) - dt.timedelta(days=20)
    with (small_run.ground_truth_dir / "csm_diligence.csv").open(encoding="utf-8") as handle:
        diligence = {row["csm_id"]: float(row["diligence"]) for row in csv.DictReader(handle)}
    # Tasks created 20 days before the end: every on-time completion has happened by then.
    settled = [t for t in _truth(small_run).values() if _at(t["created_at"]) < end]
    judged = 0
    for csm, d in diligence.items():
        mine = [t["done_by_due"] == "True" for t in settled if t["csm_id"] == csm]
        if len(mine) < 30:
            continue
        judged += 1
        share = sum(mine) / len(mine)
        assert abs(share - d) <= 4 * math.sqrt(d * (1 - d) / len(mine)), (csm, share, d, len(mine))
    assert judged >= 2
