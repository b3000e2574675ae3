"""Wall time and peak memory of a command and of the stages inside it.

A sampler thread reads the resident set size of a process and all its descendants from `/proc`
ten times a second (dbt runs as a child of the Dagster run, so the tree is what costs memory).
Stages are time intervals reported by the measured process itself; a stage's peak is the largest
sample inside its intervals.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
        except OSError:
            continue
        found += [int(c) for c in text.split()]
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and every descendant (0 once the process is gone)."""
    total = 0
    stack = [pid]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            resident = int(Path(f"/proc/{current}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident * PAGE_SIZE
        stack += _children(current)
    return total


@dataclass
class Measurement:
    command: list[str]
    wall_s: float
    peak_rss_bytes: int
    returncode: int
    samples: list[tuple[float, int]] = field(repr=False, default_factory=list)

    def peak_between(self, intervals: list[tuple[float, float]]) -> int | None:
        """Largest sample taken inside any of the intervals (epoch seconds); None when no sample
        fell inside (a stage shorter than the sampling period)."""
        inside = [
            rss for t, rss in self.samples if any(start <= t <= end for start, end in intervals)
        ]
        return max(inside) if inside else None


def measure(
    command: list[str],
    env: dict[str, str] | None = None,
    log: Path | None = None,
    interval_s: float = 0.1,
) -> Measurement:
    """Run a command to completion, sampling its process tree's memory; stdout/stderr go to `log`."""
    handle = log.open("w") if log else subprocess.DEVNULL
    start = time.time()
    process = subprocess.Popen(
        command, env=env, stdout=handle, stderr=subprocess.STDOUT if log else subprocess.DEVNULL
    )
    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.time(), tree_rss(process.pid)))
            stop.wait(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    returncode = process.wait()
    wall = time.time() - start
    stop.set()
    sampler.join()
    if log:
        handle.close()
    peak = max((rss for _, rss in samples), default=0)
    return Measurement(command, wall, peak, returncode, samples)


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str))
    tmp.replace(path)
