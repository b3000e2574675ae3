"""The `csw` command: generate synthetic drops, run the daily job, roll back a publication.

exit codes:
  0   done: published, a drop written, or nothing new to do (said plainly)
  1   a crash: an unexpected error (a bug, the disk, memory); its traceback is printed
  2   the data stopped it: a file, a gate rule or a source's setting to fix, named
  3   csw compare: the two publications differ
  4   csw extract, csw notify: the source or endpoint could not be reached or kept refusing; run again later
  5   another csw run holds the warehouse (its pid and start named); run later
  64  a usage error: a wrong argument, or a request the warehouse cannot carry out (a date with no drop, earlier drops not loaded, nothing to roll back to); nothing was changed

Arguments, dates and the warehouse's state are checked before the job is loaded, so a usage error
or a busy warehouse is answered at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from orchestration import exit_codes
from orchestration.settings import ENGINES, Settings


class UsageError(Exception):
    """The command cannot be carried out as asked; the message says what to do instead."""


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's usage code (argparse's own is 2, the code of a data stop)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(exit_codes.USAGE, f"{self.prog}: error: {message}\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="csw",
        description=__doc__.split("\n")[0],
        epilog=exit_codes.contract_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = sub.add_parser("generate", help="write deterministic synthetic source drops")
    _add_generate_args(gen, out_required=True)
    gen.add_argument(
        "--postgres",
        metavar="DSN",
        default=None,
        help="load the application tables into this (empty) PostgreSQL database instead of "
        "writing app_db drops; then `csw extract app-db` writes them from the database",
    )

    run = sub.add_parser(
        "run",
        help="ingest drops, build the models, check and publish",
        epilog=exit_codes.contract_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--extracts",
        type=Path,
        default=None,
        help="extracts root (default: $CSW_EXTRACTS_DIR or data/extracts)",
    )
    run.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="warehouse directory (default: $CSW_WAREHOUSE_DIR or data/warehouse)",
    )
    when = run.add_mutually_exclusive_group()
    when.add_argument("--date", type=_date, help="process the drop of this date")
    when.add_argument(
        "--from", dest="date_from", type=_date, help="first drop date of a range (with --to)"
    )
    run.add_argument(
        "--to", dest="date_to", type=_date, help="last drop date of a range; the run's as-of date"
    )
    run.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="what dbt builds on: duckdb (default: $CSW_ENGINE or duckdb) or spark (session mode; "
        "`make setup-spark`; README, 'When one machine is not enough')",
    )
    _add_verbose_arg(run)

    demo = sub.add_parser(
        "demo", help="generate synthetic drops, run the whole history and publish"
    )
    _add_generate_args(demo, out_required=False)
    demo.add_argument("--warehouse", type=Path, default=None)
    _add_verbose_arg(demo)

    ui = sub.add_parser(
        "ui",
        help="open the Dagster UI (dagster dev) on this warehouse's paths and Dagster instance, "
        "where every csw run is recorded",
    )
    ui.add_argument("--extracts", type=Path, default=None)
    ui.add_argument("--warehouse", type=Path, default=None)
    ui.add_argument("--port", type=int, default=3000, help="the UI's port (default 3000)")

    rollback = sub.add_parser(
        "rollback", help="restore the previous publication from published/history/"
    )
    rollback.add_argument("--warehouse", type=Path, default=None)

    report = sub.add_parser(
        "report", help="build the leadership report (one HTML file) from the published warehouse"
    )
    report.add_argument("--warehouse", type=Path, default=None)
    report.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the HTML file to write (default: <warehouse>/report/leadership_report.html)",
    )

    compare = sub.add_parser(
        "compare",
        help="compare two published files table by table (exit 0 identical, 3 different)",
    )
    compare.add_argument("old", type=Path, help="the earlier published analytics.duckdb")
    compare.add_argument("new", type=Path, help="the later published analytics.duckdb")

    from ingest.extract.commands import add_extract_parser
    from orchestration.notify_command import add_notify_parser

    add_extract_parser(sub)
    add_notify_parser(sub)
    return parser


def _add_verbose_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print everything (dbt's per-node lines, Dagster's log, library warnings) on the "
        "terminal too, not only in the run log file",
    )


def _add_generate_args(parser: argparse.ArgumentParser, *, out_required: bool) -> None:
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out" if out_required else "--extracts",
        dest="out",
        type=Path,
        required=out_required,
        default=None,
    )
    parser.add_argument("--api-version", choices=["current", "pre_2025_03_31"], default="current")
    parser.add_argument("--flaw-rate", type=float, default=0.005)
    parser.add_argument("--incremental-days", type=int, default=14)
    parser.add_argument("--end-date", type=_date, default=dt.date(2026, 11, 20))


def _settings(extracts: Path | None, warehouse: Path | None, engine: str | None = None) -> Settings:
    env = Settings.from_env()
    return Settings(
        extracts_dir=(extracts or env.extracts_dir).resolve(),
        warehouse_dir=(warehouse or env.warehouse_dir).resolve(),
        partitions_start=env.partitions_start,
        engine=engine or env.engine,
    )


def _say(message: str) -> None:
    print(f"csw: {message}", flush=True)


def _complain(message: str) -> None:
    print(f"csw: {message}", file=sys.stderr, flush=True)


def cmd_generate(
    args: argparse.Namespace, out: Path, say: Callable[[str], None] | None = None
) -> None:
    from synthetic import generate_drops

    say = say or _say

    summary = generate_drops(
        out,
        accounts=args.accounts,
        months=args.months,
        seed=args.seed,
        api_version=args.api_version,
        flaw_rate=args.flaw_rate,
        incremental_days=args.incremental_days,
        end_date=args.end_date,
        progress=say,
    )
    say(
        f"wrote {len(summary.drop_dates)} daily drops ({summary.drop_dates[0]} … {summary.drop_dates[-1]}) "
        f"for {summary.n_accounts} accounts to {summary.out_dir}; ground truth in {summary.ground_truth_dir}"
    )


def run_window(
    settings: Settings, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.date, dt.date] | None:
    """The drop dates a run processes: the range asked for, checked against the drops and what
    the warehouse has loaded; or, with no dates, the pending drops (None: nothing new).
    Raises UsageError when the run cannot start from where the warehouse is."""
    from orchestration.drops import (
        describe_dates,
        pending_dates,
        scan_drops,
        unloaded_dates,
        warehouse_state,
    )

    if not settings.extracts_dir.is_dir():
        raise UsageError(
            f"no extracts folder {settings.extracts_dir} (--extracts, $CSW_EXTRACTS_DIR)"
        )
    scan = scan_drops(settings.extracts_dir)
    for skipped in scan.skipped:
        _say(f"warning: {skipped}")
    if not scan.dates:
        raise UsageError(
            f"no drops under {settings.extracts_dir}: expected <source>/<YYYY-MM-DD>/ folders"
        )
    first_partition = settings.first_partition
    state = warehouse_state(settings.build_db, settings.published_db)
    if date_from is None or date_to is None:
        pending = pending_dates(scan, settings.extracts_dir, state, first_partition)
        return (pending[0], scan.dates[-1]) if pending else None
    if date_from > date_to:
        raise UsageError(f"--from {date_from} is after --to {date_to}")
    if date_from < first_partition:
        raise UsageError(
            f"{date_from} is before the first partition {first_partition}; "
            "set CSW_PARTITIONS_START to an earlier date"
        )
    if not any(date_from <= d <= date_to for d in scan.dates):
        asked = f"dated {date_from}" if date_from == date_to else f"from {date_from} to {date_to}"
        raise UsageError(
            f"no drop {asked} under {settings.extracts_dir} "
            f"(drops there: {describe_dates(scan.dates)})"
        )
    earlier = [
        d
        for d in unloaded_dates(scan, settings.extracts_dir, state)
        if first_partition <= d < date_from
    ]
    if earlier:
        raise UsageError(
            f"the drops of {describe_dates(earlier)} must be loaded before {date_from}: they are "
            "not loaded yet (or changed since). Run `csw run` to process every pending drop, or "
            f"`csw run --from {earlier[0]} --to {date_to}`"
        )
    return date_from, date_to


def cmd_run(
    settings: Settings, date_from: dt.date | None, date_to: dt.date | None, verbose: bool = False
) -> int:
    """Run the daily job over the window `run_window` finds; the run holds the warehouse. The
    terminal gets a line per step; dbt's lines, Dagster's log and warnings go to the run log."""
    from orchestration.run_lock import exclusive_run

    if settings.engine == "spark":
        from orchestration.spark import spark_dbt

        try:
            spark_dbt()
        except FileNotFoundError as exc:
            raise UsageError(f"--engine spark: {exc}") from exc
    with exclusive_run(settings.warehouse_dir, settings.published_dir, "csw run", _say):
        window = run_window(settings, date_from, date_to)
        if window is None:
            _say(
                f"nothing new: every drop under {settings.extracts_dir} has been loaded and "
                "published; pass --date to run one again"
            )
            return exit_codes.OK
        from orchestration.run_log import RunLog
        from orchestration.runner import run_daily_job

        with RunLog(settings.warehouse_dir / "logs", verbose=verbose) as log:
            outcome = run_daily_job(settings, *window, progress=log.say, listener=log.listen)
    if outcome.published:
        _say(f"published {outcome.as_of} → {settings.published_db}")
        return exit_codes.OK
    if outcome.traceback:
        print(outcome.traceback, file=sys.stderr, flush=True)
    _complain(f"not published: {outcome.reason}")
    return exit_codes.DATA_STOPPED if outcome.data_stopped else exit_codes.CRASH


def cmd_rollback(settings: Settings) -> int:
    """Put the previous publication back, recorded in audit.rollbacks."""
    from orchestration.publish import NothingToRollBack, rollback
    from orchestration.run_lock import exclusive_run

    with exclusive_run(settings.warehouse_dir, settings.published_dir, "csw rollback", _say):
        try:
            restored = rollback(settings.published_dir, settings.build_db)
        except NothingToRollBack as exc:
            raise UsageError(f"{exc}; the published file is unchanged") from exc
    _say(f"restored {restored.name} as {settings.published_db} (recorded in audit.rollbacks)")
    return exit_codes.OK


def cmd_report(settings: Settings, out: Path | None) -> Path:
    """Write the leadership report from the published file only; returns its path."""
    from report.write import write_report

    target = (out or settings.warehouse_dir / "report" / "leadership_report.html").resolve()
    try:
        write_report(settings.published_db, target)
    except FileNotFoundError as exc:
        raise UsageError(f"{exc}: run `csw run` to publish first") from exc
    _say(f"leadership report → {target}")
    return target


def cmd_docs(settings: Settings) -> Path | None:
    """dbt docs (static, one HTML file) of the build database into <warehouse>/docs/; None if dbt fails."""
    import json
    import os
    import shutil
    import subprocess

    from orchestration.runner import processed_dates
    from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, SPEC_DIR

    docs_dir = settings.warehouse_dir / "docs"
    as_of = max(processed_dates(settings.build_db), default=None)
    command = [
        DBT_EXECUTABLE,
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(docs_dir),
    ]
    if as_of is not None:
        command += ["--vars", json.dumps({"as_of_date": as_of.isoformat()})]
    environment = {**os.environ, **settings.dbt_environment()}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        _complain(f"dbt docs generate failed (exit {result.returncode}):\n{result.stdout[-2000:]}")
        return None
    # The overview page links to the spec as spec/<file>.md: a copy beside the page resolves them
    # wherever the warehouse folder is.
    shutil.copytree(SPEC_DIR, docs_dir / "spec", dirs_exist_ok=True)
    page = docs_dir / "static_index.html"
    _say(f"dbt docs → {page}")
    return page


def cmd_compare(old: Path, new: Path) -> int:
    """Say how two publications differ; 0 when every table and value is the same, else 3."""
    for path in (old, new):
        if not path.is_file():
            raise UsageError(f"compare: no such file: {path}")
    from orchestration.compare import compare_publications

    differences = compare_publications(old, new)
    for difference in differences:
        print(difference.describe(), flush=True)
    if differences:
        _say(f"{len(differences)} tables differ between {old} and {new}")
        return exit_codes.DIFFERENT
    _say(f"identical: every published table of {old} equals {new}")
    return exit_codes.OK


def cmd_ui(settings: Settings, port: int) -> NoReturn:
    """Replace this process with `dagster dev` on the warehouse's paths and instance."""
    import os

    from orchestration.instance import ENV_DAGSTER_HOME, prepare_dagster_home
    from orchestration.settings import ENV_EXTRACTS, ENV_WAREHOUSE, PROJECT_ROOT

    home = prepare_dagster_home(settings)
    environment = {
        **os.environ,
        ENV_DAGSTER_HOME: str(home),
        ENV_EXTRACTS: str(settings.extracts_dir),
        ENV_WAREHOUSE: str(settings.warehouse_dir),
    }
    dagster = str(Path(sys.executable).parent / "dagster")
    _say(
        f"dagster dev on {settings.warehouse_dir} (DAGSTER_HOME={home}) at http://127.0.0.1:{port}"
    )
    # From the project root, where workspace.yaml names the code location.
    os.chdir(PROJECT_ROOT)
    os.execve(dagster, [dagster, "dev", "--port", str(port)], environment)


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate synthetic drops, run them all, publish, then write the report and dbt docs."""
    from orchestration.run_lock import exclusive_run
    from orchestration.run_log import LIVE_INTERVAL_S, Heartbeat

    settings = _settings(args.out, args.warehouse)
    with exclusive_run(settings.warehouse_dir, settings.published_dir, "csw demo", _say):
        _say(
            f"generating synthetic drops ({args.accounts} accounts × {args.months} months) "
            f"into {settings.extracts_dir}"
        )
        with Heartbeat(_say, "generating drops", LIVE_INTERVAL_S) as beat:
            cmd_generate(args, settings.extracts_dir, beat.say)
        code = cmd_run(settings, None, None, verbose=args.verbose)
        if code == exit_codes.OK:
            with Heartbeat(_say, "writing the leadership report", LIVE_INTERVAL_S):
                report_path = cmd_report(settings, None)
            with Heartbeat(_say, "writing dbt docs", LIVE_INTERVAL_S):
                docs_path = cmd_docs(settings)
            _print_next_steps(settings, report_path, docs_path)
    return code


def cmd_generate_command(args: argparse.Namespace) -> int:
    code = exit_codes.OK
    if args.postgres:
        from synthetic.postgres import check_postgres, move_app_db_to_postgres

        code = check_postgres(args.postgres)  # before generating anything
        if args.flaw_rate:
            # A database's typed columns cannot hold the malformed rows flaws inject.
            _say("--postgres: generating without injected flaws (--flaw-rate 0)")
            args.flaw_rate = 0.0
    if code == exit_codes.OK:
        cmd_generate(args, args.out.resolve())
    if code == exit_codes.OK and args.postgres:
        code = move_app_db_to_postgres(args.postgres, args.out.resolve(), _say)
    return code


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "generate":
        return cmd_generate_command(args)
    if args.command == "extract":
        from ingest.extract.commands import run_extract

        return run_extract(args, _say)
    if args.command == "run":
        if bool(args.date_from) != bool(args.date_to):
            raise UsageError("run: --from and --to go together")
        start = args.date or args.date_from
        end = args.date or args.date_to
        return cmd_run(
            _settings(args.extracts, args.warehouse, args.engine), start, end, args.verbose
        )
    if args.command == "demo":
        return cmd_demo(args)
    if args.command == "rollback":
        return cmd_rollback(_settings(None, args.warehouse))
    if args.command == "report":
        cmd_report(_settings(None, args.warehouse), args.out)
        return exit_codes.OK
    if args.command == "compare":
        return cmd_compare(args.old, args.new)
    if args.command == "notify":
        from orchestration.notify_command import run_notify

        return run_notify(args, _settings(None, args.warehouse).warehouse_dir, _complain)
    if args.command == "ui":
        return cmd_ui(_settings(args.extracts, args.warehouse), args.port)
    raise UsageError(f"unknown command {args.command}")  # argparse enforces the choices


def main(argv: list[str] | None = None) -> None:
    """Parse, run the command and exit with the contract's code (`csw --help` lists them)."""
    from orchestration.run_lock import WarehouseBusy

    args = _parser().parse_args(argv)
    try:
        code = _dispatch(args)
    except UsageError as exc:
        _complain(str(exc))
        code = exit_codes.USAGE
    except WarehouseBusy as exc:
        _complain(str(exc))
        code = exit_codes.WAREHOUSE_BUSY
    except SystemExit as exc:
        if not isinstance(exc.code, str):
            raise
        # A setting of the environment that cannot be used (CSW_PARTITIONS_START, CSW_EXTRACT…).
        _complain(exc.code)
        code = exit_codes.USAGE
    except KeyboardInterrupt:
        _complain("interrupted; the next run cleans up what this one left")
        code = exit_codes.CRASH
    raise SystemExit(code)


def _print_next_steps(settings: Settings, report: Path, docs: Path | None) -> None:
    docs_line = docs if docs is not None else "not generated (dbt docs generate failed, see above)"
    print(
        f"""
Done. Where things are:
  extracts (synthetic drops)   {settings.extracts_dir}
  build database (pipeline)    {settings.build_db}
  published warehouse          {settings.published_db}
  leadership report            {report}
  dbt docs (open in a browser) {docs_line}

What to open next:
  query it     .venv/bin/python -c "import duckdb; print(duckdb.connect('{settings.published_db}', read_only=True).sql('show all tables'))"
  the UI       .venv/bin/csw ui --extracts {settings.extracts_dir} --warehouse {settings.warehouse_dir}
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
