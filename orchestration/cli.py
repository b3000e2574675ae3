"""The `csw` command: generate synthetic drops, run the daily job, roll back a publication.

Exit codes of `csw run`: 0 published; 2 the data stopped publication (an unreadable file, a failing
blocking check or dbt test), with what and where; 1 a crash or a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from orchestration.settings import Settings

EXIT_PUBLISHED = 0
EXIT_CRASH = 1
EXIT_DATA_STOPPED = 2
EXIT_DIFFERENT = 3


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csw", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write deterministic synthetic source drops")
    _add_generate_args(gen, out_required=True)
    gen.add_argument(
        "--postgres",
        metavar="DSN",
        default=None,
        help="load the application tables into this (empty) PostgreSQL database instead of "
        "writing app_db drops; then `csw extract app-db` writes them from the database",
    )

    run = sub.add_parser("run", help="ingest drops, build the models, check and publish")
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

    demo = sub.add_parser(
        "demo", help="generate synthetic drops, run the whole history and publish"
    )
    _add_generate_args(demo, out_required=False)
    demo.add_argument("--warehouse", type=Path, default=None)

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

    add_extract_parser(sub)
    return parser


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


def _settings(extracts: Path | None, warehouse: Path | None) -> Settings:
    env = Settings.from_env()
    return Settings(
        extracts_dir=(extracts or env.extracts_dir).resolve(),
        warehouse_dir=(warehouse or env.warehouse_dir).resolve(),
        partitions_start=env.partitions_start,
    )


def _say(message: str) -> None:
    print(f"csw: {message}", flush=True)


def cmd_generate(args: argparse.Namespace, out: Path) -> None:
    from synthetic import generate_drops

    summary = generate_drops(
        out,
        accounts=args.accounts,
        months=args.months,
        seed=args.seed,
        api_version=args.api_version,
        flaw_rate=args.flaw_rate,
        incremental_days=args.incremental_days,
        end_date=args.end_date,
        progress=_say,
    )
    _say(
        f"wrote {len(summary.drop_dates)} daily drops ({summary.drop_dates[0]} … {summary.drop_dates[-1]}) "
        f"for {summary.n_accounts} accounts to {summary.out_dir}; ground truth in {summary.ground_truth_dir}"
    )


def cmd_run(settings: Settings, date_from: dt.date | None, date_to: dt.date | None) -> int:
    from orchestration.runner import run_daily_job

    outcome = run_daily_job(settings, date_from, date_to, progress=_say)
    if outcome.published:
        _say(f"published {outcome.as_of} → {settings.published_db}")
        return EXIT_PUBLISHED
    print(f"csw: not published: {outcome.reason}", file=sys.stderr, flush=True)
    return EXIT_DATA_STOPPED if outcome.data_stopped else EXIT_CRASH


def cmd_report(settings: Settings, out: Path | None) -> Path:
    """Write the leadership report from the published file only; returns its path."""
    from report.write import write_report

    target = (out or settings.warehouse_dir / "report" / "leadership_report.html").resolve()
    write_report(settings.published_db, target)
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
        print(
            f"csw: dbt docs generate failed (exit {result.returncode}):\n{result.stdout[-2000:]}",
            file=sys.stderr,
            flush=True,
        )
        return None
    # The overview page links to the spec as spec/<file>.md: a copy beside the page resolves them
    # wherever the warehouse folder is.
    shutil.copytree(SPEC_DIR, docs_dir / "spec", dirs_exist_ok=True)
    page = docs_dir / "static_index.html"
    _say(f"dbt docs → {page}")
    return page


def cmd_compare(old: Path, new: Path) -> int:
    """Say how two publications differ; 0 when every table and value is the same, else 3."""
    from orchestration.compare import compare_publications

    for path in (old, new):
        if not path.is_file():
            print(f"csw compare: no such file: {path}", file=sys.stderr, flush=True)
            return EXIT_CRASH
    differences = compare_publications(old, new)
    for difference in differences:
        print(difference.describe(), flush=True)
    if differences:
        _say(f"{len(differences)} tables differ between {old} and {new}")
        return EXIT_DIFFERENT
    _say(f"identical: every published table of {old} equals {new}")
    return 0


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        if args.command == "generate":
            code = 0
            if args.postgres:
                from synthetic.postgres import check_postgres, move_app_db_to_postgres

                code = check_postgres(args.postgres)  # before generating anything
                if args.flaw_rate:
                    # A database's typed columns cannot hold the malformed rows flaws inject.
                    _say("--postgres: generating without injected flaws (--flaw-rate 0)")
                    args.flaw_rate = 0.0
            if code == 0:
                cmd_generate(args, args.out.resolve())
            if code == 0 and args.postgres:
                code = move_app_db_to_postgres(args.postgres, args.out.resolve(), _say)
        elif args.command == "extract":
            from ingest.extract.commands import run_extract

            code = run_extract(args, _say)
        elif args.command == "run":
            if args.date_from and not args.date_to or args.date_to and not args.date_from:
                raise SystemExit("csw run: --from and --to go together")
            start = args.date or args.date_from
            end = args.date or args.date_to
            code = cmd_run(_settings(args.extracts, args.warehouse), start, end)
        elif args.command == "demo":
            settings = _settings(args.out, args.warehouse)
            _say(
                f"generating synthetic drops ({args.accounts} accounts × {args.months} months) into {settings.extracts_dir}"
            )
            cmd_generate(args, settings.extracts_dir)
            code = cmd_run(settings, None, None)
            if code == EXIT_PUBLISHED:
                report_path = cmd_report(settings, None)
                docs_path = cmd_docs(settings)
                _print_next_steps(settings, report_path, docs_path)
        elif args.command == "rollback":
            from orchestration.publish import rollback

            settings = _settings(None, args.warehouse)
            restored = rollback(settings.published_dir)
            _say(f"restored {restored.name} as {settings.published_db}")
            code = 0
        elif args.command == "report":
            settings = _settings(None, args.warehouse)
            try:
                cmd_report(settings, args.out)
                code = 0
            except FileNotFoundError as exc:
                print(f"csw report: {exc}", file=sys.stderr, flush=True)
                code = EXIT_CRASH
        elif args.command == "compare":
            code = cmd_compare(args.old, args.new)
        else:  # argparse enforces the choices
            code = EXIT_CRASH
    except KeyboardInterrupt:
        code = EXIT_CRASH
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
  the UI       CSW_EXTRACTS_DIR={settings.extracts_dir} CSW_WAREHOUSE_DIR={settings.warehouse_dir} .venv/bin/dagster dev
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
