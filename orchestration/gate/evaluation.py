"""Evaluating the publish gate: read all the evidence from the build database, then judge it rule by
rule over the registry, and record the results in audit.check_results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb

from orchestration.gate.churn_reason_evidence import read_churn_reason_evidence
from orchestration.gate.health_evidence import read_health_evidence
from orchestration.gate.ingest_evidence import read_ingest_evidence
from orchestration.gate.live_book_evidence import read_live_book_evidence
from orchestration.gate.nps_evidence import read_nps_evidence
from orchestration.gate.playbook_evidence import read_playbook_evidence
from orchestration.gate.publication_evidence import read_publication_evidence
from orchestration.gate.reconciliation_evidence import read_reconciliation_evidence
from orchestration.gate.registry import REGISTRY, Rule
from orchestration.gate.renewal_evidence import read_renewal_evidence
from orchestration.gate.revenue_evidence import read_revenue_evidence
from transforms.gate.results import RuleResult

EvidenceReader = Callable[[duckdb.DuckDBPyConnection, dt.date, dict], dict[str, object]]
#: Every family's evidence reader. The publication reader comes last: it writes audit.anomalies,
#: and its e-mail scan of the published schemas must see that table, as it did before.
EVIDENCE_READERS: tuple[EvidenceReader, ...] = (
    read_nps_evidence,
    read_revenue_evidence,
    read_health_evidence,
    read_ingest_evidence,
    read_live_book_evidence,
    read_reconciliation_evidence,
    read_playbook_evidence,
    read_churn_reason_evidence,
    read_renewal_evidence,
    read_publication_evidence,
)


def read_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict, window_start: dt.date | None = None
) -> dict[str, object]:
    """Every piece of evidence the registry's judges need, by name (`as_of` and the first drop
    date of the run, `window_start`, included)."""
    evidence: dict[str, object] = {"as_of": as_of, "window_start": window_start or as_of}
    for read in EVIDENCE_READERS:
        evidence.update(read(con, as_of, rules))
    return evidence


def judge(entry: Rule, evidence: dict[str, object], rules: dict) -> list[RuleResult]:
    """One registry entry's results: its judge called with its evidence and its thresholds."""
    missing = sorted(name for name in entry.evidence.values() if name not in evidence)
    if missing:
        raise KeyError(f"{entry.rule}: no evidence reader provides {', '.join(missing)}")
    settings = rules[entry.rule]
    return entry.judge(
        **{parameter: evidence[name] for parameter, name in entry.evidence.items()},
        **{parameter: settings[key] for parameter, key in entry.thresholds.items()},
    )


def evaluate_rules(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    config: dict,
    window_start: dt.date | None = None,
) -> list[RuleResult]:
    """Every rule of the registry judged as of a date for a run whose drops start at
    `window_start` (default: the as-of date); reading writes audit.anomalies."""
    rules = config["rules"]
    evidence = read_evidence(con, as_of, rules, window_start)
    return [result for entry in REGISTRY for result in judge(entry, evidence, rules)]


def record_results(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: dt.date,
    results: list[RuleResult],
    replace: bool = True,
) -> None:
    """Replace this run's rows in audit.check_results (or add to them: `replace=False`, as each
    source's ingest does when it stops at the door)."""
    con.execute("create schema if not exists audit")
    con.execute(
        """
        create table if not exists audit.check_results (
            run_id varchar, as_of_date date, rule varchar, target varchar, status varchar, severity varchar,
            observed_value varchar, threshold varchar, message varchar, checked_at timestamp
        )
        """
    )
    if replace:
        con.execute("delete from audit.check_results where run_id = ?", [run_id])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.executemany(
        "insert into audit.check_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                as_of,
                r.rule,
                r.target,
                r.status,
                "ERROR" if r.status == "fail" else "WARN" if r.status == "warn" else None,
                r.observed,
                r.threshold,
                r.message,
                now,
            ]
            for r in results
        ],
    )
