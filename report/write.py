"""`csw report`: build the leadership report from the published file and write it atomically."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from report.page import build_report
from report.published import read_publication


def write_report(published_db: Path, out: Path) -> Path:
    """Build the report from `published_db` and write it to `out` (one self-contained HTML file)."""
    tables, publication = read_publication(published_db)
    html = build_report(
        tables,
        publication,
        source_name=published_db.name,
        generated_at=dt.datetime.now(dt.UTC),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so a reader never opens a half-written page.
    partial = out.with_name(out.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(out)
    return out
