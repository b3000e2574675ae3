"""The manifest a drop may carry (`_manifest.json`): when it was extracted, rows per file, synthetic."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import ExtractFileError

MANIFEST = "_manifest.json"


@dataclass
class Manifest:
    """What a drop's manifest declares."""

    extracted_at: datetime.datetime | None
    row_counts: dict[str, int]
    synthetic: bool


def utc_naive(moment: datetime.datetime) -> datetime.datetime:
    """The moment in UTC without a time zone attached, as raw timestamps are stored."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def read_manifest(path: Path) -> Manifest | None:
    """The manifest at `path`, or None when the drop has none."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        counts = data.get("row_counts") or {}
        if not isinstance(counts, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in counts.values()
        ):
            raise ValueError("row_counts must map file names to integers")
        extracted = data.get("extracted_at")
        extracted_at = utc_naive(datetime.datetime.fromisoformat(extracted)) if extracted else None
        return Manifest(extracted_at, counts, bool(data.get("synthetic", False)))
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ExtractFileError(
            path, 'JSON {"extracted_at", "row_counts": {file: rows}, "synthetic"}', str(exc)
        ) from exc
