"""The extractors' state: where the previous extraction of a source stopped (its high-water mark).

One JSON file per source, `<extracts>/<source>/_extract_state.json`, beside the drops it describes:
delete the drops and the state goes with them, and the next extraction is a full one again.

The state and the drop must change together, or a crash between the two would make the next run
read rows twice (state older than the drops) or miss them (state newer). A commit therefore goes
through a journal: the new state is written as `_extract_state.pending.json` naming the drop it
belongs to, then the drop folder is renamed into place, then the pending file replaces the state.
On the next start a pending file whose drop exists is completed; one whose drop does not is
discarded (the crash came before the drop was committed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ingest.extract.errors import ExtractError

STATE_FILE = "_extract_state.json"
PENDING_FILE = "_extract_state.pending.json"


def write_json_atomically(path: Path, data: Any) -> None:
    """Replace `path` with `data` as JSON: a reader sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StateStore:
    """The state of one source's extractions under `<extracts>/<source>/`."""

    def __init__(self, source_dir: Path) -> None:
        self.source_dir = source_dir
        self.path = source_dir / STATE_FILE
        self.pending_path = source_dir / PENDING_FILE

    def load(self) -> dict[str, Any] | None:
        """The committed state (after finishing or discarding an interrupted commit); None at first."""
        self._recover()
        if not self.path.exists():
            return None
        return self._read(self.path)

    def write_pending(self, state: dict[str, Any], drop_date: str, extraction_id: str) -> None:
        write_json_atomically(
            self.pending_path,
            {"drop_date": drop_date, "extraction_id": extraction_id, "state": state},
        )

    def promote_pending(self) -> None:
        """The drop is in place: its state becomes the committed one."""
        pending = self._read(self.pending_path)
        write_json_atomically(self.path, pending["state"])
        self.pending_path.unlink()
        fsync_dir(self.source_dir)

    def discard_pending(self) -> None:
        self.pending_path.unlink(missing_ok=True)

    def _recover(self) -> None:
        if not self.pending_path.exists():
            return
        pending = self._read(self.pending_path)
        manifest = self.source_dir / str(pending.get("drop_date")) / "_manifest.json"
        committed = False
        if manifest.is_file():
            try:
                extraction_id = json.loads(manifest.read_text(encoding="utf-8")).get(
                    "extraction_id"
                )
            except ValueError:
                extraction_id = None
            committed = extraction_id == pending.get("extraction_id")
        if committed:
            self.promote_pending()
        else:
            self.discard_pending()

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ExtractError(
                f"the extraction state {path} cannot be read ({exc}). It records where the previous "
                "extraction stopped; delete it only together with the drops beside it (the next "
                "extraction is then a full one)."
            ) from exc
        if not isinstance(data, dict):
            raise ExtractError(f"the extraction state {path} is not a JSON object; see above")
        return data
