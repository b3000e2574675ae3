"""One small generation per session, shared by the synthetic-generator tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

# Import the submodule: the package resolves as a namespace package under some editable installs.
from synthetic.generator import GenerationSummary, generate_drops

END = dt.date(2026, 11, 20)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    out = tmp_path_factory.mktemp("gen_current") / "extracts"
    return generate_drops(out, accounts=300, months=14, seed=7, end_date=END)


@pytest.fixture(scope="session")
def pre_run(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    out = tmp_path_factory.mktemp("gen_pre") / "extracts"
    return generate_drops(
        out, accounts=120, months=8, seed=7, api_version="pre_2025_03_31", end_date=END
    )


@pytest.fixture(scope="session")
def out_dir(small_run: GenerationSummary) -> Path:
    return small_run.out_dir
