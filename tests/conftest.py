"""Session fixtures more than one test package reads, and how the tests are shared between workers.

`make test` runs pytest on two workers (pytest-xdist, `--dist loadgroup`). A session fixture is built
once per worker that asks for it, so every test is put in a group that runs on one worker: the
group of the generated warehouse it reads (the session fixture at the root of its fixtures, e.g.
`daily_operation` for the report, KPI and engagement tests), else its module (whose module-scoped
fixtures are then built once).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.warehouses import DailyOperation, operate

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def daily_operation(tmp_path_factory: pytest.TempPathFactory) -> DailyOperation:
    """The daily-operation history, published (tests/warehouses.py); read it, never write to it."""
    return operate(tmp_path_factory.mktemp("operations"))


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before any worker starts: two workers finding no manifest in a
    fresh clone would both parse it and one could read the other's half-written file."""
    if hasattr(config, "workerinput") or getattr(config.option, "collectonly", False):
        return
    from orchestration.assets.dbt import ensure_manifest

    ensure_manifest()


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
    """Give every test an xdist group; under `--dist loadgroup`, hand out the groups holding the
    most slow (end-to-end) tests first, so the long ones do not end up alone on one worker."""
    groups = {}
    for item in items:
        group = _shared_warehouse(item) or item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
        groups[item.nodeid] = group
    if getattr(config.option, "dist", "no") != "loadgroup":
        return
    slow = Counter(groups[i.nodeid] for i in items if i.get_closest_marker("slow"))
    items.sort(key=lambda item: -slow[groups[item.nodeid]])
