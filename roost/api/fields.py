"""Types for what API requests carry: strict in bodies, bounded everywhere.

A JSON body's values keep their JSON type: `false` is not an id, `1` is not a boolean
and `5` is not text (pydantic would otherwise convert them, and `false` as an assignee
would unassign). Ids fit the database's 64-bit keys, so a larger number is a 422 and
never reaches a query. Query-string values are text by nature, so they are converted,
but bounded the same way.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

MAX_ID = 2**63 - 1
# Further than any list goes; keeps OFFSET within what every database accepts.
MAX_OFFSET = 2**31 - 1

Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
StrictText = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]
