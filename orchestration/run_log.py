"""What a person sees while the job runs: one line per step with counts and elapsed time, a
progress line at least every 15 s during a long step, and everything else in a run log file.

Without --verbose the process's stdout and stderr (file descriptors 1 and 2, so dbt's output,
Dagster's log and library warnings from any thread or child) go to `<warehouse>/logs/run-*.log`
for the length of the run; the terminal gets only the lines written through `RunLog.say`. With
--verbose nothing is redirected and the terminal shows all of it, as before.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import dagster as dg

PROGRESS_INTERVAL_S = 15.0
# How often the progress threads look at the clock. They speak once LIVE_INTERVAL_S has passed,
# so a person waits at most PROGRESS_INTERVAL_S between lines.
TICK_S = 0.25
LIVE_INTERVAL_S = PROGRESS_INTERVAL_S - TICK_S
# "12 of 483 OK created sql table model ..." (dbt's per-node lines, which dagster-dbt prints to
# stdout rather than to Dagster's log): nodes done out of the total.
_DBT_NODE = re.compile(r"^(\d+) of (\d+) (?:OK|PASS|WARN|FAIL|ERROR|SKIP)\b", re.MULTILINE)
TAIL_BYTES = 16_384


def elapsed(seconds: float) -> str:
    """Seconds as a person reads them: 7s, 2m05s, 1h03m."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


@dataclass
class _Step:
    """What one running step has reported so far."""

    key: str
    started: float
    # Per asset, not per event: a range run materialises each asset once for every partition.
    materialised: set[str] = field(default_factory=set)
    rows: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    # A failed check of WARN severity (a dbt test with severity warn, a gate rule that does not
    # block) is a warning, not a failure: "7 failed" above a publication reads as a contradiction.
    checks_warned: int = 0
    checks_failed: int = 0
    log_offset: int = 0
    nodes: tuple[int, int] | None = None
    last_message: str = ""

    def counts(self) -> str:
        parts = []
        if self.materialised:
            rows = f" ({sum(self.rows.values()):,} rows)" if self.rows else ""
            parts.append(_count(len(self.materialised), "asset") + " materialised" + rows)
        if self.checks_passed or self.checks_warned or self.checks_failed:
            warned = f", {_count(self.checks_warned, 'warning')}" if self.checks_warned else ""
            failed = f", {self.checks_failed} failed" if self.checks_failed else ""
            parts.append(_count(self.checks_passed, "check") + f" passed{warned}{failed}")
        if self.nodes:
            parts.append(f"dbt {self.nodes[0]}/{self.nodes[1]} nodes")
        return "; ".join(parts)


@dataclass
class StageReporter:
    """Turns the run's Dagster events into stage lines, and says where a long step is when asked
    (`tick`) after `interval` seconds without a line."""

    say: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    interval: float = PROGRESS_INTERVAL_S
    # The run log's size, and its text from an offset (at most its last TAIL_BYTES): dbt's node
    # lines land there; the lines a step wrote are read when its progress line is due.
    log_size: Callable[[], int] = lambda: 0
    tail: Callable[[int], str] = lambda _start: ""
    step: _Step | None = None
    steps_done: int = 0
    last_line: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.last_line = self.clock()

    def _line(self, text: str) -> None:
        self.last_line = self.clock()
        self.say(text)

    def handle(self, entry: dg.EventLogEntry) -> None:
        """Take one event of the run (an instance event listener)."""
        event = entry.dagster_event
        if event is None:
            if entry.step_key and entry.user_message.endswith("Not executing."):
                # Dagster abandons a step whose upstream failed with this message, not an event.
                self.steps_done += 1
                self._line(
                    f"[{self.steps_done:>2}] {entry.step_key} not run: a step before it failed"
                )
            elif self.step is not None and entry.user_message:
                self._note(entry.user_message)
            return
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START:
            self.step = _Step(event.step_key or "?", self.clock(), log_offset=self.log_size())
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            self.steps_done += 1
            self._line(f"[{self.steps_done:>2}] {event.step_key} skipped: a step before it stopped")
        elif self.step is None:
            return
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            self.step.materialised.add(key)
            rows = materialization.metadata.get("rows")
            if rows is not None and isinstance(rows.value, int):
                self.step.rows[key] = rows.value  # the table's rows, the same on every partition
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                self.step.checks_passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                self.step.checks_warned += 1
            else:
                self.step.checks_failed += 1
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            self._finish("done")
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            self._finish("FAILED")

    def _note(self, message: str) -> None:
        self.step.last_message = message.strip().splitlines()[0] if message.strip() else ""

    def _finish(self, verdict: str) -> None:
        step, self.step = self.step, None
        self.steps_done += 1
        self._read_nodes(step)
        counts = step.counts()
        took = elapsed(self.clock() - step.started)
        self._line(
            f"[{self.steps_done:>2}] {step.key} {verdict} in {took}"
            + (f": {counts}" if counts else "")
        )

    def _read_nodes(self, step: _Step) -> None:
        """dbt's last node line the step wrote to the run log: nodes done out of the total."""
        nodes = _DBT_NODE.findall(self.tail(step.log_offset))
        if nodes:
            step.nodes = (int(nodes[-1][0]), int(nodes[-1][1]))

    def tick(self) -> None:
        """Say where the running step is if nothing has been said for `interval` seconds."""
        now = self.clock()
        step = self.step  # one read: the run's thread may finish the step meanwhile
        if now - self.last_line < self.interval:
            return
        if step is None:
            doing = "loading the job" if self.steps_done == 0 else "between steps"
            self._line(f"     … {doing}, {elapsed(now - self.started)} since the run began")
            return
        self._read_nodes(step)
        message = step.last_message
        detail = step.counts() or (message[:100] + "…" if len(message) > 100 else message)
        running = elapsed(now - step.started)
        self._line(f"     … {step.key} running {running}" + (f": {detail}" if detail else ""))


