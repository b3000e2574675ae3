"""Each revenue defect of issue #22, put back into a copy of the dbt project and rebuilt over a copy of
the generated history's warehouse (conftest.revenue_history), is caught by a named gate rule with
the figures: history valued with today's item interval (rules 6 and 12, and rule 13 warns of the
history disagreements), mid-term changes before the first drop ignored (rules 6 and 12), a metered
item never invoiced counted as 0 and a missing interval count read as 1 (rule 16), deleted accounts
losing their revenue history (rule 12). The models rebuilt are the revenue ones, without their dbt
tests: what is shown is the gate.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import DBT_PROJECT_DIR
from tests.orchestration.gate.conftest import check_rows, run_gate_and_publish

pytestmark = pytest.mark.slow

REVENUE_MODELS = [
    "path:models/intermediate/revenue",
    "path:models/marts/revenue",
    "path:models/audit/revenue_history_disagreements.sql",
]


def _with_defect(
    revenue_history: tuple[Path, Path],
    root: Path,
    patches: dict[str, list[tuple[str, str]]],
    *statements: str,
) -> tuple[bool, str, list[tuple]]:
    """Copy the warehouse and the dbt project, break the project's SQL (each `old` must be there:
    a rewrite of the model makes the test fail loudly rather than pass on nothing), run the
    statements on the copy's build database, rebuild the revenue models without their dbt tests
    (the gate is what is shown), then run the gate and publish: (published, reason, this run's
    check results)."""
    extracts, warehouse = revenue_history
    copy = root / "warehouse"
    shutil.copytree(warehouse, copy)
    project = root / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    for relative, replacements in patches.items():
        path = project / relative
        text = path.read_text()
        for old, new in replacements:
            assert old in text, f"{relative} no longer holds {old!r}"
            text = text.replace(old, new)
        path.write_text(text)
    build_db = copy / "build" / "warehouse.duckdb"
    con = duckdb.connect(str(build_db))
    for statement in statements:
        con.execute(statement)
    as_of = con.execute("select max(as_of_date) from audit.publications").fetchall()[0][0]
    con.close()
    rebuilt = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"), "run", "--project-dir", str(project),
            "--profiles-dir", str(project), "--target-path", str(root / "target"),
            "--log-path", str(root / "logs"), "--vars", json.dumps({"as_of_date": str(as_of)}),
            "--select", *REVENUE_MODELS,
        ],
        env={**os.environ, "CSW_DUCKDB_PATH": str(build_db)},
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    gate = run_gate_and_publish(extracts, copy, as_of)
    return gate.published, gate.reason, check_rows(copy, gate.result.run_id, gate.published)


def _failed(checks: list[tuple], rule: str) -> list[tuple]:
    return [c for c in checks if c[0] == rule and c[2] == "fail"]


def test_history_valued_with_todays_item_interval_is_caught(
    revenue_history: tuple[Path, Path], tmp_path: Path
) -> None:
    # The defect of issue #22: a line with no price object of its own valued with the interval of
    # the item as it is today (a monthly line of a customer now annual divided by 12, an annual
    # line of one now monthly multiplied by 12).
    model = "models/intermediate/revenue/int_invoice_lines_normalised_to_mrr.sql"
    published, reason, checks = _with_defect(
        revenue_history,
        tmp_path,
        {
            model: [
                (
                    "    select * from {{ ref('int_prices_seen') }}",
                    "    select subscription_item_id, recurring_interval, recurring_interval_count,"
                    " recurring_usage_type, cast(null as decimal(38, 9)) as unit_amount"
                    " from {{ ref('stg_stripe__subscription_items') }}",
                ),
                (
                    "on prices.price_id = invoice_lines.price_id",
                    "on prices.subscription_item_id = invoice_lines.subscription_item_id",
                ),
            ]
        },
    )
    assert not published
    (rule_6,) = _failed(checks, "r06_revenue_source")
    # e.g. "12 of 1203 customer-months differ …: cus_… 2025-12-01: published 825.00, billed 9900.00"
    assert "customer-months differ from what Stripe billed" in rule_6[3]
    assert "published " in rule_6[3] and "billed " in rule_6[3]
    assert _failed(checks, "r12_sample_verification")
    assert "r06_revenue_source failed on" in reason
    warned = [c for c in checks if c[0] == "r13_outliers_investigated"]
    assert "revenue_history_disagreement" in warned[0][3]


def test_mid_term_changes_before_the_first_drop_ignored_are_caught(
    revenue_history: tuple[Path, Path], tmp_path: Path
) -> None:
    # The first-drop seam: proration charges not looked at, history valued from the full line
    # until the next one (or the first drop) shows the change.
    model = "models/intermediate/revenue/int_subscription_items_priced_mrr.sql"
    published, reason, checks = _with_defect(
        revenue_history,
        tmp_path,
        {model: [("    where charge.is_proration\n", "    where charge.is_proration and false\n")]},
    )
    assert not published
    (rule_6,) = _failed(checks, "r06_revenue_source")
    assert "customer-months differ from what Stripe billed" in rule_6[3]
    sample_or_total = _failed(checks, "r12_sample_verification")
    assert any("independent " in c[3] for c in sample_or_total)


def test_a_metered_zero_and_a_defaulted_interval_count_are_caught(
    revenue_history: tuple[Path, Path], tmp_path: Path
) -> None:
    # Two latent defaults of issue #22, with the data that makes them bite (loaded before the
    # ingest contract quarantined such rows): one customer's item metered and never invoiced, and
    # another's price without its interval count; the models put back to count 0 and 1 for them.
    _, warehouse = revenue_history
    con = duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True)
    metered_sub, counted_sub = (
        r[0]
        for r in con.execute(
            "select subscription_id from staging.stg_stripe__subscriptions where status = 'active' "
            "order by subscription_id limit 2"
        ).fetchall()
    )
    con.close()
    published, reason, checks = _with_defect(
        revenue_history,
        tmp_path,
        {
            "models/intermediate/revenue/int_subscription_items_priced_mrr.sql": [
                (
                    "'case when net_amounts.is_invoiced_amount then last_invoiced.line_mrr_minor",
                    "'case when net_amounts.is_invoiced_amount"
                    " then coalesce(last_invoiced.line_mrr_minor, 0)",
                ),
                ("then 'metered_item_never_invoiced'", "then null"),
                ("then 'interval_count_missing'", "then null"),
            ],
            "macros/revenue.sql": [
                (
                    "end / nullif({{ interval_count }}, 0))",
                    "end / coalesce(nullif({{ interval_count }}, 0), 1))",
                )
            ],
        },
        "update raw.stripe__subscription_items set price_recurring_usage_type = 'metered' "
        f"where subscription_id = '{metered_sub}'",
        f"delete from raw.stripe__invoice_lines where subscription = '{metered_sub}'",
        "update raw.stripe__subscription_items set price_recurring_interval_count = null "
        f"where subscription_id = '{counted_sub}'",
    )
    assert not published
    (rule_16,) = [
        c for c in _failed(checks, "r16_no_defaulted_inputs") if c[1].startswith("intermediate.")
    ]
    assert "metered item valued with no invoice" in rule_16[3]
    assert "price valued with no interval count" in rule_16[3]
    assert "r16_no_defaulted_inputs failed on" in reason


def test_deleted_accounts_losing_their_revenue_history_is_caught(
    revenue_history: tuple[Path, Path], tmp_path: Path
) -> None:
    _, warehouse = revenue_history
    con = duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True)
    unmapped, of_deleted = con.execute(
        """
        select count(*) filter (where m.account_id is null),
            count(distinct m.stripe_customer_id) filter (where a.deleted_at is not null)
        from marts.mrr_monthly m
        left join staging.stg_app_db__accounts_with_deleted a on a.account_id = m.account_id
        """
    ).fetchall()[0]
    con.close()
    # every customer is some account's, and some of those accounts were deleted since
    assert unmapped == 0 and of_deleted >= 1
    published, reason, checks = _with_defect(
        revenue_history,
        tmp_path,
        {
            "models/marts/revenue/mrr_monthly.sql": [
                (
                    "    select * from {{ ref('stg_app_db__accounts_with_deleted') }}",
                    "    select *, cast(null as timestamp) as deleted_at"
                    " from {{ ref('stg_app_db__accounts') }}",
                )
            ]
        },
    )
    assert not published
    (accounts,) = [
        c for c in _failed(checks, "r12_sample_verification") if c[1].endswith("accounts")
    ]
    assert "customers mapped to another account than the one claiming them" in accounts[3]
    assert "published None, claimed by acc_" in accounts[3] and "(deleted)" in accounts[3]
