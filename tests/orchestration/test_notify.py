"""`csw notify` against a real HTTP server on 127.0.0.1, from a tiny published file made here."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import exit_codes
from orchestration.cli import main
from orchestration.notify import NotifyUsageError, deliver, state_path
from tests.orchestration.webhook_server import Endpoint, start
from transforms.events import DeliveryConfig

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-for-tests"
AS_OF = dt.date(2026, 11, 20)
# (event_id, occurred_on): delivery order is occurred_on, then event_id
EVENTS = [
    ("e1", dt.date(2026, 11, 17)),
    ("e2", dt.date(2026, 11, 18)),
    ("e0", dt.date(2026, 11, 19)),
    ("e4", dt.date(2026, 11, 19)),
    ("e3", dt.date(2026, 11, 20)),
    ("old", dt.date(2026, 10, 1)),  # 50 days before the as-of date: not sent
]
IN_ORDER = ["e1", "e2", "e0", "e4", "e3"]
FAST = DeliveryConfig(
    connect_timeout_seconds=1,
    read_timeout_seconds=1,
    backoff_factor_seconds=0.05,
    backoff_max_seconds=0.2,
    give_up_after_seconds=5,
    max_event_age_days=14,
    version="test",
)

EVENTS_DDL = """
    create table {db}.marts.cs_events (
        event_id varchar, event_type varchar, occurred_on date, account_id varchar,
        csm_id varchar, cause varchar, observed_value double, operator varchar, threshold double,
        detail varchar, source_table varchar, config_version varchar, as_of_date date
    )
"""


def _write_events(path: Path, events: list[tuple[str, dt.date]], verdict: str | None) -> None:
    """A database holding marts.cs_events and, when `verdict` is given, its publication row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create schema audit")
    con.execute(EVENTS_DDL.format(db=path.stem))
    for event_id, day in events:
        con.execute(
            f"insert into {path.stem}.marts.cs_events values "
            "(?, 'no_login_7_days', ?, 'acc_1', 'csm_1', ?, 8, '>', 7, 'no_login_7_days', "
            "'marts.churn_signals_daily', '2026.11.1', ?)",
            [event_id, day, day.isoformat(), AS_OF],
        )
    if verdict is not None:
        con.execute(
            "create table audit.publications (run_id varchar, as_of_date date, "
            "published_at timestamp, synthetic boolean, verdict varchar, warnings integer)"
        )
        con.execute(
            "insert into audit.publications values ('run-1', ?, '2026-11-21 06:10:00', true, ?, 0)",
            [AS_OF, verdict],
        )
    con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    _write_events(tmp_path / "published" / "analytics.duckdb", EVENTS, "published with warnings")
    return tmp_path


@pytest.fixture
def endpoint():
    made = Endpoint()
    server, url = start(made)
    made.url = url
    yield made
    server.shutdown()
    server.server_close()