class RunLog:
    """The run log file and the terminal for one run: a context manager that redirects the
    process's output to the file (unless verbose) and ticks the reporter from a thread."""

    def __init__(self, logs_dir: Path, *, verbose: bool = False, prefix: str = "csw: ") -> None:
        logs_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = logs_dir / f"run-{stamp}-{os.getpid()}.log"
        self.verbose = verbose
        self._prefix = prefix
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._saved: tuple[int, int] | None = None
        self._terminal: TextIO = sys.stdout
        self._file: TextIO | None = None
        self._broken = False
        self.reporter = StageReporter(
            self.say, interval=LIVE_INTERVAL_S, log_size=self._size, tail=self._tail
        )

    def say(self, message: str) -> None:
        """A line for the person at the terminal and for the log file."""
        line = f"{self._prefix}{message}\n"
        self.reporter.last_line = self.reporter.clock()
        with self._lock:
            self._terminal.write(line)
            self._terminal.flush()
            if self._file is not None:
                self._file.write(line)

    def listen(self, entry: dg.EventLogEntry) -> None:
        """The run's event listener: feeds the reporter, which must never fail the run it shows."""
        if self._broken:
            return
        try:
            self.reporter.handle(entry)
        except Exception as exc:  # a display fault is not a run fault: say it once and go on
            self._broken = True
            self.say(f"progress lines stopped ({type(exc).__name__}: {exc}); the run goes on")

    def _size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def _tail(self, start: int) -> str:
        """The run log from byte `start`, at most its last TAIL_BYTES."""
        with open(self.path, "rb") as log:
            log.seek(max(start, log.seek(0, os.SEEK_END) - TAIL_BYTES))
            return log.read().decode("utf-8", "replace")

    def __enter__(self) -> RunLog:
        # Appending, as fds 1 and 2 do below: the lines of both keep their order in the file.
        self._file = open(self.path, "a", buffering=1)  # noqa: SIM115 (closed in __exit__)
        self._started = time.monotonic()
        self.say(f"run log: {self.path}")
        if not self.verbose:
            sys.stdout.flush()
            sys.stderr.flush()
            self._saved = (os.dup(1), os.dup(2))
            log_fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            os.close(log_fd)
            self._terminal = os.fdopen(os.dup(self._saved[0]), "w", buffering=1)
        self._ticker = threading.Thread(target=self._tick, name="csw-progress", daemon=True)
        self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            self.reporter.tick()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._ticker.join()
        if self._saved is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(self._saved[0], 1)
            os.dup2(self._saved[1], 2)
            for fd in self._saved:
                os.close(fd)
            self._saved = None
            self._terminal.close()
            self._terminal = sys.stdout
        took = elapsed(time.monotonic() - self._started)
        self.say(f"run log: {self.path} (the run took {took})")
        self._file.close()
        self._file = None


class Heartbeat:
    """A step outside the job (generating drops, the report, dbt docs): `say` passes its lines on,
    and a thread says "… <what>: <elapsed> so far" whenever `interval` seconds pass without one."""

    def __init__(
        self,
        say: Callable[[str], None],
        what: str,
        interval: float = PROGRESS_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._say, self.what, self.interval, self._clock = say, what, interval, clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started = self._last = clock()
        self._thread = threading.Thread(target=self._beat, name="csw-heartbeat", daemon=True)

    def say(self, message: str) -> None:
        with self._lock:
            self._last = self._clock()
            self._say(message)

    def tick(self) -> None:
        """The line, if `interval` seconds passed since the last one (the thread calls it)."""
        with self._lock:
            now = self._clock()
            if now - self._last >= self.interval:
                self._say(f"     … {self.what}: {elapsed(now - self._started)} so far")
                self._last = now

    def _beat(self) -> None:
        while not self._stop.wait(min(TICK_S, self.interval / 4)):
            self.tick()

    def __enter__(self) -> Heartbeat:
        self._started = self._last = self._clock()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
