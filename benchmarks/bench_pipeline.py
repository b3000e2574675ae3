"""How the pipeline's cost grows with the business: per-stage wall time and peak memory at several
sizes, a daily incremental run against the full build, and a hand-written DuckDB SQL floor.

    .venv/bin/python benchmarks/bench_pipeline.py                      # 1k, 10k, 100k × 36 months
    .venv/bin/python benchmarks/bench_pipeline.py --sizes 1000 --months 12 --work /tmp/bench

For each size it (1) generates synthetic drops with `csw generate`; (2) runs the real daily job
(`orchestration.runner.run_daily_job`, the code `csw run` calls) over every drop but the last as one
run: the full build; (3) runs the last drop alone: the daily incremental run; (4) runs the floor
(benchmarks/floor.py) on the same files. Each step is a separate process whose whole process tree
(dbt included) is sampled for memory; the run reports its Dagster steps' start and end times, which
give the stages: ingest, dbt build, transforms, the gate, publish.

Results go to `<work>/<accounts>x<months>/results/*.json`; a step whose result exists is not re-run
(delete the file to re-measure), so a long benchmark can be resumed. `--report FILE` writes the
markdown tables of every result under `<work>`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import Measurement, measure, write_json  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CSW = str(Path(sys.executable).parent / "csw")
STAGES = ["ingest", "dbt build", "transforms", "gate", "publish"]


def stage_of(step_key: str) -> str:
    """The benchmark stage a Dagster step belongs to (step keys as the job names them)."""
    if step_key.startswith("ingest"):
        return "ingest"
    if step_key.startswith("dbt"):
        return "dbt build"
    if step_key.startswith("audit"):
        return "gate"
    if step_key.startswith("published"):
        return "publish"
    return "transforms"


# -- the measured run (a child process) -----------------------------------------------------------


def child_run(args: argparse.Namespace) -> None:
    """Run the daily job in this process and write its steps' times (epoch seconds) as JSON."""
    import dagster as dg

    from orchestration.runner import run_daily_job
    from orchestration.settings import Settings

    settings = Settings(extracts_dir=args.extracts, warehouse_dir=args.warehouse)
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_daily_job(
        settings,
        dt.date.fromisoformat(args.date_from),
        dt.date.fromisoformat(args.date_to),
        progress=lambda message: print(message, flush=True),
        instance=instance,
    )
    steps: dict[str, list[float]] = {}
    if outcome.run_id:
        for entry in instance.all_logs(outcome.run_id):
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type_value == "STEP_START":
                steps.setdefault(event.step_key, [entry.timestamp, entry.timestamp])[0] = (
                    entry.timestamp
                )
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                steps.setdefault(event.step_key, [entry.timestamp, entry.timestamp])[1] = (
                    entry.timestamp
                )
    dbt_models = _dbt_model_times(outcome.run_id)
    write_json(
        args.timings,
        {
            "published": outcome.published,
            "reason": outcome.reason,
            "run_id": outcome.run_id,
            "steps": steps,
            "dbt_models": dbt_models,
        },
    )
    print(f"published={outcome.published} {outcome.reason}", flush=True)


def _dbt_model_times(run_id: str | None) -> dict[str, float]:
    """Execution time per dbt node from the run_results.json files of this run's dbt invocations
    (dagster-dbt names each invocation's target folder `<step>-<run id[:7]>-<random>`)."""
    times: dict[str, float] = {}
    if not run_id:
        return times
    target = PROJECT_ROOT / "dbt_project" / "target"
    for path in target.glob(f"*-{run_id[:7]}-*/run_results.json"):
        for result in json.loads(path.read_text()).get("results", []):
            times[result["unique_id"]] = times.get(result["unique_id"], 0.0) + float(
                result.get("execution_time") or 0.0
            )
    return times


# -- the parent: steps, results -------------------------------------------------------------------


def _drop_dates(extracts: Path) -> list[dt.date]:
    from orchestration.settings import Settings

    return Settings(extracts_dir=extracts, warehouse_dir=extracts).drop_dates()


