"""The evidence of rule 21 (playbooks followed): the published completion table and the raw CRM
task rows its independent recomputation reads."""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.gate.reading import table_or_none
from orchestration.warehouse_io import read_frame, table_exists
from transforms.gate.results import Absent


def read_playbook_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """`playbook_completion` (marts.playbook_completion_monthly) and `raw_cs_tasks` (every version
    of every task in drops dated ≤ the as-of date, as ingest loaded them); Absent where missing."""
    published = table_or_none(con, "marts", "playbook_completion_monthly")
    raw_loaded = table_exists(con, "raw", "app_db__cs_tasks")
    raw = (
        read_frame(
            con,
            "select task_id, csm_id, due_at, completed_at, outcome, deleted_at, _drop_date, _line "
            "from raw.app_db__cs_tasks where _drop_date <= ?",
            [as_of],
        )
        if raw_loaded
        else None
    )
    return {
        "playbook_completion": published
        if published is not None
        else Absent("marts.playbook_completion_monthly is not built"),
        "raw_cs_tasks": raw
        if raw is not None and raw.height
        else Absent("no cs_tasks row delivered: no save-playbook action to judge"),
    }
