"""A drop file's identity: its content hash, as audit.ingest_log records it (light to import, so the
CLI can compare files with what was loaded before any job loads)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    """The file's content hash, read in 16 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(16 * 2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()
