"""`csw notify`: deliver the published events to a webhook (orchestration/notify.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from orchestration import exit_codes
from transforms.events import FORMATS


def add_notify_parser(sub: argparse._SubParsersAction) -> None:
    """Add `csw notify` to the CLI's subcommands."""
    notify = sub.add_parser(
        "notify",
        help="post the published events (marts.cs_events) not yet delivered to a webhook, signed",
    )
    notify.add_argument("--warehouse", type=Path, default=None)
    notify.add_argument("--url", required=True, help="the endpoint (n8n Webhook node, Slack, …)")
    notify.add_argument(
        "--format",
        choices=FORMATS,
        default="json",
        help="json: the event as a flat JSON object (n8n, any endpoint); slack: a Slack "
        "incoming-webhook message (default json)",
    )
    notify.add_argument(
        "--give-up-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop retrying an event after this long (default: config/events.yml)",
    )


def run_notify(args: argparse.Namespace, warehouse_dir: Path, say: Callable[[str], None]) -> int:
    """Deliver, and map what happened onto the exit-code contract."""
    import dataclasses

    from orchestration.config import load_events_config
    from orchestration.notify import (
        NotifyBusy,
        NotifyGaveUp,
        NotifyRefused,
        NotifyUsageError,
        deliver,
    )

    if not args.url.startswith(("http://", "https://")):
        say(f"notify: --url must be an http(s) URL, found {args.url!r}; nothing was sent")
        return exit_codes.USAGE
    config = load_events_config()
    if args.give_up_after is not None:
        if args.give_up_after <= 0:
            say("notify: --give-up-after must be greater than 0; nothing was sent")
            return exit_codes.USAGE
        config = dataclasses.replace(config, give_up_after_seconds=args.give_up_after)
    try:
        deliver(warehouse_dir, args.url, args.format, config, say=say)
    except NotifyUsageError as exc:
        say(f"notify: {exc}")
        return exit_codes.USAGE
    except NotifyBusy as exc:
        say(f"notify: {exc}")
        return exit_codes.WAREHOUSE_BUSY
    except NotifyRefused as exc:
        say(f"notify: {exc}")
        return exit_codes.DATA_STOPPED
    except NotifyGaveUp as exc:
        say(f"notify: gave up: {exc}")
        return exit_codes.TRY_AGAIN
    return exit_codes.OK
