"""`csw run` argument errors. (An unreadable file stopping a run with exit 2 is tested on the faults'
session warehouse: tests/e2e/faults/test_unreadable_file.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CSW = [sys.executable, "-m", "orchestration.cli"]


def _csw(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CSW, *args], capture_output=True, text=True, timeout=900)


def test_usage_error_exits_64(tmp_path: Path) -> None:
    # the exit-code contract: 64 a usage error, nothing changed (1 is a crash)
    result = _csw("run", "--extracts", str(tmp_path), "--from", "2026-01-02")
    assert result.returncode == 64
    assert "--from and --to go together" in result.stderr
