"""The warehouse's Dagster instance: one DAGSTER_HOME that `csw run` records into and `csw ui`
(`dagster dev`) opens, so the UI shows every run, materialisation and check result of the CLI.

The home is `$DAGSTER_HOME` when set, else `<warehouse>/dagster_home`. Its `dagster.yaml` is
written when missing and never overwritten; storage is Dagster's default, SQLite files in the home.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orchestration.settings import Settings

ENV_DAGSTER_HOME = "DAGSTER_HOME"
INSTANCE_DIR = "dagster_home"

DAGSTER_YAML = """\
# The Dagster instance of this warehouse, written by csw when missing (csw never overwrites it).
# Storage is Dagster's default: SQLite files in this folder (runs, event logs, schedules).
# One run at a time: the warehouse's run lock (orchestration/run_lock.py) allows no more, so the
# UI's run queue waits for a run to finish instead of starting one that stops on the lock.
run_queue:
  max_concurrent_runs: 1
"""


def dagster_home(settings: Settings) -> Path:
    """The instance folder of a warehouse: $DAGSTER_HOME when set, else <warehouse>/dagster_home."""
    configured = os.environ.get(ENV_DAGSTER_HOME)
    if configured:
        return Path(configured).expanduser().resolve()
    return settings.warehouse_dir / INSTANCE_DIR


def prepare_dagster_home(settings: Settings) -> Path:
    """Create the instance folder and its dagster.yaml if missing; returns the folder."""
    home = dagster_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


@contextmanager
def warehouse_instance(settings: Settings) -> Iterator[dg.DagsterInstance]:
    """The persistent Dagster instance of a warehouse, open for the length of the block."""
    home = prepare_dagster_home(settings)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance
