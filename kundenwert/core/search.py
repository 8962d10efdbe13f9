"""One search filter over the indexed `search_text` column, whatever the database.

PostgreSQL: a trigram GIN index on the lower-cased text, queried with `LIKE '%term%'` (not
`UPPER(...)`, which the index cannot serve: PERFORMANCE.md, cliff 4). SQLite: an FTS5 table with
the trigram tokenizer, kept in sync by triggers. Both return at most `MAX_CANDIDATES` matches, so
sorting the hits never walks a whole index (cliff 6).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

MAX_CANDIDATES = 1000
MIN_TERM_LENGTH = 2


def normalize_term(term: str) -> str:
    return " ".join((term or "").lower().split())[:100]


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
            sql = f"SELECT rowid FROM {table} WHERE {table} MATCH %s LIMIT {MAX_CANDIDATES}"
            return Q(pk__in=RawSQL(sql, [phrase]))
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql = (
            f"SELECT rowid FROM {table} WHERE search_text LIKE %s ESCAPE '\\' "
            f"LIMIT {MAX_CANDIDATES}"
        )
        return Q(pk__in=RawSQL(sql, [f"%{escaped}%"]))
    candidates = queryset.filter(search_text__contains=term).values("pk")[:MAX_CANDIDATES]
    return Q(pk__in=candidates)
