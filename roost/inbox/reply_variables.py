"""Filling a saved reply's `{variables}` for one conversation.

`reply_render` is pure: it replaces each `{name}` it has a value for and leaves any
other `{name}` exactly as typed, reporting it, so a person sees it before sending
instead of the customer receiving a silently shortened sentence. Names are
case-sensitive and made of letters, digits and underscores; other braces are text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from roost.core.models import User
from roost.inbox.models import Conversation

VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

KNOWN_VARIABLES: dict[str, str] = {
    "author_name": "the author's name, or their handle when the network gives no name",
    "author_handle": "the author's handle",
    "agent_name": "your name",
    "channel": "the channel's display name, or its handle",
    "brand": "the channel's brand, else its channel group's, else the organisation's name",
}


@dataclass(frozen=True)
class RenderedReply:
    text: str
    unknown: tuple[str, ...]
    """Variables the text names that have no value, in order of first appearance."""


def reply_render(template: str, values: Mapping[str, str]) -> RenderedReply:
    unknown: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in unknown:
            unknown.append(name)
        return match.group(0)

    return RenderedReply(text=VARIABLE.sub(fill, template), unknown=tuple(unknown))


def reply_variables(*, conversation: Conversation, agent: User) -> dict[str, str]:
    """The values of every known variable for `agent` answering `conversation`."""
    channel = conversation.channel
    brand = channel.brand or channel.channel_group.brand
    return {
        "author_name": conversation.author_name or conversation.author_handle,
        "author_handle": conversation.author_handle,
        "agent_name": agent.name,
        "channel": channel.display_name or channel.handle,
        "brand": brand.name if brand is not None else agent.organization.name,
    }
