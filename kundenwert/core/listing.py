"""Allow-listed filtering and sorting shared by every list selector."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorError, Page, SortKey, paginate
from .search import MIN_TERM_LENGTH, normalize_term, search_q


def parse_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("Enter a whole number.")]}) from None
    if not -(2**63) < number < 2**63:
        raise ValidationError({name: [_("Enter a whole number.")]})
    return number


def parse_bool(value: str, name: str) -> bool:
    lowered = str(value).lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise ValidationError({name: [_("Enter true or false.")]})


def parse_when(value: str, name: str) -> dt.datetime:
    """Parse an ISO date or date-time; a naive value is read as UTC."""
    parsed: dt.datetime | None = None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({name: [_("Enter an ISO 8601 date or date-time.")]})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        # The database stores UTC: an offset that pushes the instant past year 1..9999 overflows.
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationError({name: [_("The date is out of range.")]}) from None


@dataclass(frozen=True)
class Filter:
    """One allow-listed filter: its query parameter and how it turns a value into a Q."""

    build: Callable[[str], Q]
    help: str = ""


@dataclass(frozen=True)
class ListSpec:
    """What a list may be filtered and sorted by: the allow-lists of one entity."""

    filters: dict[str, Filter]
    sorts: dict[str, list[SortKey]]
    default_sort: str
    searchable: bool = True
    extra_params: frozenset[str] = field(default_factory=frozenset)

    @property
    def parameters(self) -> frozenset[str]:
        base = {"limit", "cursor", "sort"} | set(self.filters) | set(self.extra_params)
        if self.searchable:
            base.add("q")
        return frozenset(base)


def run_list(
    queryset: QuerySet,
    spec: ListSpec,
    *,
    params: dict[str, str],
    values: tuple[str, ...] | None = None,
) -> Page:
    """Filter, search, sort and paginate `queryset` by allow-listed `params`.

    Raises ValidationError naming each unknown or malformed parameter: nothing is silently
    ignored.
    """
    unknown = sorted(set(params) - spec.parameters)
    if unknown:
        raise ValidationError(
            {
                name: [_("Unknown parameter. Allowed: %s") % ", ".join(sorted(spec.parameters))]
                for name in unknown
            }
        )
    errors: dict[str, list[str]] = {}
    limit = DEFAULT_LIMIT
    if "limit" in params:
        try:
            limit = parse_int(params["limit"], "limit")
            if not 1 <= limit <= MAX_LIMIT:
                raise ValidationError({"limit": [_("Between 1 and %d.") % MAX_LIMIT]})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    sort = params.get("sort") or spec.default_sort
    if sort not in spec.sorts:
        errors["sort"] = [_("Unknown sort. Allowed: %s") % ", ".join(spec.sorts)]
    for name, flt in spec.filters.items():
        if name in params:
            try:
                queryset = queryset.filter(flt.build(params[name]))
            except ValidationError as exc:
                errors.update(
                    exc.message_dict if hasattr(exc, "error_dict") else {name: exc.messages}
                )
    if spec.searchable and params.get("q") is not None:
        term = normalize_term(params["q"])
        if len(term) < MIN_TERM_LENGTH:
            errors["q"] = [_("Enter at least %d characters.") % MIN_TERM_LENGTH]
        else:
            queryset = queryset.filter(search_q(queryset, term))
    if errors:
        raise ValidationError(errors)
    if values is not None:
        queryset = queryset.values(*values)
    try:
        return paginate(
            queryset,
            sort_name=sort,
            keys=spec.sorts[sort],
            cursor=params.get("cursor") or None,
            limit=limit,
        )
    except CursorError:
        raise ValidationError({"cursor": [_("Invalid cursor.")]}) from None


def sorts(*names: tuple[str, list[str]]) -> dict[str, list[SortKey]]:
    """Build the allow-list of sorts: each name ascending, and `-name` descending."""
    result: dict[str, list[SortKey]] = {}
    for name, fields in names:
        result[name] = [SortKey(f) for f in fields] + [SortKey("id")]
        result[f"-{name}"] = [SortKey(f, descending=True) for f in fields] + [
            SortKey("id", descending=True)
        ]
    return result
