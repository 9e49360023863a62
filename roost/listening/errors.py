"""What listening's services refuse, by name."""

from __future__ import annotations

from roost.core.errors import ApplicationError, ErrorCode


class QueryInvalid(ApplicationError):
    """A monitor's query that does not parse; `position` is the 0-based offset of the
    mistake in the query, so a form and the API can point at it."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(ErrorCode.INVALID, message, field="query")
        self.position = position
