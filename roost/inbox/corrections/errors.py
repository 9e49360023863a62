"""Why a correction or a retraining is refused: stable codes, the messages people read,
and the kind of each (which sets the HTTP status), as in `roost.inbox.errors`."""

from __future__ import annotations

import enum

from roost.core.errors import ApplicationError, ErrorCode, message_of


class CorrectionProblem(enum.StrEnum):
    FIELD_UNKNOWN = "correction_field_unknown"
    LABEL_UNKNOWN = "correction_label_unknown"
    LABEL_UNCHANGED = "correction_label_unchanged"
    NOTHING_TO_CORRECT = "correction_nothing_to_correct"
    RETRAIN_NOT_ALLOWED = "retrain_not_allowed"
    ORGANIZATION_UNKNOWN = "retrain_organization_unknown"


P = CorrectionProblem

MESSAGES: dict[CorrectionProblem, str] = {
    P.FIELD_UNKNOWN: "Only the language, sentiment or intent can be corrected, not {value!r}.",
    P.LABEL_UNKNOWN: "Unknown {what} {value!r}; choose one of {allowed}.",
    P.LABEL_UNCHANGED: "The {what} is already {value}.",
    P.NOTHING_TO_CORRECT: "The conversation has no message from the customer to correct.",
    P.RETRAIN_NOT_ALLOWED: "Only a manager or an admin of the organisation can retrain.",
    P.ORGANIZATION_UNKNOWN: "No organisation {slug!r}.",
}

KINDS: dict[CorrectionProblem, ErrorCode] = {
    P.FIELD_UNKNOWN: ErrorCode.INVALID,
    P.LABEL_UNKNOWN: ErrorCode.INVALID,
    P.LABEL_UNCHANGED: ErrorCode.CONFLICT,
    P.NOTHING_TO_CORRECT: ErrorCode.CONFLICT,
    P.RETRAIN_NOT_ALLOWED: ErrorCode.PERMISSION_DENIED,
    P.ORGANIZATION_UNKNOWN: ErrorCode.NOT_FOUND,
}


class CorrectionError(ApplicationError):
    """A refused correction: `problem` names it; `code` is its kind."""

    def __init__(self, problem: CorrectionProblem, *, field: str | None = None, **values: object):
        super().__init__(KINDS[problem], message_of(MESSAGES, problem, **values), field=field)
        self.problem = problem