def test_every_event_once_across_two_runs_and_a_crash(warehouse: Path, endpoint: Endpoint) -> None:
    child: dict[str, subprocess.Popen] = {}

    def kill_on_third(number: int, request) -> int | None:
        if number == 3:
            # the crash: the process dies while the endpoint holds its third event unanswered
            os.kill(child["process"].pid, signal.SIGKILL)
            return None
        return 200

    endpoint.answer = kill_on_third
    env = {**os.environ, "CSW_WEBHOOK_SECRET": SECRET}
    child["process"] = subprocess.Popen(
        [str(Path(sys.executable).parent / "csw"), "notify", "--warehouse", str(warehouse),
         "--url", endpoint.url],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    child["process"].wait(timeout=120)
    assert child["process"].returncode == -signal.SIGKILL
    assert endpoint.acknowledged() == ["e1", "e2"]

    endpoint.answer = lambda number, request: 200
    report = deliver(warehouse, endpoint.url, "json", FAST, secret=SECRET, say=lambda _: None)
    assert report.delivered == 3 and report.already_delivered == 2 and report.too_old == 1
    assert endpoint.acknowledged() == IN_ORDER
    # a third run finds nothing new
    assert deliver(warehouse, endpoint.url, "json", FAST, secret=SECRET, say=print).delivered == 0
    assert endpoint.acknowledged() == IN_ORDER
    logged = [
        json.loads(line)["event_id"] for line in state_path(warehouse).read_text().splitlines()
    ]
    assert logged == IN_ORDER
    assert "secret-path" not in state_path(warehouse).read_text()


def test_a_500_then_200_is_retried_and_delivered_once(warehouse: Path, endpoint: Endpoint) -> None:
    endpoint.answer = lambda number, request: 500 if number == 1 else 200
    report = deliver(warehouse, endpoint.url, "json", FAST, secret=SECRET, say=lambda _: None)
    assert report.delivered == 5
    assert [r.event_id for r in endpoint.received] == ["e1", *IN_ORDER]
    assert [r.status for r in endpoint.received] == [500, 200, 200, 200, 200, 200]
    assert endpoint.acknowledged() == IN_ORDER
    # the retry is the same signed request
    assert endpoint.received[0].body == endpoint.received[1].body
    assert (
        endpoint.received[0].headers["X-CSW-Signature"]
        == endpoint.received[1].headers["X-CSW-Signature"]
    )


def test_a_server_that_never_answers_stops_the_run_and_the_next_delivers(
    warehouse: Path, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections complete in the kernel's backlog; nothing ever reads or answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    monkeypatch.setenv("CSW_WEBHOOK_SECRET", SECRET)
    try:
        with pytest.raises(SystemExit) as stopped:
            main(["notify", "--warehouse", str(warehouse), "--url", url, "--give-up-after", "1.5"])
    finally:
        silent.close()
    assert stopped.value.code == exit_codes.TRY_AGAIN == 4
    message = capsys.readouterr().err
    assert "gave up" in message and "never answered" in message and "e1" in message
    assert "Delivered 0 of 5 new events; 5 left for the next run" in message
    assert not state_path(warehouse).exists() or state_path(warehouse).read_text() == ""

    # the same warehouse, the endpoint back: the next run delivers what was left
    with pytest.raises(SystemExit) as done:
        main(["notify", "--warehouse", str(warehouse), "--url", endpoint.url])
    assert done.value.code == exit_codes.OK
    assert endpoint.acknowledged() == IN_ORDER


def _readme_verify():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Events for workflow tools") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # the receiver's check exactly as documented
    return namespace["verify"]


@pytest.mark.parametrize("body_format", ["json", "slack"])
def test_the_signature_verifies_with_the_documented_receiver_code(
    warehouse: Path, endpoint: Endpoint, body_format: str
) -> None:
    deliver(warehouse, endpoint.url, body_format, FAST, secret=SECRET, say=lambda _: None)
    verify = _readme_verify()
    first = endpoint.received[0]
    assert verify(SECRET, first.headers, first.body)
    assert not verify("another secret", first.headers, first.body)
    assert not verify(SECRET, first.headers, first.body.replace(b"acc_1", b"acc_2"))
    document = json.loads(first.body)
    assert document["event_id"] == first.headers["X-CSW-Event-Id"] == "e1"
    if body_format == "slack":
        assert set(document) == {"text", "event_id"} and "no_login_7_days" in document["text"]
    else:
        assert document["publication"] == {
            "run_id": "run-1", "as_of_date": "2026-11-20", "published_at": "2026-11-21T06:10:00"
        }  # fmt: skip
        assert (document["observed_value"], document["operator"], document["threshold"]) == (
            8,
            ">",
            7,
        )


def test_a_blocked_publication_delivers_nothing(warehouse: Path, endpoint: Endpoint) -> None:
    deliver(warehouse, endpoint.url, "json", FAST, secret=SECRET, say=lambda _: None)
    assert endpoint.acknowledged() == IN_ORDER
    # A run the gate blocked built new events in the build database and never published them
    _write_events(
        warehouse / "build" / "warehouse.duckdb",
        [*EVENTS, ("new", dt.date(2026, 11, 21))],
        verdict=None,
    )
    report = deliver(warehouse, endpoint.url, "json", FAST, secret=SECRET, say=lambda _: None)
    assert report.delivered == 0
    assert endpoint.acknowledged() == IN_ORDER


def test_a_file_without_a_passed_publication_sends_nothing(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    _write_events(tmp_path / "published" / "analytics.duckdb", EVENTS, verdict="blocked")
    with pytest.raises(NotifyUsageError, match="no publication the gate passed"):
        deliver(tmp_path, endpoint.url, "json", FAST, secret=SECRET, say=lambda _: None)
    assert endpoint.received == []


def test_a_4xx_stops_with_exit_2_and_records_nothing(
    warehouse: Path, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    endpoint.answer = lambda number, request: 401
    monkeypatch.setenv("CSW_WEBHOOK_SECRET", SECRET)
    with pytest.raises(SystemExit) as stopped:
        main(["notify", "--warehouse", str(warehouse), "--url", endpoint.url])
    assert stopped.value.code == exit_codes.DATA_STOPPED
    assert len(endpoint.received) == 1  # a 4xx is not retried
    assert "refused event e1 with 401" in capsys.readouterr().err


def test_the_sensors_job_delivers_like_csw_notify(
    warehouse: Path, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.notify_sensor import URL_ENV, build_notify_job
    from orchestration.settings import Settings

    monkeypatch.setenv(URL_ENV, endpoint.url)
    monkeypatch.setenv("CSW_WEBHOOK_SECRET", SECRET)
    job = build_notify_job(Settings(extracts_dir=warehouse / "x", warehouse_dir=warehouse))
    assert job.execute_in_process().success
    assert endpoint.acknowledged() == IN_ORDER


def _succeeded_run(job_name: str):
    import dagster as dg

    @dg.op
    def nothing() -> None:
        pass

    @dg.job(name=job_name)
    def job() -> None:
        nothing()

    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance)
    return instance, result.dagster_run, result.get_run_success_event()


def test_the_sensor_is_off_by_default_and_follows_each_published_daily_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from orchestration.notify_sensor import URL_ENV, build_notify_job, build_notify_sensor
    from orchestration.settings import Settings

    sensor = build_notify_sensor(build_notify_job(Settings(tmp_path / "x", tmp_path / "w")))
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED

    def evaluate(job_name: str):
        instance, run, event = _succeeded_run(job_name)
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=event, dagster_instance=instance, dagster_run=run
        )
        return run, sensor(context)

    monkeypatch.delenv(URL_ENV, raising=False)
    assert isinstance(evaluate("csw_daily")[1], dg.SkipReason)
    monkeypatch.setenv(URL_ENV, "http://127.0.0.1:9/hook")
    run, request = evaluate("csw_daily")
    assert isinstance(request, dg.RunRequest) and request.run_key == run.run_id
    assert isinstance(evaluate("another_job")[1], dg.SkipReason)
