"""The file readers: JSON Lines chunks name the line that is not UTF-8; Parquet is read a row group at a time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest import readers, staging
from ingest.errors import ExtractFileError
from ingest.loader import ingest_source_drop
from tests.ingest.drops import organization_line


def test_jsonl_bad_utf8_in_a_later_chunk_names_the_line_and_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "JSONL_CHUNK_LINES", 2)
    folder = tmp_path / "ticketing" / "2025-06-01"
    folder.mkdir(parents=True)
    good = "\n".join(
        [organization_line(1), organization_line(2), organization_line(3), organization_line(4)]
    ).encode()
    (folder / "organizations.jsonl").write_bytes(good + b'\n{"id": 5, "name": "\xff"}\n')
    con = duckdb.connect()
    with pytest.raises(ExtractFileError) as exc:
        ingest_source_drop(con, "ticketing", tmp_path, dt.date(2025, 6, 1), dt.datetime(2025, 6, 2))
    assert "organizations.jsonl" in str(exc.value) and "line 5" in str(exc.value)
    assert con.execute("select count(*) from raw.ticketing__organizations").fetchall() == [(0,)]
    assert con.execute("select count(*) from audit.ingest_log").fetchall() == [(0,)]


def test_parquet_batches_do_not_keep_the_row_groups_already_read(tmp_path: Path) -> None:
    """Reading a Parquet file batch by batch holds about one row group, not the file: with pyarrow's
    default `pre_buffer` the reader fetched the row groups ahead and kept their buffers (the whole
    of this small file at once; at 100k accounts ingest's memory climbed past 8 GiB through the 4 GB
    events file while DuckDB stayed within its limit). Hashed integers do not compress, so the file
    is about 40 row groups x 400 kB."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    values = pl.int_range(40 * 50_000, eager=True).hash(7)
    pq.write_table(pl.DataFrame({"v": values}).to_arrow(), path, row_group_size=50_000)
    file_bytes = path.stat().st_size
    before = pa.total_allocated_bytes()
    held = []
    for batch in readers.parquet_file(path).iter_batches(batch_size=50_000):
        del batch
        held.append(pa.total_allocated_bytes() - before)
    assert len(held) == 40
    assert max(held) < file_bytes / 4, (max(held), file_bytes)
