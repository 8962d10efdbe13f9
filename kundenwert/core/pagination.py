"""Keyset (cursor) pagination: constant cost per page at any depth, no COUNT(*), no OFFSET."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core import signing
from django.db.models import Q, QuerySet

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class CursorError(ValueError):
    """The cursor is malformed or belongs to another sort order."""


@dataclass(frozen=True)
class SortKey:
    """A column to sort by, ending in the unique `id` as tie-breaker."""

    field: str
    descending: bool = False


def _encode_value(value):
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value):
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "dec" in value:
            return Decimal(value["dec"])
        raise CursorError("bad cursor value")
    return value


_SALT = "kundenwert.cursor"


def encode_cursor(sort: str, values: list) -> str:
    """Return an opaque, signed cursor: clients cannot forge values that reach the query."""
    payload = {"s": sort, "v": [_encode_value(v) for v in values]}
    return signing.dumps(payload, salt=_SALT, compress=False)


def decode_cursor(cursor: str, sort: str, width: int) -> list:
    try:
        payload = signing.loads(cursor, salt=_SALT)
        if payload["s"] != sort or len(payload["v"]) != width:
            raise CursorError("cursor does not match the sort order")
        return [_decode_value(v) for v in payload["v"]]
    except (signing.BadSignature, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CursorError("malformed cursor") from exc


def keyset_filter(keys: list[SortKey], values: list) -> Q:
    """Return rows strictly after `values` in the order of `keys`.

    Written as the OR-expansion plus a redundant bound on the leading column, which lets both
    PostgreSQL and SQLite seek the index instead of scanning it (PERFORMANCE.md, cliff 3).
    """
    condition = Q()
    for depth in range(len(keys) - 1, -1, -1):
        key = keys[depth]
        op = "lt" if key.descending else "gt"
        step = Q(**{f"{key.field}__{op}": values[depth]}) if values[depth] is not None else Q()
        if depth == len(keys) - 1:
            condition = step
        else:
            if values[depth] is None:
                eq = Q(**{f"{key.field}__isnull": True})
            else:
                eq = Q(**{key.field: values[depth]})
            condition = step | (eq & condition)
    lead = keys[0]
    if values[0] is not None:
        bound = Q(**{f"{lead.field}__{'lte' if lead.descending else 'gte'}": values[0]})
        condition = bound & condition
    return condition


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def paginate(
    queryset: QuerySet, *, sort_name: str, keys: list[SortKey], cursor: str | None, limit: int
) -> Page:
    """Return one page of `queryset` ordered by `keys`, and the cursor of the next one.

    `queryset` may be a `.values()` queryset; the sort fields must be among its columns.
    """
    ordering = [f"-{k.field}" if k.descending else k.field for k in keys]
    qs = queryset.order_by(*ordering)
    if cursor:
        values = decode_cursor(cursor, sort_name, len(keys))
        qs = qs.filter(keyset_filter(keys, values))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        get = (lambda r, f: r[f]) if isinstance(last, dict) else (lambda r, f: getattr(r, f))
        next_cursor = encode_cursor(sort_name, [get(last, k.field) for k in keys])
    return Page(rows=rows, next_cursor=next_cursor)
