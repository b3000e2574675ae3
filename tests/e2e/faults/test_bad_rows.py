"""Bad rows in a daily drop: quarantined or counted at the door, never invented into the published
numbers (issue #29: items 3, 4, 7 and 10's duplicates).

Into d3 go an account created in 2099, a subscription canceled before it was created, one whose
item's period ends at unix 4070908800 (2099, past 2038), a ticket solved before it was created, an
older version of a ticket placed before its newest one, an exact repeat of a ticket, a ticket of
an unknown organisation, a rating of an unknown ticket, a survey send and usage events of an
unknown account; beside the drops, a folder that is not a date. The run publishes with warnings,
and its marts equal the control's: nothing the faults carried reached a published number. The
clean d3 is then re-delivered and a plain `csw run` loads it (the drop changed) and publishes the
control's marts again.
"""

from __future__ import annotations

import copy as copying
import datetime as dt
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.e2e.faults.conftest import (
    Tiny,
    Warehouse,
    copy_of,
    mart_differences,
    quarantined_rows,
    unaccounted,
)

pytestmark = pytest.mark.slow

FAR = 4_070_908_800  # 2099-01-01 00:00:00 UTC


@dataclass
class Faulty:
    copy: Warehouse
    faulty: subprocess.CompletedProcess[str]
    faulty_quarantine: dict[tuple[str, str], int]
    faulty_unaccounted: list[tuple]
    faulty_rule7: dict[str, tuple[str, str, str]]
    faulty_segments: list[tuple]
    faulty_published: Path
    redelivered: subprocess.CompletedProcess[str]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write_lines(path: Path, objects: list[dict]) -> None:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))


def _declare(folder: Path, file: str, rows: int) -> None:
    """Set the manifest's row count of `file`, as the source's extractor would have."""
    manifest = json.loads((folder / "_manifest.json").read_text())
    manifest["row_counts"][file] = rows
    (folder / "_manifest.json").write_text(json.dumps(manifest))


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _break_app_db(folder: Path) -> None:
    accounts = folder / "accounts.csv"
    header = accounts.read_text().splitlines()[0]
    assert header.startswith("account_id,name,stripe_customer_id,segment,plan,csm_id,created_at,")
    rows = accounts.read_text().splitlines()
    rows.append(
        "acc_future,Future Co,,smb,starter,,2099-01-01T00:00:00Z,3,500,,2099-01-01T00:00:00Z,"
    )
    accounts.write_text("\n".join(rows) + "\n")
    _declare(folder, "accounts.csv", len(rows) - 1)

    sends = folder / "nps_survey_sends.csv"
    rows = sends.read_text().splitlines()
    rows.append("snd_ghost,acc_ghost,usr_ghost,2026-11-20T09:00:00Z,day_30")
    sends.write_text("\n".join(rows) + "\n")
    _declare(folder, "nps_survey_sends.csv", len(rows) - 1)

    events = pq.read_table(folder / "events.parquet")
    ghost = events.slice(0, 3).to_pylist()
    for number, event in enumerate(ghost):
        event.update(event_id=f"ev_ghost_{number}", account_id="acc_ghost", user_id="usr_ghost")
    merged = pa.concat_tables([events, pa.Table.from_pylist(ghost, schema=events.schema)])
    pq.write_table(merged, folder / "events.parquet")
    _declare(folder, "events.parquet", merged.num_rows)


def _break_stripe(folder: Path, day: dt.date) -> None:
    subscriptions = _lines(folder / "subscriptions.jsonl")
    # A day's drop holds the subscriptions that changed, maybe none: the first drop holds them all.
    first = min(p for p in folder.parent.iterdir() if p.is_dir() and not p.name.startswith("_"))
    template = _lines(first / "subscriptions.jsonl")[0]
    noon = int(dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp())
    canceled = copying.deepcopy(template)
    canceled.update(id="sub_faultCanceled", created=noon, canceled_at=noon - 86_400, ended_at=None)
    future = copying.deepcopy(template)
    future["id"] = "sub_faultFuture"
    for number, item in enumerate(future["items"]["data"]):
        item["id"] = f"si_faultFuture{number}"
        item["subscription"] = "sub_faultFuture"
        item["current_period_end"] = FAR
    subscriptions += [canceled, future]
    _write_lines(folder / "subscriptions.jsonl", subscriptions)
    _declare(folder, "subscriptions.jsonl", len(subscriptions))


