"""Types for what API requests carry: strict in bodies, bounded everywhere.

A JSON body's values keep their JSON type: `false` is not an id, `1` is not a boolean
and `5` is not text (pydantic would otherwise convert them, and `false` as an assignee
would unassign). Ids fit the database's 64-bit keys, so a larger number is a 422 and
never reaches a query. Query-string values are text by nature, so they are converted,
but bounded the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, Strict

MAX_ID = 2**63 - 1
# Further than any list goes; keeps OFFSET within what every database accepts.
MAX_OFFSET = 2**31 - 1

Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
StrictText = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]

# Times the API takes, whatever their meaning: near year 1 or 9999 a time cannot even be
# converted to UTC or shown in every zone. Services narrow this further where they must.
EARLIEST_MOMENT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_MOMENT = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)


def _within_calendar(value: dt.datetime) -> dt.datetime:
    # Comparisons only: they never overflow, where converting the value could.
    if not EARLIEST_MOMENT <= value < LATEST_MOMENT:
        raise ValueError("must lie between the years 1900 and 2999")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_within_calendar)]
