"""The independent recomputations of the gate share no code with what they check (validation.md:
"the second computation must not share code or SQL with the first").

Each module below is parsed, not imported: it may import the standard library, Polars and the
helpers of transforms/gate/ listed here (themselves checked the same way), and nothing else; it may
not read a file (dbt's SQL included) or name one. The first tests show the check failing on
sources that break it, so a pass of the last one means something.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
#: The recomputations and the pure helpers they own: the only first-party modules they may import.
INDEPENDENT = {
    "transforms.gate.independent_revenue": ROOT / "transforms/gate/independent_revenue.py",
    "transforms.gate.independent_billing": ROOT / "transforms/gate/independent_billing.py",
    "transforms.gate.independent_health": ROOT / "transforms/gate/independent_health.py",
    "transforms.gate.independent_status": ROOT / "transforms/gate/independent_status.py",
    "transforms.gate.independent_playbooks": ROOT / "transforms/gate/independent_playbooks.py",
    "transforms.gate.independent_churn_reasons": ROOT
    / "transforms/gate/independent_churn_reasons.py",
    "transforms.gate.independent_renewals": ROOT / "transforms/gate/independent_renewals.py",
    "transforms.gate.anomalies": ROOT / "transforms/gate/anomalies.py",
    "transforms.gate.dates": ROOT / "transforms/gate/dates.py",
}
THIRD_PARTY = {"polars"}
#: Calls that read a file or a database: a recomputation gets its rows as frames.
READERS = {"open", "read_text", "read_bytes", "read_csv", "read_parquet", "read_json", "scan_csv"}
READERS |= {"scan_parquet", "read_database", "read_database_uri", "sql", "execute", "import_module"}
READERS |= {"__import__"}
FILE_HINTS = (".sql", "dbt_project", "models/", ".yml", ".yaml")


def _imported(node: ast.AST, module: str) -> list[str]:
    """The modules an import statement brings in (relative imports resolved against `module`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = module.rsplit(".", node.level)[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if base in ("transforms", "transforms.gate"):
        # `from transforms.gate import x` imports the module transforms.gate.x
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def violations(source: str, module: str) -> list[str]:
    """What in `source` (the text of `module`) breaks the recomputations' independence."""
    found = []
    for node in ast.walk(ast.parse(source)):
        for name in _imported(node, module):
            top = name.split(".")[0]
            if name in INDEPENDENT or top in THIRD_PARTY or top in sys.stdlib_module_names:
                continue
            found.append(f"imports {name}")
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            called = called or (node.func.id if isinstance(node.func, ast.Name) else None)
            if called in READERS:
                found.append(f"calls {called}()")
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and any(hint in node.value for hint in FILE_HINTS):
            found.append(f"names a file: {node.value[:60]!r}")
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from transforms.health import health_scores", "imports transforms.health"),
        ("from transforms import nps", "imports transforms.nps"),
        ("import transforms.stats", "imports transforms.stats"),
        ("from orchestration.warehouse_io import read_frame", "imports orchestration.warehouse_io"),
        ("import duckdb", "imports duckdb"),
        ("from .revenue_rules import sample_verification", "imports transforms.gate.revenue_rules"),
        ("from transforms.gate import results", "imports transforms.gate.results"),
        ("import importlib\nimportlib.import_module('transforms.health')", "calls import_module()"),
        (
            "from pathlib import Path\nsql = Path('x').read_text()",
            "calls read_text()",
        ),
        (
            "MODEL = 'dbt_project/models/intermediate/int_customer_mrr_monthly.sql'",
            "names a file: 'dbt_project/models/intermediate/int_customer_mrr_monthly.sql'",
        ),
    ],
)
def test_the_check_fails_on_a_source_that_shares_code_or_reads_sql(
    source: str, expected: str
) -> None:
    assert expected in violations(source, "transforms.gate.independent_health")


def test_the_check_lets_through_what_a_recomputation_may_use() -> None:
    source = (
        "from __future__ import annotations\nimport datetime as dt\nimport polars as pl\n"
        "from transforms.gate.dates import end_of_day\nfrom .dates import valid_on\n"
    )
    assert violations(source, "transforms.gate.independent_revenue") == []


@pytest.mark.parametrize("module", sorted(INDEPENDENT))
def test_each_recomputation_shares_no_code_with_what_it_checks(module: str) -> None:
    assert violations(INDEPENDENT[module].read_text(), module) == []