MEMORY_LIMIT: str | None = None


def _env(warehouse: Path) -> dict[str, str]:
    env = dict(os.environ)
    if MEMORY_LIMIT:
        env["CSW_DUCKDB_MEMORY_LIMIT"] = MEMORY_LIMIT
    env["CSW_WAREHOUSE_DIR"] = str(warehouse)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _stages(measurement: Measurement, timings: dict) -> dict[str, dict]:
    intervals: dict[str, list[tuple[float, float]]] = {}
    for key, (start, end) in timings["steps"].items():
        intervals.setdefault(stage_of(key), []).append((start, end))
    stages = {}
    for name in STAGES:
        spans = intervals.get(name, [])
        stages[name] = {
            "wall_s": sum(end - start for start, end in spans),
            "peak_rss_bytes": measurement.peak_between(spans),
        }
    return stages


def run_generate(root: Path, accounts: int, months: int, seed: int) -> dict:
    command = [CSW, "generate", "--accounts", str(accounts), "--months", str(months)]
    command += ["--seed", str(seed), "--out", str(root / "extracts")]
    measurement = measure(command, log=root / "generate.log")
    if measurement.returncode != 0:
        raise SystemExit(f"generation failed: see {root / 'generate.log'}")
    return {
        "wall_s": measurement.wall_s,
        "peak_rss_bytes": measurement.peak_rss_bytes,
        **extract_stats(root / "extracts"),
    }


def extract_stats(extracts: Path) -> dict:
    """Rows (per the drops' manifests), usage events and bytes of a folder of drops."""
    rows = events = 0
    for manifest in extracts.rglob("_manifest.json"):
        for name, count in json.loads(manifest.read_text()).get("row_counts", {}).items():
            rows += int(count)
            if name.startswith("events"):
                events += int(count)
    size = sum(p.stat().st_size for p in extracts.rglob("*") if p.is_file())
    return {"rows": rows, "events": events, "bytes_on_disk": size}


def run_job(root: Path, warehouse: Path, date_from: dt.date, date_to: dt.date, name: str) -> dict:
    timings = root / "results" / f"{name}.steps.json"
    command = [PYTHON, __file__, "_run", "--extracts", str(root / "extracts")]
    command += ["--warehouse", str(warehouse), "--timings", str(timings)]
    command += ["--from", date_from.isoformat(), "--to", date_to.isoformat()]
    measurement = measure(command, env=_env(warehouse), log=root / f"{name}.log")
    if measurement.returncode != 0 or not timings.exists():
        raise SystemExit(f"the {name} run crashed: see {root / f'{name}.log'}")
    steps = json.loads(timings.read_text())
    if not steps["published"]:
        raise SystemExit(f"the {name} run did not publish: {steps['reason']}")
    published = warehouse / "published" / "analytics.duckdb"
    return {
        "drops": f"{date_from} … {date_to}",
        "duckdb_memory_limit": MEMORY_LIMIT,
        "wall_s": measurement.wall_s,
        "peak_rss_bytes": measurement.peak_rss_bytes,
        "stages": _stages(measurement, steps),
        "dbt_models": steps["dbt_models"],
        "build_db_bytes": (warehouse / "build" / "warehouse.duckdb").stat().st_size,
        "published_bytes": published.stat().st_size,
    }


def run_floor(root: Path) -> dict:
    timings = root / "results" / "floor.steps.json"
    database = root / "floor.duckdb"
    database.unlink(missing_ok=True)
    command = [PYTHON, str(Path(__file__).parent / "floor.py"), str(root / "extracts")]
    command += [str(database), str(timings)]
    measurement = measure(command, env=_env(root), log=root / "floor.log")
    if measurement.returncode != 0:
        raise SystemExit(f"the floor failed: see {root / 'floor.log'}")
    steps = json.loads(timings.read_text())
    database.unlink(missing_ok=True)
    return {
        "duckdb_memory_limit": MEMORY_LIMIT,
        "wall_s": measurement.wall_s,
        "peak_rss_bytes": measurement.peak_rss_bytes,
        "stages": {
            name: {
                "wall_s": end - start,
                "peak_rss_bytes": measurement.peak_between([(start, end)]),
            }
            for name, (start, end) in steps["stages"].items()
        },
        "rows": steps["rows"],
    }


