"""An unreadable file stops `csw run` with exit 2, names the file, and leaves the publication as it was.

The session's tiny warehouse (published as of d2) gets d3 with a truncated Parquet events file.
"""

from __future__ import annotations

import pytest

from tests.e2e.faults.conftest import Tiny, copy_of, sha

pytestmark = pytest.mark.slow


def test_an_unreadable_file_stops_with_exit_2_and_the_publication_stays(
    tiny: Tiny, tmp_path
) -> None:
    copy = copy_of(tiny, tmp_path)
    logged, synthetic = copy.query(
        "select count(*), bool_and(synthetic) from audit.ingest_log", published=True
    )[0]
    as_of = copy.query("select max(as_of_date) from audit.publications", published=True)[0][0]
    assert logged > 0 and synthetic is True
    assert as_of == tiny.dates[1]
    before = sha(copy.published)

    events = copy.drop("app_db") / "events.parquet"
    events.write_bytes(events.read_bytes()[: max(8, events.stat().st_size // 2)])
    second = copy.csw("run", "--date", tiny.dates[2].isoformat())
    assert second.returncode == 2, second.stdout[-3000:] + second.stderr[-3000:]
    assert "events.parquet" in second.stderr
    assert sha(copy.published) == before, "a stopped run must leave the publication untouched"
