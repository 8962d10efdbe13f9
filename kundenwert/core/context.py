"""Who is acting, and through which door: set by each adapter, read by the audit trail."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    source: str = "system"  # web | api | cli | task | import | system
    ip: str | None = None


_current: ContextVar[RequestContext] = ContextVar("kundenwert_context", default=RequestContext())  # noqa: B039 - frozen


def current() -> RequestContext:
    return _current.get()


@contextlib.contextmanager
def acting_through(source: str, ip: str | None = None) -> Iterator[None]:
    """Mark everything done inside the block as coming from `source` (web, api, cli, task …)."""
    token = _current.set(RequestContext(source=source, ip=ip))
    try:
        yield
    finally:
        _current.reset(token)


def set_source(source: str, ip: str | None = None) -> None:
    """Set the source for the rest of this context (a CLI process, a request thread)."""
    _current.set(RequestContext(source=source, ip=ip))
