"""The one exit-code contract (orchestration/exit_codes.py): stated alike by `csw --help`, the CLI's
docstring and the README, and kept by every command on conditions that need no job run. The codes
of runs that publish, stop on the data or crash are shown in tests/e2e/faults/ and test_cli.py."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ingest.extract import errors as extract_errors
from orchestration import cli, exit_codes
from orchestration.run_lock import warehouse_lock
from orchestration.settings import PROJECT_ROOT

CSW = [sys.executable, "-m", "orchestration.cli"]


def _csw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CSW, *args], capture_output=True, text=True, timeout=300)


def test_help_docstring_and_readme_state_the_same_contract() -> None:
    text = exit_codes.contract_text()
    assert text in cli.__doc__
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```text\n(exit codes:\n.*?)\n```", readme, re.S)
    assert block is not None, "README states the exit codes in a ```text block"
    assert block.group(1) == text
    shown = _csw("--help")
    assert shown.returncode == 0 and text in shown.stdout
    assert text in _csw("run", "--help").stdout
    # `csw extract` keeps the same numbers for its own outcomes
    assert extract_errors.EXIT_MUST_FIX == exit_codes.DATA_STOPPED
    assert extract_errors.EXIT_TRY_AGAIN == exit_codes.TRY_AGAIN
    codes = [code for code, _ in exit_codes.CONTRACT]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    "args, said",
    [
        (["run", "--date", "2026-02-30"], "is not a date"),
        (["run", "--from", "2026-11-01"], "--from and --to go together"),
        (["frobnicate"], "invalid choice"),
        (["extract", "stripe", "--date", "soon"], "is not a date"),
    ],
)
def test_argument_errors_are_usage_errors_without_a_traceback(args: list[str], said: str) -> None:
    result = _csw(*args)
    assert result.returncode == exit_codes.USAGE, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr


def test_usage_errors_are_answered_before_the_job_loads(tmp_path: Path) -> None:
    probe = textwrap.dedent(
        f"""
        import sys
        from orchestration.cli import main
        try:
            main(["run", "--extracts", {str(tmp_path / "nowhere")!r}, "--warehouse",
                  {str(tmp_path / "w")!r}])
        except SystemExit as exit:
            print(exit.code, "dagster" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.split() == [str(exit_codes.USAGE), "False"], result.stderr
    assert "no extracts folder" in result.stderr


def _drops(root: Path, *days: str) -> Path:
    for day in days:
        (root / "stripe" / day).mkdir(parents=True)
    return root


def test_a_run_that_cannot_start_from_the_warehouse_says_what_to_load(tmp_path: Path) -> None:
    extracts = _drops(tmp_path / "extracts", "2026-11-18", "2026-11-19", "2026-11-20")
    where = ["--extracts", str(extracts), "--warehouse", str(tmp_path / "w")]

    earlier = _csw("run", *where, "--date", "2026-11-20")
    assert earlier.returncode == exit_codes.USAGE
    assert "the drops of 2026-11-18, 2026-11-19 must be loaded before 2026-11-20" in earlier.stderr
    assert "csw run --from 2026-11-18 --to 2026-11-20" in earlier.stderr

    no_drop = _csw("run", *where, "--date", "2026-11-25")
    assert no_drop.returncode == exit_codes.USAGE
    assert "no drop dated 2026-11-25" in no_drop.stderr

    backwards = _csw("run", *where, "--from", "2026-11-20", "--to", "2026-11-18")
    assert backwards.returncode == exit_codes.USAGE
    assert "--from 2026-11-20 is after --to 2026-11-18" in backwards.stderr
    for result in (earlier, no_drop, backwards):
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "w" / "build").exists(), "nothing is changed"


def test_a_held_warehouse_gets_its_own_code(tmp_path: Path) -> None:
    extracts = _drops(tmp_path / "extracts", "2026-11-20")
    warehouse = tmp_path / "w"
    with warehouse_lock(warehouse, "csw run (this test)"):
        run = _csw("run", "--extracts", str(extracts), "--warehouse", str(warehouse))
        rollback = _csw("rollback", "--warehouse", str(warehouse))
    for result in (run, rollback):
        assert result.returncode == exit_codes.WAREHOUSE_BUSY, result.stderr
        assert "another run holds the warehouse" in result.stderr
        assert "(csw run (this test))" in result.stderr


def test_expected_conditions_are_messages_not_tracebacks(tmp_path: Path) -> None:
    rollback = _csw("rollback", "--warehouse", str(tmp_path))
    assert rollback.returncode == exit_codes.USAGE
    assert "no earlier publication to roll back to" in rollback.stderr
    report = _csw("report", "--warehouse", str(tmp_path))
    assert report.returncode == exit_codes.USAGE
    assert "csw run" in report.stderr
    compare = _csw("compare", str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb"))
    assert compare.returncode == exit_codes.USAGE
    assert "no such file" in compare.stderr
    empty = _csw("run", "--extracts", str(tmp_path), "--warehouse", str(tmp_path / "w"))
    assert empty.returncode == exit_codes.USAGE and "no drops under" in empty.stderr
    for result in (rollback, report, compare, empty):
        assert "Traceback" not in result.stderr
