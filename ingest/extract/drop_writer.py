"""Writes one source's drop completely or not at all.

Files go to a hidden folder beside the drops (`.<date>.partial-<id>`), which the loader, the sensor
and `csw run` never read (they take folders named YYYY-MM-DD only). When every file and the
`_manifest.json` are written and synced, the folder is renamed to `<date>`: a rename within one
file system is atomic, so a drop is either absent or complete. A lock file keeps two extractions
of the same source apart, which also makes any partial folder found at start a crashed run's.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from ingest.extract.errors import ExtractError
from ingest.extract.state import StateStore, fsync_dir

MANIFEST = "_manifest.json"
LOCK_FILE = ".extract.lock"
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DropWriter:
    """One extraction's drop: `open`, write files under `path(name)`, then `commit` (or `abort`)."""

    def __init__(self, extracts_root: Path, source: str, drop_date: dt.date) -> None:
        self.source = source
        self.drop_date = drop_date
        self.source_dir = Path(extracts_root) / source
        self.final_dir = self.source_dir / drop_date.isoformat()
        self.extraction_id = uuid.uuid4().hex
        self.temp_dir = self.source_dir / f".{drop_date.isoformat()}.partial-{self.extraction_id}"
        self.state = StateStore(self.source_dir)
        self.row_counts: dict[str, int] = {}
        self._lock: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> dict[str, Any] | None:
        """Take the source's lock, clear a crashed run's leftovers; returns the committed state."""
        self.source_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        try:
            state = self.state.load()
            for leftover in self.source_dir.glob(".*.partial-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            self._check_date()
            self.temp_dir.mkdir()
        except BaseException:
            self._release_lock()
            raise
        return state

    def path(self, filename: str) -> Path:
        return self.temp_dir / filename

    def record(self, filename: str, rows: int) -> None:
        """Count a written file's rows for the manifest (ingest compares them with what it reads)."""
        self.row_counts[filename] = rows

    def commit(self, state: dict[str, Any], manifest_extra: dict[str, Any]) -> Path:
        """Write the manifest, sync, rename the folder into place and commit the new state."""
        try:
            manifest = {
                "source": self.source,
                "drop_date": self.drop_date.isoformat(),
                "extracted_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "row_counts": dict(sorted(self.row_counts.items())),
                "synthetic": False,
                "extraction_id": self.extraction_id,
                **manifest_extra,
            }
            (self.temp_dir / MANIFEST).write_text(
                json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
            )
            for file in self.temp_dir.iterdir():
                with file.open("rb") as handle:
                    os.fsync(handle.fileno())
            fsync_dir(self.temp_dir)
            self.state.write_pending(state, self.drop_date.isoformat(), self.extraction_id)
            os.rename(self.temp_dir, self.final_dir)
            fsync_dir(self.source_dir)
            self.state.promote_pending()
        except BaseException:
            self.abort()
            raise
        self._release_lock()
        return self.final_dir

    def abort(self) -> None:
        """Remove what this extraction wrote; the drops and the state stay as they were."""
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        if not self.final_dir.exists():
            self.state.discard_pending()
        self._release_lock()

    # -- checks ------------------------------------------------------------------------------

    def _check_date(self) -> None:
        if self.final_dir.exists():
            raise ExtractError(
                f"the drop {self.final_dir} exists already. A drop is never rewritten: an "
                "extraction holds what changed since the previous one, so pass a later --date "
                "(default: today, UTC)."
            )
        later = sorted(
            p.name
            for p in self.source_dir.iterdir()
            if p.is_dir() and _DATE_DIR.match(p.name) and p.name > self.drop_date.isoformat()
        )
        if later:
            raise ExtractError(
                f"{self.source_dir} already holds a drop dated {later[-1]}, after "
                f"{self.drop_date}: an extraction holds the changes up to now, so its drop must be "
                f"the newest. Pass --date {later[-1]} or later."
            )

    def _take_lock(self) -> None:
        fd = os.open(self.source_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise ExtractError(
                f"another extraction of {self.source} into {self.source_dir} is running (it holds "
                f"{self.source_dir / LOCK_FILE}); wait for it to finish."
            ) from exc
        self._lock = fd

    def _release_lock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None