def _break_ticketing(folder: Path, day: dt.date) -> None:
    tickets = _lines(folder / "tickets.jsonl")
    assert len(tickets) >= 2
    newest, repeated = tickets[0], tickets[1]
    stamp = dt.datetime.fromisoformat(newest["updated_at"].replace("Z", "+00:00"))
    older = copying.deepcopy(newest)
    older.update(status="open", priority="low", updated_at=_iso(stamp - dt.timedelta(days=1)))
    older.pop("solved_at", None)
    noon = dt.datetime.combine(day, dt.time(12))
    solved_early = copying.deepcopy(repeated)
    solved_early.update(
        id=99001,
        created_at=_iso(noon),
        updated_at=_iso(noon),
        solved_at=_iso(noon - dt.timedelta(hours=5)),
        status="solved",
    )
    orphan = copying.deepcopy(repeated)
    orphan.update(
        id=99002,
        organization_id=88888888,
        created_at=_iso(noon),
        updated_at=_iso(noon),
        status="open",
    )
    orphan.pop("solved_at", None)
    # The older version first: the newest must win by updated_at, not by line.
    tickets = [older, *tickets, copying.deepcopy(repeated), solved_early, orphan]
    _write_lines(folder / "tickets.jsonl", tickets)
    _declare(folder, "tickets.jsonl", len(tickets))

    ratings_path = folder / "satisfaction_ratings.jsonl"
    ratings = _lines(ratings_path) if ratings_path.exists() else []
    ratings.append(
        {"id": 59999999, "ticket_id": 99999, "score": "bad", "comment": None,
         "created_at": _iso(noon), "updated_at": _iso(noon)}
    )  # fmt: skip
    _write_lines(ratings_path, ratings)
    _declare(folder, "satisfaction_ratings.jsonl", len(ratings))


def _rule7(copy: Warehouse, run_id_sql: str) -> dict[str, tuple[str, str, str]]:
    return {
        target: (status, observed, message)
        for target, status, observed, message in copy.query(
            "select target, status, observed_value, message from audit.check_results "
            f"where rule = 'r07_cross_source' and run_id = ({run_id_sql})",
            published=True,
        )
    }


@pytest.fixture(scope="module")
def faulty(tiny: Tiny, tmp_path_factory: pytest.TempPathFactory) -> Faulty:
    root = tmp_path_factory.mktemp("bad_rows")
    copy = copy_of(tiny, root)
    d3 = copy.dates[-1]
    _break_app_db(copy.drop("app_db"))
    _break_stripe(copy.drop("stripe"), d3)
    _break_ticketing(copy.drop("ticketing"), d3)
    (copy.extracts / "stripe" / "2026-13-45").mkdir()

    faulty = copy.csw("run")
    latest = "select run_id from audit.publications order by published_at desc limit 1"
    kept = root / "faulty.duckdb"
    if copy.published.exists():
        shutil.copy(copy.published, kept)
    state = Faulty(
        copy,
        faulty,
        quarantined_rows(copy, d3),
        unaccounted(copy, d3),
        _rule7(copy, latest) if faulty.returncode == 0 else {},
        copy.query("select distinct segment from marts.nps_summary order by 1", published=True),
        kept,
        None,  # type: ignore[arg-type]
    )
    for source in ("app_db", "stripe", "ticketing"):
        shutil.rmtree(copy.drop(source))
        shutil.copytree(tiny.extracts / source / d3.isoformat(), copy.drop(source))
    state.redelivered = copy.csw("run")
    return state


def test_the_faulty_drop_publishes_with_warnings(faulty: Faulty) -> None:
    step = faulty.faulty
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-3000:]
    assert "stripe/2026-13-45: skipped" in step.stdout


def test_impossible_times_and_versions_are_quarantined_with_their_rule(faulty: Faulty) -> None:
    assert faulty.faulty_quarantine == {
        ("accounts.csv", "app_db.accounts.created_at_plausible"): 1,
        ("subscriptions.jsonl", "stripe.subscriptions.canceled_after_created"): 1,
        ("subscriptions.jsonl", "stripe.subscription_items.current_period_end_plausible"): 1,
        ("tickets.jsonl", "ticketing.tickets.solved_after_created"): 1,
        ("tickets.jsonl", "superseded_in_drop"): 1,
        ("tickets.jsonl", "duplicate_id_in_drop"): 1,
    }
    # rows read = loaded + quarantined for every file of d3, each agreeing with its manifest
    assert faulty.faulty_unaccounted == []


def test_orphans_are_counted_and_named(faulty: Faulty) -> None:
    rule7 = faulty.faulty_rule7
    expected = {
        "tickets of unknown organisations": "88888888 (1)",
        "satisfaction ratings of unknown tickets": "99999 (1)",
        "usage events of unknown accounts": "acc_ghost (3)",
        "NPS survey sends of unknown accounts": "acc_ghost (1)",
    }
    for category, named in expected.items():
        status, observed, message = rule7[category]
        assert named in message, (category, message)
        assert observed.startswith("1 of" if "(1)" in named else "3 of"), (category, observed)
    assert rule7["NPS responses of unknown accounts"][1].startswith("0 of")


def test_nothing_the_faults_carried_reached_a_published_number(faulty: Faulty, tiny: Tiny) -> None:
    assert faulty.faulty_segments and ("unknown",) not in faulty.faulty_segments
    assert mart_differences(tiny.control_published, faulty.faulty_published) == []


def test_the_redelivered_drop_is_loaded_and_publishes_as_control(
    faulty: Faulty, tiny: Tiny
) -> None:
    step = faulty.redelivered
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-3000:]
    d3 = faulty.copy.dates[-1]
    assert f"drops {d3} … {d3}" in step.stdout
    assert quarantined_rows(faulty.copy, d3) == {}
    assert unaccounted(faulty.copy, d3) == []
    assert mart_differences(tiny.control_published, faulty.copy.published) == []
