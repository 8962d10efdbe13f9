"""One search filter over the indexed `search_text` column, whatever the database.

PostgreSQL: a trigram GIN index on the lower-cased text, queried with `LIKE '%term%'` (not
`UPPER(...)`, which the index cannot serve: PERFORMANCE.md, cliff 4). SQLite: an FTS5 table with
the trigram tokenizer, kept in sync by triggers. Both return at most `MAX_CANDIDATES` matches, so
sorting the hits never walks a whole index (cliff 6).
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

MAX_CANDIDATES = 1000
MIN_TERM_LENGTH = 2


_PHONE_LIKE = re.compile(r"^\+?[\d\s()/.\-]{4,}$")
_VAT_LIKE = re.compile(r"^[a-z]{2}[\s.\-]*[0-9a-z][0-9a-z\s.\-]*$")


def normalize_term(term: str) -> str:
    """Lower-case and trim the term, and bring phone numbers and VAT IDs into stored form.

    Phones are stored in E.164 (`+49301234567`) and VAT IDs compact (`de136695976`), so a term
    written as people write them (`030 123-45`, `DE 136 695 976`) is compacted first: digits
    without a trunk or international prefix for phones, no separators for VAT IDs.
    """
    term = " ".join((term or "").lower().split())[:100]
    if _PHONE_LIKE.match(term) and sum(c.isdigit() for c in term) >= 4:
        digits = re.sub(r"\D", "", term)
        return digits.removeprefix("00").lstrip("0") if not term.startswith("+") else digits
    if _VAT_LIKE.match(term) and any(c.isdigit() for c in term) and re.search(r"[\s.\-]", term):
        return re.sub(r"[\s.\-]", "", term)
    return term


def fts_table(model) -> str:
    return f"{model._meta.db_table}_fts"


def search_q(queryset: QuerySet, term: str) -> Q:
    """Return a filter selecting the rows of `queryset` whose search text contains `term`."""
    term = normalize_term(term)
    model = queryset.model
    if connection.vendor == "sqlite":
        table = fts_table(model)
        if len(term) >= 3:
            phrase = '"' + term.replace('"', '""') + '"'
            sql = f"SELECT rowid FROM {table} WHERE {table} MATCH %s"
            params = [phrase]
        else:
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql = f"SELECT rowid FROM {table} WHERE search_text LIKE %s ESCAPE '\\'"
            params = [f"%{escaped}%"]
        matches = queryset.filter(pk__in=RawSQL(sql, params))
    else:
        matches = queryset.filter(search_text__contains=term)
    # The cap applies after the caller's visibility and filters, so a viewer's own records are
    # never crowded out by matches they may not see.
    return Q(pk__in=matches.values("pk")[:MAX_CANDIDATES])
