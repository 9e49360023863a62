"""The labels a message can get, as string enums (each equals its plain value: "positive")."""

from __future__ import annotations

import enum

# ISO 639-1 codes of the languages the classifier tells apart; anything else is "und".
LANGUAGES: tuple[str, ...] = ("en", "pl", "de", "es", "fr")
UNDETERMINED = "und"


class Sentiment(enum.StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Intent(enum.StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    # Unsolicited promotion, scams, follow-for-follow, and abuse aimed at people.
    SPAM = "spam"
    OTHER = "other"


class Priority(enum.StrEnum):
    """How soon a message needs an answer, least urgent first; the inbox's conversations,
    routing rules and SLA policies store these values."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Least urgent first: `PRIORITY_ORDER.index(value)` ranks a stored priority.
PRIORITY_ORDER: tuple[Priority, ...] = tuple(Priority)
