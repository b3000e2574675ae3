"""Reading generated drops back with plain json/csv, independently of the generator."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any


def drops(out: Path, source: str) -> list[Path]:
    return sorted(p for p in (out / source).iterdir() if p.is_dir())


def jsonl(path: Path) -> list[tuple[int, dict[str, Any] | None]]:
    """(line number, object or None when the line does not parse)."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            try:
                rows.append((number, json.loads(text)))
            except json.JSONDecodeError:
                rows.append((number, None))
    return rows


def csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number counting the header as line 1, row)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return [(i + 2, row) for i, row in enumerate(reader)]


def flaws(out: Path) -> list[dict[str, str]]:
    gt = out.parent / (out.name + "_ground_truth")
    with (gt / "flaws.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def flawed_lines(out: Path, kinds: tuple[str, ...]) -> set[tuple[str, str, str, int]]:
    return {
        (f["source"], f["drop_date"], f["file"], int(f["line"]))
        for f in flaws(out)
        if f["kind"] in kinds
    }


def latest_stripe(out: Path, table: str) -> dict[str, dict[str, Any]]:
    """Newest version of every Stripe object: the later drop wins."""
    objects: dict[str, dict[str, Any]] = {}
    for drop in drops(out, "stripe"):
        for _line, obj in jsonl(drop / f"{table}.jsonl"):
            if obj is not None:
                objects[obj["id"]] = obj
    return objects


def all_valid_csv(out: Path, table: str) -> list[tuple[str, int, dict[str, str]]]:
    """(drop date, line, row) of every CSV row of an app_db table that is not a malformed flaw."""
    bad = flawed_lines(out, ("c_malformed",))
    rows = []
    for drop in drops(out, "app_db"):
        for line, row in csv_rows(drop / f"{table}.csv"):
            if ("app_db", drop.name, f"{table}.csv", line) not in bad:
                rows.append((drop.name, line, row))
    return rows


def day_of(iso: str) -> str:
    return iso[:10]


def unix_day(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date().isoformat()
