"""Hand-made drops for the ingest tests: objects, files in a drop folder, counts of what loaded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

D1 = dt.date(2025, 3, 4)
D2 = dt.date(2025, 3, 5)
T1 = dt.datetime(2025, 3, 5, 6, 0)
T2 = dt.datetime(2025, 3, 6, 6, 0)


def customer(cid: str, name: str = "Acme") -> dict:
    return {"id": cid, "object": "customer", "created": 1700000000, "name": name, "currency": "usd"}


def subscription(sid: str, status: str = "active", start: int = 1740000000) -> dict:
    return {
        "id": sid,
        "object": "subscription",
        "customer": "cus_A1",
        "status": status,
        "created": 1700000000,
        "currency": "usd",
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_" + sid[4:],
                    "object": "subscription_item",
                    "quantity": 3,
                    "current_period_start": start,
                    "current_period_end": start + 2_678_400,
                    "price": {
                        "id": "price_Pro",
                        "object": "price",
                        "currency": "usd",
                        "unit_amount": 4900,
                        "type": "recurring",
                        "recurring": {"interval": "month", "interval_count": 1},
                    },
                }
            ],
        },
    }


def write(root: Path, source: str, day: dt.date, name: str, text: str | bytes) -> Path:
    folder = root / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def jsonl(*objects: dict) -> str:
    return "".join(json.dumps(o) + "\n" for o in objects)


def stripe_drop(root: Path, day: dt.date, customers: str, subscriptions: str = "") -> None:
    write(root, "stripe", day, "customers.jsonl", customers)
    for stem in ("subscriptions", "invoices", "charges"):
        write(
            root, "stripe", day, f"{stem}.jsonl", subscriptions if stem == "subscriptions" else ""
        )


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def assert_nothing_lost(con) -> None:
    bad = con.execute(
        "SELECT file FROM audit.ingest_log WHERE rows_read <> rows_loaded + rows_quarantined"
    ).fetchall()
    assert bad == []


def organization_line(org_id: int) -> str:
    return json.dumps(
        {
            "id": org_id,
            "name": f"Org {org_id}",
            "external_id": f"acc_{org_id}",
            "created_at": "2025-06-01T10:00:00Z",
            "updated_at": "2025-06-01T10:00:00Z",
        }
    )