def bench_size(work: Path, accounts: int, months: int, seed: int) -> None:
    root = work / f"{accounts}x{months}"
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)

    def step(name: str, action) -> dict:
        path = results / f"{name}.json"
        if path.exists():
            print(f"[{root.name}] {name}: kept from {path}", flush=True)
            return json.loads(path.read_text())
        print(f"[{root.name}] {name} …", flush=True)
        outcome = action()
        write_json(path, outcome)
        print(f"[{root.name}] {name}: {outcome['wall_s']:.1f} s", flush=True)
        return outcome

    step("generate", lambda: run_generate(root, accounts, months, seed))
    drops = _drop_dates(root / "extracts")
    warehouse = root / "warehouse"
    if not (results / "full.json").exists():
        _wipe(warehouse)
    step("full", lambda: run_job(root, warehouse, drops[0], drops[-2], "full"))
    step("daily", lambda: run_job(root, warehouse, drops[-1], drops[-1], "daily"))
    step("floor", lambda: run_floor(root))


def _wipe(warehouse: Path) -> None:
    import shutil

    if warehouse.exists():
        shutil.rmtree(warehouse)


# -- the report -----------------------------------------------------------------------------------


def _gb(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**30:.2f}"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def report(work: Path) -> str:
    sizes = []
    for root in sorted(work.glob("*x*"), key=lambda p: [int(x) for x in p.name.split("x")]):
        results = {p.stem: json.loads(p.read_text()) for p in (root / "results").glob("*.json")}
        if "generate" in results and "events" not in results["generate"]:
            results["generate"] |= extract_stats(root / "extracts")
        if "generate" in results:
            sizes.append((root.name, results))
    lines = [
        "| size (accounts × months) | events | stage | wall time (s) | peak memory (GiB) |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for name, r in sizes:
        gen = r["generate"]
        lines.append(
            f"| {name} | {gen['events']:,} | generation | {_s(gen['wall_s'])} | {_gb(gen['peak_rss_bytes'])} |"
        )
        for label in ("full", "daily"):
            if label not in r:
                continue
            run = r[label]
            what = "full build" if label == "full" else "daily incremental run"
            for stage in STAGES:
                figures = run["stages"][stage]
                lines.append(
                    f"| {name} | | {what}: {stage} | {_s(figures['wall_s'])} | {_gb(figures['peak_rss_bytes'])} |"
                )
            staged = sum(run["stages"][s]["wall_s"] for s in STAGES)
            lines.append(
                f"| {name} | | {what}: other (job start, definitions, dbt parse) | "
                f"{_s(run['wall_s'] - staged)} | |"
            )
            lines.append(
                f"| {name} | | **{what}: whole run** | **{_s(run['wall_s'])}** | **{_gb(run['peak_rss_bytes'])}** |"
            )
    lines += ["", *floor_table(sizes), "", *daily_table(sizes)]
    return "\n".join(lines) + "\n"


FLOOR_PAIRS = {
    # floor stage: (our measure, how ours is read from the results)
    "read extracts": "ingest stage",
    "daily usage metrics": "dbt models stg_app_db__events (when a table) + int_account_events_daily + int_account_use_days + int_account_activity_windows + int_account_daily_metrics",
    "monthly MRR": "dbt models of intermediate/revenue + mrr_monthly",
}


def _ours(run: dict, floor_stage: str) -> float | None:
    if floor_stage == "read extracts":
        return run["stages"]["ingest"]["wall_s"]
    models = run.get("dbt_models", {})
    if floor_stage == "daily usage metrics":
        # stg_app_db__events counts where it is a table (its newest-version window over the
        # events is work the floor does not do; as a view its cost lands in the models above).
        names = (
            "stg_app_db__events",
            "int_account_events_daily",
            "int_account_use_days",
            "int_account_activity_windows",
            "int_account_daily_metrics",
        )
        picked = [t for uid, t in models.items() if uid.split(".")[-1] in names]
    else:
        picked = [
            t
            for uid, t in models.items()
            if uid.startswith("model.")
            and (
                uid.split(".")[-1].startswith("int_")
                and "mrr" in uid
                or uid.endswith(".mrr_monthly")
            )
        ]
    return sum(picked) if picked else None


def floor_table(sizes: list) -> list[str]:
    lines = [
        "| size | stage | floor: hand-written DuckDB SQL (s) | ours, full build (s) | ours / floor | floor peak (GiB) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in sizes:
        if "floor" not in r or "full" not in r:
            continue
        for stage, figures in r["floor"]["stages"].items():
            ours = _ours(r["full"], stage)
            ratio = f"{ours / figures['wall_s']:.1f}×" if ours and figures["wall_s"] else "–"
            lines.append(
                f"| {name} | {stage} | {_s(figures['wall_s'])} | {_s(ours)} | {ratio} | "
                f"{_gb(figures['peak_rss_bytes'])} |"
            )
    lines.append("")
    lines += [f"- {stage}: ours is the {ours}." for stage, ours in FLOOR_PAIRS.items()]
    return lines


def daily_table(sizes: list) -> list[str]:
    lines = [
        "| size | full build (s) | daily incremental run (s) | daily / full |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, r in sizes:
        if "daily" in r and "full" in r:
            full, daily = r["full"]["wall_s"], r["daily"]["wall_s"]
            lines.append(f"| {name} | {_s(full)} | {_s(daily)} | {100 * daily / full:.1f}% |")
    return lines


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_run":
        parser = argparse.ArgumentParser()
        parser.add_argument("_run")
        parser.add_argument("--extracts", type=Path, required=True)
        parser.add_argument("--warehouse", type=Path, required=True)
        parser.add_argument("--timings", type=Path, required=True)
        parser.add_argument("--from", dest="date_from", required=True)
        parser.add_argument("--to", dest="date_to", required=True)
        child_run(parser.parse_args())
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="accounts, comma-separated")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument(
        "--history-months",
        default="12",
        help="extra history lengths for the daily run, at the middle size (comma-separated)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=PROJECT_ROOT / "data" / "bench")
    parser.add_argument("--report", type=Path, default=None, help="write the markdown tables here")
    parser.add_argument(
        "--duckdb-memory-limit",
        default="3GB",
        help="CSW_DUCKDB_MEMORY_LIMIT for the runs (DuckDB spills beyond it); '' for DuckDB's default",
    )
    args = parser.parse_args()
    global MEMORY_LIMIT
    MEMORY_LIMIT = args.duckdb_memory_limit or None
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(machine(), flush=True)
    for accounts in sizes:
        bench_size(args.work, accounts, args.months, args.seed)
    if len(sizes) > 1 and args.history_months:
        middle = sizes[len(sizes) // 2 - (1 if len(sizes) % 2 == 0 else 0)]
        for months in [int(m) for m in args.history_months.split(",") if m]:
            if months != args.months:
                bench_size(args.work, middle, months, args.seed)
    text = report(args.work)
    print(text)
    if args.report:
        write_report(args.report, text, " ".join(["python", *sys.argv]))


START, END = "<!-- bench_pipeline tables: start -->", "<!-- bench_pipeline tables: end -->"


def write_report(path: Path, tables: str, command: str) -> None:
    """Put the tables between the markers of `path` (the prose around them stays), or write them."""
    block = (
        f"{START}\n_Written by `{command}` on {dt.date.today()}; machine: {machine()}._\n\n"
        f"{tables}{END}"
    )
    text = path.read_text() if path.exists() else ""
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = f"{text}\n{block}\n" if text else f"# Benchmarks\n\n{block}\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
