"""The body of an inbound webhook delivery: its schema, and its messages as `Inbound` items.

    {"messages": [{"external_id": "...", "kind": "comment", "author": {"handle": "..."},
                   "text": "...", "created_at": "2026-03-01T09:30:00+01:00", ...}]}

docs/webhooks.md describes every field. Unknown fields are refused, so a misspelt
field name is an error and not a silent loss. Text longer than MAX_TEXT_CHARS is
kept, cut to that length, and the cut is reported.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from roost.channels.connectors.base import Inbound, InboundKind
from roost.core.errors import DomainError
from roost.core.text_input import MESSAGES, text_problem

MAX_MESSAGES = 1000
MAX_TEXT_CHARS = 20_000
MAX_MEDIA = 20
MAX_FOLLOWERS = 2_147_483_647  # what the message table holds
# A message's time lies between these (the future by a day, for clocks that run fast);
# anything else is a sender's error, and times near year 1 or 9999 cannot even be shown.
EARLIEST_CREATED_AT = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(days=1)


class PayloadProblem(enum.StrEnum):
    MALFORMED_JSON = "malformed_json"
    SCHEMA = "schema_violation"


class PayloadError(DomainError):
    """The body is not JSON, or not a delivery; `errors` name each problem's place."""

    def __init__(self, problem: PayloadProblem, message: str, errors: list[str]) -> None:
        super().__init__(problem, message)
        self.problem = problem
        self.errors = errors


def _web_address(value: str) -> str:
    if not value.startswith(("https://", "http://")) or any(
        c.isspace() or c == "\x00" for c in value
    ):
        raise ValueError("must be an http or https address")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL, and a lone surrogate is not a character.
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            raise ValueError(MESSAGES[problem])
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str) and (problem := text_problem(item)) is not None:
                    raise ValueError(MESSAGES[problem])
        return value


class AuthorIn(_Strict):
    handle: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(max_length=200)] = ""
    followers: Annotated[int, Field(ge=0, le=MAX_FOLLOWERS)] = 0
    verified: bool = False

    @field_validator("handle")
    @classmethod
    def _handle_is_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class MessageIn(_Strict):
    external_id: Annotated[str, Field(min_length=1, max_length=300)]
    kind: Literal["comment", "reply", "mention", "direct_message"]
    author: AuthorIn
    text: str
    created_at: str
    parent_external_id: Annotated[str, Field(max_length=300)] = ""
    subject_external_id: Annotated[str, Field(max_length=300)] = ""
    url: Annotated[str, Field(max_length=600)] = ""
    media: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=MAX_MEDIA)] = []

    @field_validator("external_id")
    @classmethod
    def _id_is_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware_iso_8601(cls, value: str) -> str:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 date and time") from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("must carry a time zone, e.g. 2026-03-01T09:30:00Z")
        # Comparisons only: converting a time near year 1 or 9999 to UTC could overflow.
        if moment < EARLIEST_CREATED_AT or moment > dt.datetime.now(dt.UTC) + CLOCK_SKEW:
            raise ValueError(f"must lie between {EARLIEST_CREATED_AT:%Y-%m-%d} and a day from now")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _web_address(value) if value else value

    @field_validator("media")
    @classmethod
    def _media(cls, value: list[str]) -> list[str]:
        return [_web_address(item) for item in value]


class DeliveryIn(_Strict):
    messages: Annotated[list[MessageIn], Field(max_length=MAX_MESSAGES)]


@dataclass(frozen=True)
class ParsedDelivery:
    items: list[Inbound]
    truncated: list[str]  # external ids of messages whose text was cut


def _place(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def parse_delivery(body: bytes) -> ParsedDelivery:
    """The delivery's messages, ready to store; `PayloadError` says what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError(
            PayloadProblem.MALFORMED_JSON, "The body is not UTF-8 text.", []
        ) from None
    except RecursionError:
        raise PayloadError(
            PayloadProblem.MALFORMED_JSON, "The body's JSON is nested too deeply.", []
        ) from None
    except ValueError as error:
        raise PayloadError(
            PayloadProblem.MALFORMED_JSON, f"The body is not valid JSON: {error}.", []
        ) from None
    try:
        delivery = DeliveryIn.model_validate(data)
    except ValidationError as error:
        errors = [f"{_place(e['loc'])}: {e['msg']}" for e in error.errors()]
        shown = "; ".join(errors[:3]) + (
            f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        )
        raise PayloadError(
            PayloadProblem.SCHEMA, f"The body is not a webhook delivery: {shown}.", errors
        ) from None
    items: list[Inbound] = []
    truncated: list[str] = []
    for message in delivery.messages:
        text = message.text
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            truncated.append(message.external_id)
        items.append(
            Inbound(
                external_id=message.external_id,
                kind=InboundKind(message.kind),
                author_handle=message.author.handle,
                text=text,
                created_at=dt.datetime.fromisoformat(message.created_at),
                parent_external_id=message.parent_external_id or message.subject_external_id,
                url=message.url,
                author_name=message.author.name,
                author_followers=message.author.followers,
                author_verified=message.author.verified,
            )
        )
    return ParsedDelivery(items=items, truncated=truncated)
