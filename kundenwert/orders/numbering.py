"""Gapless document numbers per series and year: B-2026-00017, R-2026-00042, G-2026-00003.

German tax law (§ 14 Abs. 4 Nr. 4 UStG) asks for a unique, consecutive invoice number; auditors
read a gap as a missing invoice. A database sequence would leave gaps (it never rolls back), so
each series keeps its last number in a row (`NumberSequence`) that `next_number` locks with
SELECT … FOR UPDATE and increments *inside the transaction that uses the number*: if that
transaction rolls back, so does the increment, and the number is given out again. The lock
serialises concurrent issuers of one series until they commit, which is why services take it
last, after every validation, to hold it for as short as possible.

On SQLite, FOR UPDATE does not exist; the settings open every transaction with BEGIN IMMEDIATE,
which takes the database's write lock at once and serialises writers the same way.

Prefixes come from the setting `DOCUMENT_NUMBER_PREFIXES` (a dict merged over the defaults
below), e.g. `{"invoice": "RE"}`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from .models import NumberSequence

__all__ = ["DEFAULT_PREFIXES", "format_number", "next_number", "prefix_for"]

DEFAULT_PREFIXES = {"quote": "A", "order": "B", "invoice": "R", "credit_note": "G"}
DIGITS = 5


def prefix_for(key: str) -> str:
    """Return the configured prefix of a series (setting DOCUMENT_NUMBER_PREFIXES)."""
    configured = getattr(settings, "DOCUMENT_NUMBER_PREFIXES", None) or {}
    return str(configured.get(key, DEFAULT_PREFIXES.get(key, key.upper())))


def format_number(key: str, year: int, number: int) -> str:
    """Write a document number: prefix, year and the number with at least five digits."""
    return f"{prefix_for(key)}-{year}-{number:0{DIGITS}d}"


def next_number(key: str, year: int) -> int:
    """Take the next number of the series `key` in `year`, gaplessly; return it.

    Must run inside the transaction that stores the numbered document (raises
    TransactionManagementError otherwise): the number is only taken if that transaction commits.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "next_number() must run in the transaction that stores the number."
        )
    # The row may not exist yet: create it without failing when a concurrent transaction does
    # the same (ON CONFLICT DO NOTHING / INSERT OR IGNORE), then lock whichever row exists.
    NumberSequence.objects.bulk_create(
        [NumberSequence(key=key, year=year, last_number=0)], ignore_conflicts=True
    )
    sequence = NumberSequence.objects.select_for_update().get(key=key, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number
