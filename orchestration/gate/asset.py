"""The publish gate: every implemented rule of validation.md as a blocking asset check before publish.

The `audit/gate` asset runs after every model; its checks are part of the same step, so they cannot be
left out of a run that reaches publish. Results go to audit.check_results (published with the marts).
"""

import dagster as dg

from orchestration.config import load_gate_config
from orchestration.gate.evaluation import evaluate_rules, record_results
from orchestration.gate.gx import run_gx_suites
from orchestration.gate.registry import GX_CHECK, RULES
from orchestration.partitions import as_of_date, partition_dates
from orchestration.resources import WarehouseResource
from transforms.gate.results import RuleResult

GATE_KEY = dg.AssetKey(["audit", "gate"])


def _check_result(rule: str, results: list[RuleResult]) -> dg.AssetCheckResult:
    """The asset check of one rule: failed on any `fail` (ERROR), warned on any `warn`."""
    mine = [r for r in results if r.rule == rule]
    failed = [r for r in mine if r.status == "fail"]
    warned = [r for r in mine if r.status == "warn"]
    return dg.AssetCheckResult(
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


def _log_problems(context: dg.AssetExecutionContext, rule: str, results: list[RuleResult]) -> None:
    """Each failure (as an error) and warning of a rule in the run's log, with its figures."""
    mine = [r for r in results if r.rule == rule]
    for r in [r for r in mine if r.status == "fail"] + [r for r in mine if r.status == "warn"]:
        log = context.log.error if r.status == "fail" else context.log.warning
        log(
            f"{rule} [{r.target}] {r.status.upper()}: {r.message} (observed {r.observed}; {r.threshold})"
        )


def build_gate_asset(
    partitions_def: dg.PartitionsDefinition, upstream: list[dg.AssetsDefinition]
) -> dg.AssetsDefinition:
    """The gate asset after every asset of `upstream`, with one blocking check per rule and GX."""
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
            for name, description in {
                **RULES,
                GX_CHECK: "Great Expectations suites on the tables to publish",
            }.items()
        ],
        description="The publish gate's evidence: every implemented validation rule evaluated as of the run's "
        "date and recorded in audit.check_results; an ERROR blocks publish.",
    )
    def gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_gate_config(RULES)
        with warehouse.connect() as con:
            results = evaluate_rules(con, as_of, config, partition_dates(context)[0])
            results.append(
                run_gx_suites(con, context.run_id, as_of, warehouse.settings.published_db)
            )
            record_results(con, context.run_id, as_of, results)
        yield dg.MaterializeResult(
            metadata={
                "as_of_date": as_of.isoformat(),
                "rules": len(RULES),
                "config_version": config["version"],
            }
        )
        for rule in [*RULES, GX_CHECK]:
            _log_problems(context, rule, results)
            yield _check_result(rule, results)

    return gate
