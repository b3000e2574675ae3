"""Keep e-mail addresses out of published free text (validation rule 17).

What counts as an address: a local part of letters, digits and `. _ % + -`, an `@`, and a domain of
at least two dot-separated labels ending in an alphabetic top-level domain of two or more letters
(`ana.lopez+nps@mail.eu.acme.io`). Decided and tested:

- `user@localhost` and other dotless hosts are not redacted: they reach no one outside the machine,
  and the same shape occurs in text that holds no contact data (`react@18.2.0`, `@mentions`,
  `admin@prod` host names). Treating them as addresses would mangle comments for no privacy gain.
- Obfuscated forms ("ana at acme dot com") are not detected; they are rare in survey comments and
  ticket subjects, and matching them would redact ordinary prose.

The Polars expression and the scalar function use the same pattern, which is written in the common
subset of Python `re` and the Rust `regex` crate that Polars uses, so both find the same addresses.
"""

from __future__ import annotations

import re

import polars as pl

EMAIL_PATTERN = r"[\w.%+-]+@(?:[\w-]+\.)+[A-Za-z]{2,}\b"
EMAIL_PLACEHOLDER = "[email]"

_EMAIL_RE = re.compile(EMAIL_PATTERN)


def redact_emails(text: str | None) -> str | None:
    """Replace every e-mail address in `text` with `[email]`; None stays None."""
    if text is None:
        return None
    return _EMAIL_RE.sub(EMAIL_PLACEHOLDER, text)


def redact_emails_expr(column: str | pl.Expr) -> pl.Expr:
    """Expression replacing every e-mail address in a string column with `[email]`."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.str.replace_all(EMAIL_PATTERN, EMAIL_PLACEHOLDER)


def find_email_addresses(frame: pl.DataFrame) -> pl.DataFrame:
    """Every e-mail address found in the frame's text columns, one row per occurrence.

    Scans String columns and List[String] columns (such as ticket tags). Returns
    (column: str, row: u32 index in `frame`, address: str); an empty result means the frame is clean.
    """
    found: list[pl.DataFrame] = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            text = pl.col(name)
        elif dtype == pl.List(pl.String):
            text = pl.col(name).list.join(" ")
        else:
            continue
        hits = (
            frame.select(text.str.extract_all(EMAIL_PATTERN).alias("address"))
            .with_row_index("row")
            .explode("address")
            .drop_nulls("address")
            .select(pl.lit(name).alias("column"), "row", "address")
        )
        found.append(hits)
    if not found:
        return pl.DataFrame(schema={"column": pl.String, "row": pl.UInt32, "address": pl.String})
    return pl.concat(found)
