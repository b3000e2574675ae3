"""Which drops there are, and which of them a run still has to process, judged by what was loaded.

A drop is pending when a source's folder for its date was never ingested, when it holds a file the
last ingest of that drop did not see or whose content changed since (a file fixed, renamed or
re-delivered: its status-change time is later than that ingest and its sha256 differs from the one
loaded), or when its date is later than the last publication (a run that loaded it was stopped
before publishing). A changed manifest alone is not seen; `csw run --date D` reloads a drop. So after a blocked run, the next
plain `csw run` takes up exactly what is still missing. Drop folders whose names are not dates are
skipped and named; hidden folders (an extraction in progress) are not drops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.files import sha256_of
from ingest.manifest import MANIFEST

# Statuses of audit.ingest_log rows for files an ingest saw in the folder.
_SEEN = ("loaded", "replaced", "unchanged", "ignored_file")


@dataclass(frozen=True)
class DropScan:
    """The drop folders under an extracts root."""

    by_source: dict[str, list[dt.date]]
    skipped: list[str] = field(default_factory=list)

    @property
    def dates(self) -> list[dt.date]:
        """Every date with a drop folder of any source, oldest first."""
        return sorted({d for dates in self.by_source.values() for d in dates})


def scan_drops(extracts_dir: Path) -> DropScan:
    """Every `<source>/<YYYY-MM-DD>/` folder; other visible folders are skipped and named."""
    by_source: dict[str, list[dt.date]] = {}
    skipped: list[str] = []
    if not extracts_dir.is_dir():
        return DropScan({}, [])
    for source_dir in sorted(extracts_dir.iterdir()):
        if not source_dir.is_dir() or source_dir.name.startswith("."):
            continue
        dates = []
        for folder in sorted(source_dir.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                if len(folder.name) != 10:
                    raise ValueError("not YYYY-MM-DD")
                dates.append(dt.date.fromisoformat(folder.name))
            except ValueError as exc:
                skipped.append(
                    f"{source_dir.name}/{folder.name}: skipped, a drop folder is named by its date "
                    f"(YYYY-MM-DD) ({exc})"
                )
        by_source[source_dir.name] = dates
    return DropScan(by_source, skipped)


@dataclass(frozen=True)
class WarehouseState:
    """What the build database says was loaded and published."""

    # (source, drop date) -> (the latest ingest's load time, the files it saw with their sha256)
    ingests: dict[tuple[str, dt.date], tuple[dt.datetime, dict[str, str | None]]]
    last_published: dt.date | None


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def _published_as_of(path: Path) -> dt.date | None:
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        if not _has_table(con, "audit", "publications"):
            return None
        return con.execute("select max(as_of_date) from audit.publications").fetchall()[0][0]
    finally:
        con.close()


def warehouse_state(build_db: Path, published_db: Path) -> WarehouseState:
    """The latest ingest of every source's drop, and the as-of date of the last publication
    (the build database's record, or the published file's when a crash lost the former)."""
    ingests: dict[tuple[str, dt.date], tuple[dt.datetime, dict[str, str | None]]] = {}
    last: dt.date | None = None
    if build_db.exists():
        con = duckdb.connect(str(build_db), read_only=True)
        try:
            if _has_table(con, "audit", "ingest_log"):
                seen = ", ".join(f"'{status}'" for status in _SEEN)
                rows = con.execute(
                    f"""
                    select source, drop_date, loaded_at,
                           list(struct_pack(file := file, sha := content_sha256))
                               filter (where status in ({seen}))
                    from (
                        select *, max(loaded_at) over (partition by source, drop_date) as latest
                        from audit.ingest_log where status <> 'missing_drop'
                    )
                    where loaded_at = latest
                    group by source, drop_date, loaded_at
                    """
                ).fetchall()
                ingests = {
                    (s, d): (at, {f["file"]: f["sha"] for f in files or []})
                    for s, d, at, files in rows
                }
            if _has_table(con, "audit", "publications"):
                last = con.execute("select max(as_of_date) from audit.publications").fetchall()[0][
                    0
                ]
        finally:
            con.close()
    published = _published_as_of(published_db)
    if published is not None and (last is None or published > last):
        last = published
    return WarehouseState(ingests, last)


def _changed_since(folder: Path, loaded_at: dt.datetime, seen: dict[str, str | None]) -> bool:
    """Whether the folder holds a file the ingest did not see, or one whose content changed after
    it (its status changed later, and its sha256 differs from the one loaded: a copy of the same
    file is not a change)."""
    for path in folder.iterdir():
        if not path.is_file() or path.name.startswith(".") or path.name == MANIFEST:
            continue
        if path.name not in seen:
            return True
        changed = dt.datetime.fromtimestamp(path.stat().st_ctime, dt.UTC).replace(tzinfo=None)
        loaded_sha = seen[path.name]
        if changed > loaded_at and loaded_sha is not None and sha256_of(path) != loaded_sha:
            return True
    return False


def unloaded_dates(scan: DropScan, extracts_dir: Path, state: WarehouseState) -> list[dt.date]:
    """Dates with a source's drop never ingested, or changed since its latest ingest."""
    dates = set()
    for source, source_dates in scan.by_source.items():
        for day in source_dates:
            ingest = state.ingests.get((source, day))
            if ingest is None or _changed_since(extracts_dir / source / day.isoformat(), *ingest):
                dates.add(day)
    return sorted(dates)


def pending_dates(
    scan: DropScan, extracts_dir: Path, state: WarehouseState, first_partition: dt.date
) -> list[dt.date]:
    """The drop dates a run with no date must process: not loaded (or changed), or after the
    last publication."""
    pending = set(unloaded_dates(scan, extracts_dir, state))
    pending |= {d for d in scan.dates if state.last_published is None or d > state.last_published}
    return sorted(d for d in pending if d >= first_partition)


def describe_dates(dates: Iterable[dt.date]) -> str:
    """A list of dates for a message: all of a few, or the first and last of many."""
    dates = sorted(dates)
    if len(dates) <= 4:
        return ", ".join(d.isoformat() for d in dates)
    return f"{dates[0]} … {dates[-1]} ({len(dates)} dates)"
