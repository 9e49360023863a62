"""Who and where the current change comes from: request id and client IP.

The web middleware and the task runner set these, so `audit.record` can stamp
every event without each service passing them along.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip_address: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("roost_request_context", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current() -> RequestContext:
    context = _current.get()
    if context is None:
        return RequestContext(request_id="")
    return context


@contextlib.contextmanager
def bound(*, request_id: str, ip_address: str | None = None) -> Iterator[RequestContext]:
    context = RequestContext(request_id=request_id, ip_address=ip_address)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
