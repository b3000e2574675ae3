"""The publish gate: every implemented rule of validation.md as a blocking asset check before publish.

The `audit/gate` asset runs after every model; its checks are part of the same step, so they cannot be
left out of a run that reaches publish. Results go to audit.check_results (published with the marts).
"""

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import yaml

from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.settings import CONFIG_DIR
from transforms import validation
from transforms.validation import RuleResult

GATE_KEY = dg.AssetKey(["audit", "gate"])
RULES = {
    "r08_freshness": "Data freshness < 24 h (validation rule 8)",
    "r11_nothing_lost": "Numbers reconciled with the source; nothing lost (validation rule 11)",
    "r17_personal_data": "Personal data stays out of published marts (validation rule 17)",
}


def load_gate_config(path: Path = CONFIG_DIR / "validation.yml") -> dict:
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the gate's thresholds: {exc}") from exc
    missing = sorted(set(RULES) - set(config.get("rules", {})))
    if missing:
        raise ValueError(f"{path}: no thresholds for rules {', '.join(missing)}")
    return config


def _table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> pl.DataFrame | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0]
    if not exists:
        return None
    return pl.from_arrow(con.execute(f'select * from {schema}."{name}"').to_arrow_table())


def email_hits(con: duckdb.DuckDBPyConnection, schemas: list[str]) -> pl.DataFrame:
    """Rows per published text column whose value holds an e-mail address."""
    columns = con.execute(
        """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in (select unnest(?::varchar[])) and data_type = 'VARCHAR'
        order by 1, 2, 3
        """,
        [schemas],
    ).fetchall()
    rows = []
    for schema, table, column in columns:
        count = con.execute(
            f'select count(*) from {schema}."{table}" where regexp_matches("{column}", ?)',
            [validation.EMAIL_PATTERN],
        ).fetchone()[0]
        rows.append({"table": f"{schema}.{table}", "column": column, "rows": count})
    return pl.DataFrame(rows, schema={"table": pl.String, "column": pl.String, "rows": pl.Int64})


def evaluate_rules(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, config: dict
) -> list[RuleResult]:
    """Run every implemented rule against the build database as of a date."""
    rules = config["rules"]
    ingest_log = _table(con, "audit", "ingest_log")
    results: list[RuleResult] = []
    if ingest_log is None:
        for rule in ("r08_freshness", "r11_nothing_lost"):
            results.append(
                RuleResult(
                    rule, "all sources", "not_applicable", "no ingest log", "", "nothing ingested"
                )
            )
    else:
        fresh = rules["r08_freshness"]
        results += validation.freshness(
            ingest_log,
            as_of,
            fresh["required_sources"],
            fresh["warn_hours_over"],
            fresh["error_hours_over"],
        )
        results += validation.nothing_lost(
            ingest_log, as_of, rules["r11_nothing_lost"]["warn_on_any_quarantine"]
        )
    results += validation.personal_data(email_hits(con, rules["r17_personal_data"]["schemas"]))
    return results


def record_results(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date, results: list[RuleResult]
) -> None:
    """Replace this run's rows in audit.check_results."""
    con.execute("create schema if not exists audit")
    con.execute(
        """
        create table if not exists audit.check_results (
            run_id varchar, as_of_date date, rule varchar, target varchar, status varchar, severity varchar,
            observed_value varchar, threshold varchar, message varchar, checked_at timestamp
        )
        """
    )
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


def build_gate_asset(
    partitions_def: dg.PartitionsDefinition, upstream: list[dg.AssetsDefinition]
) -> dg.AssetsDefinition:
    deps = [key for assets_def in upstream for key in assets_def.keys]

    @dg.asset(
        key=GATE_KEY,
        deps=deps,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="audit",
        kinds={"duckdb", "polars"},
        pool="duckdb_writer",
        check_specs=[
            dg.AssetCheckSpec(name, asset=GATE_KEY, description=description, blocking=True)
            for name, description in RULES.items()
        ],
        description="The publish gate's evidence: every implemented validation rule evaluated as of the run's "
        "date and recorded in audit.check_results; an ERROR blocks publish.",
    )
    def gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_gate_config()
        with warehouse.connect() as con:
            results = evaluate_rules(con, as_of, config)
            record_results(con, context.run_id, as_of, results)
        yield dg.MaterializeResult(
            metadata={
                "as_of_date": as_of.isoformat(),
                "rules": len(RULES),
                "config_version": config["version"],
            }
        )
        for rule in RULES:
            mine = [r for r in results if r.rule == rule]
            failed = [r for r in mine if r.status == "fail"]
            warned = [r for r in mine if r.status == "warn"]
            for r in failed + warned:
                log = context.log.error if r.status == "fail" else context.log.warning
                log(
                    f"{rule} [{r.target}] {r.status.upper()}: {r.message} (observed {r.observed}; {r.threshold})"
                )
            yield dg.AssetCheckResult(
                check_name=rule,
                asset_key=GATE_KEY,
                passed=not failed and not warned,
                severity=dg.AssetCheckSeverity.ERROR if failed else dg.AssetCheckSeverity.WARN,
                description="; ".join(
                    f"[{r.target}] {r.message} (observed {r.observed})" for r in failed + warned
                )
                or None,
                metadata={
                    "status": "fail"
                    if failed
                    else "warn"
                    if warned
                    else mine[0].status
                    if mine
                    else "pass",
                    "results": dg.MetadataValue.json(
                        [
                            {
                                "target": r.target,
                                "status": r.status,
                                "observed": r.observed,
                                "threshold": r.threshold,
                            }
                            for r in mine
                        ]
                    ),
                },
            )

    return gate
