"""What can be wrong with a rotation, by stable code, and the sentence people read."""

from __future__ import annotations

import enum


class RotationErrorCode(enum.StrEnum):
    EMPTY_ROTATION = "empty_rotation"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    OVERLAPPING_OVERRIDES = "overlapping_overrides"
    BAD_PERIOD = "bad_period"
    BAD_SHIFT_LENGTH = "bad_shift_length"
    BAD_SHIFT_KIND = "bad_shift_kind"
    BAD_WINDOW = "bad_window"
    BAD_WINDOW_DAYS = "bad_window_days"
    NAIVE_DATETIME = "naive_datetime"
    SAME_PERSON = "same_person"


MESSAGES = {
    RotationErrorCode.EMPTY_ROTATION: (
        "The rotation {name} has nobody in it: add at least one person."
    ),
    RotationErrorCode.UNKNOWN_TIME_ZONE: (
        "Unknown time zone {zone!r}: use a name such as Europe/Warsaw."
    ),
    RotationErrorCode.OVERLAPPING_OVERRIDES: (
        "Overrides overlap: {first} and {second} cover the same time for the same person."
    ),
    RotationErrorCode.BAD_PERIOD: "The end must come after the start.",
    RotationErrorCode.BAD_SHIFT_LENGTH: "A custom shift lasts a whole number of hours, 1 to 8760.",
    RotationErrorCode.BAD_SHIFT_KIND: "A shift is daily, weekly or custom, not {kind!r}.",
    RotationErrorCode.BAD_WINDOW: "A daily window needs both a start and an end time.",
    RotationErrorCode.BAD_WINDOW_DAYS: (
        "Window days are weekday digits, 0 (Monday) to 6 (Sunday), at least one."
    ),
    RotationErrorCode.NAIVE_DATETIME: "Times must carry their time zone.",
    RotationErrorCode.SAME_PERSON: "A swap is between two different people.",
}


class RotationError(ValueError):
    """Bad input to the rotation arithmetic; `code` is what callers and tests match on."""

    def __init__(self, code: RotationErrorCode, **values: object) -> None:
        self.code = code
        self.message = MESSAGES[code].format(**values) if values else MESSAGES[code]
        super().__init__(self.message)
