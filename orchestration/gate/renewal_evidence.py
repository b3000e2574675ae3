"""The evidence of the renewal rule (22), read from the build database: the published renewals and
the raw Stripe invoices and lines the independent derivation reads (never the models)."""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.warehouse_io import read_frame, table_exists
from transforms.gate.independent_renewals import renewal_terms
from transforms.gate.results import Absent


def read_renewal_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """marts.renewals (None before it is built) and the terms of the raw Stripe invoices."""
    published = None
    if table_exists(con, "marts", "renewals"):
        published = read_frame(con, "select subscription_id, term_end, outcome from marts.renewals")
    if not table_exists(con, "raw", "stripe__invoice_lines"):
        return {"renewals_published": published, "renewal_terms": Absent("no Stripe invoices")}
    invoices = read_frame(
        con,
        "select id, customer, subscription, status, created, _drop_date, _file, _line "
        "from raw.stripe__invoices where _drop_date <= ?",
        [as_of],
    )
    lines = read_frame(
        con,
        "select invoice_id, id, type, parent_type, amount, discount_amount, currency, "
        "period_start, period_end, proration, subscription, subscription_item, _drop_date, _file, "
        "_line from raw.stripe__invoice_lines where _drop_date <= ?",
        [as_of],
    )
    return {"renewals_published": published, "renewal_terms": renewal_terms(invoices, lines)}
