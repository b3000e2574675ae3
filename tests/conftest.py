"""Session fixtures more than one test package reads, and how the tests are shared between workers.

`make test` runs pytest on two workers (pytest-xdist, `-n 2`). A session fixture is built once per
worker that asks for it, so every test is put in a group that runs on one worker: the group of the
generated warehouse it reads (the session fixture at the root of its fixtures, e.g. `daily_operation`
for the report, KPI and engagement tests), else its module (whose module-scoped fixtures are then
built once). xdist's own `--dist loadgroup` cannot carry the groups under pytest 9 (it renames node
ids through an attribute pytest 9 no longer reads), so the workers write each test's group to a file
and the scheduler below (`GroupScheduling`) reads it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from tests.warehouses import DailyOperation, operate

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def daily_operation(tmp_path_factory: pytest.TempPathFactory) -> DailyOperation:
    """The daily-operation history, published (tests/warehouses.py); read it, never write to it."""
    return operate(tmp_path_factory.mktemp("operations"))


#: The file the workers write each test's group to, named by the controller before they start.
GROUPS_FILE = "CSW_TEST_GROUPS_FILE"


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before any worker starts: two workers finding no manifest in a
    fresh clone would both parse it and one could read the other's half-written file."""
    if hasattr(config, "workerinput") or getattr(config.option, "collectonly", False):
        return
    if getattr(config.option, "numprocesses", None):
        handle, name = tempfile.mkstemp(prefix="csw-test-groups-", suffix=".json")
        os.close(handle)
        os.environ[GROUPS_FILE] = name
    from orchestration.assets.dbt import ensure_manifest

    ensure_manifest()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller removes the groups file it named."""
    if not hasattr(config, "workerinput") and os.environ.get(GROUPS_FILE):
        Path(os.environ.pop(GROUPS_FILE)).unlink(missing_ok=True)


def _shared_warehouse(item: pytest.Item) -> str | None:
    """The root session fixture of this project's tests that the item reads, if any."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    ours = {}
    for name in item.fixturenames:
        definitions = info.name2fixturedefs.get(name)
        if not definitions:
            continue
        definition = definitions[-1]
        module = getattr(definition.func, "__module__", "") or ""
        if definition.scope == "session" and module.startswith("tests."):
            ours[name] = definition
    roots = [n for n, d in ours.items() if not set(d.argnames) & set(ours)]
    return min(roots) if roots else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker: put the tests with the most slow (end-to-end) tests in their group first, so the
    long groups are handed out before the short ones, and write every test's group for the
    scheduler."""
    if not hasattr(config, "workerinput"):
        return
    groups = {
        item.nodeid: _shared_warehouse(item) or item.nodeid.split("::", 1)[0] for item in items
    }
    slow = Counter(groups[i.nodeid] for i in items if i.get_closest_marker("slow"))
    items.sort(key=lambda item: -slow[groups[item.nodeid]])
    target = Path(os.environ[GROUPS_FILE])
    partial = target.with_suffix(f".{config.workerinput['workerid']}")
    partial.write_text(json.dumps(groups))
    partial.replace(target)


def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN201 (xdist's types)
    """Hand out whole groups (see the module's docstring)."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                self.groups = json.loads(Path(os.environ[GROUPS_FILE]).read_text())
            return self.groups.get(nodeid, nodeid)

    return GroupScheduling(config, log)
