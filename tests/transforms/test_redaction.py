"""E-mail redaction of free text and the scanner that validation rule 17 uses."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.redaction import find_email_addresses, redact_emails, redact_emails_expr

# (text, redacted) pairs, decided by hand.
CASES = [
    ("contact ana@acme.com now", "contact [email] now"),
    # plus addressing and dotted local parts
    ("ana.lopez+nps@acme.com", "[email]"),
    # subdomains, and the sentence's full stop stays outside the address
    ("mail me: j_o-e@support.eu.acme.co.uk.", "mail me: [email]."),
    ("two: a@b.io,c@d.org;", "two: [email],[email];"),
    ("<ANA@ACME.COM>", "<[email]>"),
    # Decided: no dotted domain with an alphabetic TLD is no address we redact.
    ("ssh user@localhost", "ssh user@localhost"),
    ("pin react@18.2.0", "pin react@18.2.0"),
    ("ping @ana on slack", "ping @ana on slack"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "redacted"), CASES)
def test_scalar_redaction(text: str, redacted: str) -> None:
    assert redact_emails(text) == redacted


def test_expression_redacts_exactly_like_the_scalar_function() -> None:
    frame = pl.DataFrame({"comment": [text for text, _ in CASES] + [None]})
    out = frame.select(redact_emails_expr("comment"))["comment"].to_list()
    assert out == [redacted for _, redacted in CASES] + [None]
    assert redact_emails(None) is None


def test_scanner_finds_addresses_in_every_text_column() -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "subject": ["help", "from bob@corp.example.com", None],
            "tags": [["vip"], [], ["cc_eve@mail.io"]],
            "comment": ["a@b.co and c@d.co", "user@localhost", "[email]"],
        }
    )
    found = find_email_addresses(frame).sort("column", "row", "address")
    assert found.rows() == [
        ("comment", 0, "a@b.co"),
        ("comment", 0, "c@d.co"),
        ("subject", 1, "bob@corp.example.com"),
        # `_` is part of a local part, so the whole tag is the address the scanner reports.
        ("tags", 2, "cc_eve@mail.io"),
    ]


def test_scanner_reports_nothing_on_redacted_text() -> None:
    frame = pl.DataFrame({"comment": ["ana@acme.com", "x"]}).select(redact_emails_expr("comment"))
    found = find_email_addresses(frame)
    assert found.height == 0
    assert found.schema == pl.Schema({"column": pl.String, "row": pl.UInt32, "address": pl.String})
