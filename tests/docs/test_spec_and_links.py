"""The spec ships in the repository (docs/spec/, kept in step with ../shared/spec/ where that folder
exists), and every relative link in the README and the dbt docs overview resolves from a clone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT, SPEC_DIR

# A markdown link's target: [text](target), ignoring an optional "title".
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SPEC_FILES = {"architecture.md", "metrics.md", "sources.md", "validation.md"}


def _shared_spec() -> Path | None:
    """The team's shared spec folder beside the repository (or beside a parent of a worktree)."""
    for parent in PROJECT_ROOT.parents:
        candidate = parent / "shared" / "spec"
        if (candidate / "metrics.md").is_file():
            return candidate
    return None


def _relative_links(text: str) -> list[str]:
    """The link targets of a markdown text that point at files (not the web, not an anchor)."""
    return [
        target.split("#")[0]
        for target in LINK.findall(text)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")
    ]


def test_the_spec_is_shipped_whole() -> None:
    assert {p.name for p in SPEC_DIR.glob("*.md")} == SPEC_FILES


def test_the_shipped_spec_equals_the_shared_one_when_that_folder_exists() -> None:
    shared = _shared_spec()
    if shared is None:
        pytest.skip("no ../shared/spec beside this clone: the shipped copy is the spec")
    shipped = {p.name: p.read_bytes() for p in SPEC_DIR.glob("*.md")}
    source = {p.name: p.read_bytes() for p in shared.glob("*.md")}
    assert sorted(shipped) == sorted(source), "docs/spec/ lists other files than ../shared/spec/"
    stale = sorted(name for name in source if shipped[name] != source[name])
    assert stale == [], f"docs/spec/ differs from {shared}: copy {stale} again"


def test_every_readme_link_resolves_inside_the_repository() -> None:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "shared/spec" not in text, "the README points outside the repository"
    links = _relative_links(text)
    assert "docs/spec/metrics.md" in links
    for target in links:
        path = (PROJECT_ROOT / target).resolve()
        assert path.is_relative_to(PROJECT_ROOT), target
        assert path.exists(), f"README links to {target}, which a clone does not have"


def test_the_dbt_docs_overview_replaces_the_welcome_page_and_its_links_resolve() -> None:
    pages = [p for p in DBT_PROJECT_DIR.rglob("*.md") if "target" not in p.parts]
    overviews = [p for p in pages if "{% docs __overview__ %}" in p.read_text(encoding="utf-8")]
    assert len(overviews) == 1
    text = overviews[0].read_text(encoding="utf-8")
    for subject in ("marts", "audit", "metric_registry", "check_results", "verdict"):
        assert subject in text
    links = _relative_links(text)
    assert links, "the overview links to the spec"
    # `csw docs` copies docs/spec/ to spec/ beside the page, so spec/<file> is a shipped spec file.
    for target in links:
        assert target.startswith("spec/") and (SPEC_DIR / target.removeprefix("spec/")).is_file()
