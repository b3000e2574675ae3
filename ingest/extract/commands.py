"""`csw extract <source>`: the command-line side of the extractors (arguments, messages, exit codes).

Exit codes: 0 a drop was written; 2 something to fix first (a setting, a credential, a table or
column the source lacks); 4 the source could not be reached or kept refusing (run again later).
Either way no partial drop is left behind and the state is unchanged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ingest.extract.errors import ExtractError

ENV_APP_DB_DSN = "CSW_APP_DB_DSN"
ENV_STRIPE_KEY = "STRIPE_API_KEY"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def add_extract_parser(sub: argparse._SubParsersAction) -> None:
    """Register `csw extract app-db | stripe | ticketing`."""
    extract = sub.add_parser(
        "extract", help="read a live source (PostgreSQL, Stripe, Zendesk) into a drop"
    )
    sources = extract.add_subparsers(dest="source", required=True)

    app = sources.add_parser("app-db", help="the application tables from a running PostgreSQL")
    app.add_argument(
        "--dsn",
        default=None,
        help=f"postgresql://USER:PASSWORD@HOST:PORT/DATABASE (default: ${ENV_APP_DB_DSN}; "
        "keeping the password there or in ~/.pgpass keeps it out of the process list)",
    )
    app.add_argument("--schema", default="public", help="schema of the application tables")
    app.add_argument(
        "--full",
        action="store_true",
        help="extract every row again instead of the changes since the previous extraction",
    )

    stripe = sources.add_parser(
        "stripe", help=f"Stripe objects through its API (key from ${ENV_STRIPE_KEY})"
    )
    stripe.add_argument("--api-base", default=None, help="API address (default Stripe's own)")

    ticketing = sources.add_parser(
        "ticketing",
        help="Zendesk tickets, organisations and satisfaction ratings (incremental export); "
        "token from $ZENDESK_EMAIL + $ZENDESK_API_TOKEN, or $ZENDESK_OAUTH_TOKEN",
    )
    ticketing.add_argument("--subdomain", required=True, help="the <subdomain>.zendesk.com")
    ticketing.add_argument("--base-url", default=None, help="API address (default from subdomain)")

    for parser in (app, stripe, ticketing):
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="extracts root; the drop goes to <out>/<source>/<date>/ "
            "(default: $CSW_EXTRACTS_DIR or data/extracts)",
        )
        parser.add_argument(
            "--date",
            type=_date,
            default=None,
            help="the drop's date (default: today, UTC); it must be after every earlier drop",
        )


def run_extract(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    """Run one extraction; every error a user can cause becomes a message and an exit code."""
    out = (args.out or Path(os.environ.get("CSW_EXTRACTS_DIR", "data/extracts"))).resolve()
    drop_date = args.date or dt.datetime.now(dt.UTC).date()
    try:
        if args.source == "app-db":
            return _app_db(args, out, drop_date, say)
        if args.source == "stripe":
            return _stripe(args, out, drop_date, say)
        return _ticketing(args, out, drop_date, say)
    except ExtractError as exc:
        print(f"csw extract {args.source}: {exc.message}", file=sys.stderr, flush=True)
        return exc.exit_code


def _app_db(args: argparse.Namespace, out: Path, drop_date: dt.date, say) -> int:
    from ingest.extract.app_db import extract_app_db

    dsn = args.dsn or os.environ.get(ENV_APP_DB_DSN)
    if not dsn:
        raise ExtractError(f"no database given: pass --dsn or set {ENV_APP_DB_DSN}")
    result = extract_app_db(dsn, out, drop_date, schema=args.schema, full=args.full, progress=say)
    for note in result.notes:
        say(note)
    total = sum(result.row_counts.values())
    say(f"wrote the {result.mode} app_db drop {result.drop_dir} ({total} rows)")
    return 0


def _stripe(args: argparse.Namespace, out: Path, drop_date: dt.date, say) -> int:
    from ingest.extract.stripe_api import extract_stripe

    key = os.environ.get(ENV_STRIPE_KEY)
    if not key:
        raise ExtractError(f"no Stripe API key: set {ENV_STRIPE_KEY} (a restricted read-only key)")
    result = extract_stripe(key, out, drop_date, api_base=args.api_base, progress=say)
    say(f"wrote the Stripe drop {result.drop_dir} ({sum(result.row_counts.values())} objects)")
    return 0


def _ticketing(args: argparse.Namespace, out: Path, drop_date: dt.date, say) -> int:
    from ingest.extract.zendesk import credentials_from_env, extract_zendesk

    result = extract_zendesk(
        args.subdomain,
        credentials_from_env(),
        out,
        drop_date,
        base_url=args.base_url,
        progress=say,
    )
    say(f"wrote the ticketing drop {result.drop_dir} ({sum(result.row_counts.values())} objects)")
    return 0
