"""Why the inbox refuses: a stable code for each refusal (what tests and callers match
on), the message people read kept apart in `MESSAGES`, and the kind of failure each is
(and so its HTTP status) in `KINDS`.

Services raise `InboxError(InboxProblem.X, field=..., **values)`; the values fill the
message's `{placeholders}`. Being an `ApplicationError`, it is shown and answered like
any other refusal.
"""

from __future__ import annotations

import enum

from roost.core.errors import ApplicationError, ErrorCode, message_of


class InboxProblem(enum.StrEnum):
    # Conversations and replies
    CONVERSATION_NOT_FOUND = "conversation_not_found"
    REPLY_EMPTY = "reply_empty"
    REPLY_UNSTORABLE = "reply_unstorable"
    NOTE_EMPTY = "note_empty"
    TEXT_TOO_LONG = "text_too_long"
    NOTHING_TO_REPLY_TO = "nothing_to_reply_to"
    NETWORK_REFUSED_REPLY = "network_refused_reply"
    REPLY_COLLISION = "reply_collision"
    ASSIGNEE_NOT_FOUND = "assignee_not_found"
    ASSIGNEE_CANNOT_HANDLE = "assignee_cannot_handle"
    # Snoozing
    SNOOZE_CLOSED = "snooze_closed"
    SNOOZE_PRESET_UNKNOWN = "snooze_preset_unknown"
    UNTIL_MISSING = "until_missing"
    UNTIL_UNREADABLE = "until_unreadable"
    UNTIL_IN_THE_PAST = "until_in_the_past"
    UNTIL_TOO_FAR = "until_too_far"
    UNTIL_NOT_GIVEN = "until_not_given"
    UNTIL_WITHOUT_SNOOZE = "until_without_snooze"
    # Bulk actions
    BULK_ACTION_UNKNOWN = "bulk_action_unknown"
    BULK_NONE_CHOSEN = "bulk_none_chosen"
    BULK_TOO_MANY = "bulk_too_many"
    BULK_TAG_MISSING = "bulk_tag_missing"
    BULK_UNTIL_MISSING = "bulk_until_missing"
    BULK_SAVED_REPLY_MISSING = "bulk_saved_reply_missing"
    BULK_REPLY_UNKNOWN_VARIABLES = "bulk_reply_unknown_variables"
    ALREADY_CLOSED = "already_closed"
    # Saved replies and filters
    SAVED_REPLIES_NOT_ALLOWED = "saved_replies_not_allowed"
    SAVED_REPLY_NOT_YOURS = "saved_reply_not_yours"
    SAVED_REPLY_TITLE_MISSING = "saved_reply_title_missing"
    SAVED_REPLY_TITLE_TOO_LONG = "saved_reply_title_too_long"
    SAVED_REPLY_TEXT_MISSING = "saved_reply_text_missing"
    SAVED_REPLY_TEXT_TOO_LONG = "saved_reply_text_too_long"
    SHORTCUT_INVALID = "shortcut_invalid"
    SHORTCUT_TAKEN = "shortcut_taken"
    SAVED_FILTER_NO_INBOX = "saved_filter_no_inbox"
    SAVED_FILTER_NAME_MISSING = "saved_filter_name_missing"
    SAVED_FILTER_NAME_TOO_LONG = "saved_filter_name_too_long"
    SAVED_FILTER_NAME_TAKEN = "saved_filter_name_taken"
    SAVED_FILTERS_TOO_MANY = "saved_filters_too_many"
    SAVED_FILTER_NOT_FOUND = "saved_filter_not_found"
    # Routing rules
    RULE_NAME_MISSING = "rule_name_missing"
    CHOICE_UNKNOWN = "choice_unknown"
    CHOICE_FOREIGN = "choice_foreign"
    TAGS_TOO_MANY = "tags_too_many"
    AUTO_REPLY_VARIABLE_UNKNOWN = "auto_reply_variable_unknown"
    ASSIGNMENT_UNKNOWN = "assignment_unknown"
    ASSIGNMENT_NEEDS_TEAM = "assignment_needs_team"
    FALLBACK_TEAM_NOT_SHIFT_AWARE = "fallback_team_not_shift_aware"
    FALLBACK_TEAM_SAME = "fallback_team_same"
    RULE_ALREADY_AT_END = "rule_already_at_end"
    # SLA policies and reports
    POLICY_NAME_MISSING = "policy_name_missing"
    POLICY_CHANNEL_FOREIGN = "policy_channel_foreign"
    POLICY_SAME_CONDITIONS = "policy_same_conditions"
    PRIORITY_UNKNOWN = "priority_unknown"
    INTENT_UNKNOWN = "intent_unknown"
    TIME_ZONE_UNKNOWN = "time_zone_unknown"
    MINUTES_INVALID = "minutes_invalid"
    MINUTES_TOO_MANY = "minutes_too_many"
    WEEKDAY_UNKNOWN = "weekday_unknown"
    HOURS_UNREADABLE = "hours_unreadable"
    HOURS_NOT_A_TIME = "hours_not_a_time"
    HOURS_BACKWARDS = "hours_backwards"
    HOURS_TOO_MANY_SPANS = "hours_too_many_spans"
    HOURS_OVERLAP = "hours_overlap"
    HOURS_MISSING = "hours_missing"
    HOLIDAY_UNREADABLE = "holiday_unreadable"
    HOLIDAYS_TOO_MANY = "holidays_too_many"
    HOLIDAYS_WITHOUT_HOURS = "holidays_without_hours"
    REPORT_NOT_ALLOWED = "report_not_allowed"
    # Webhook receipts
    RECEIPT_NOT_FOUND = "receipt_not_found"
    RECEIPT_CHANNEL_GONE = "receipt_channel_gone"
    RECEIPT_NOT_FAILED = "receipt_not_failed"
    RECEIPT_BODY_CUT = "receipt_body_cut"
    RECEIPT_FAILED_AGAIN = "receipt_failed_again"


P = InboxProblem

MESSAGES: dict[InboxProblem, str] = {
    P.CONVERSATION_NOT_FOUND: "Conversation not found.",
    P.REPLY_EMPTY: "Write a reply first.",
    P.REPLY_UNSTORABLE: "The reply {fault}.",
    P.NOTE_EMPTY: "Write the note first.",
    P.TEXT_TOO_LONG: "At most {limit} characters.",
    P.NOTHING_TO_REPLY_TO: "There is nothing to reply to yet.",
    P.NETWORK_REFUSED_REPLY: "The network refused the reply: {reason}",
    P.REPLY_COLLISION: (
        "Someone replied while you were typing. Read their reply in the thread, "
        "then tick “Send anyway” to send yours too."
    ),
    P.ASSIGNEE_NOT_FOUND: "That person was not found.",
    P.ASSIGNEE_CANNOT_HANDLE: "That person cannot handle this channel.",
    P.SNOOZE_CLOSED: "A closed conversation cannot be snoozed; reopen it first.",
    P.SNOOZE_PRESET_UNKNOWN: "Unknown snooze preset.",
    P.UNTIL_MISSING: "Choose how long to snooze: a preset or a date and time.",
    P.UNTIL_UNREADABLE: "Give the date and time as YYYY-MM-DD HH:MM.",
    P.UNTIL_IN_THE_PAST: "Choose a time in the future to snooze until.",
    P.UNTIL_TOO_FAR: "A conversation can be snoozed for at most a year.",
    P.UNTIL_NOT_GIVEN: "Say until when: snoozed_until, with a time zone.",
    P.UNTIL_WITHOUT_SNOOZE: "snoozed_until goes only with status snoozed.",
    P.BULK_ACTION_UNKNOWN: "Unknown bulk action.",
    P.BULK_NONE_CHOSEN: "Choose at least one conversation.",
    P.BULK_TOO_MANY: "At most {limit} conversations at a time.",
    P.BULK_TAG_MISSING: "Write at least one tag.",
    P.BULK_UNTIL_MISSING: "Choose when to wake them.",
    P.BULK_SAVED_REPLY_MISSING: "Choose the saved reply to send.",
    P.BULK_REPLY_UNKNOWN_VARIABLES: (
        "Not sent: the saved reply names {unknown}, which Roost cannot fill in; "
        "answer this one by hand."
    ),
    P.ALREADY_CLOSED: "It is already closed.",
    P.SAVED_REPLIES_NOT_ALLOWED: "Only people who handle the inbox can use and add saved replies.",
    P.SAVED_REPLY_NOT_YOURS: (
        "Only its author, or a manager or admin of the organisation, can change this."
    ),
    P.SAVED_REPLY_TITLE_MISSING: "Give the saved reply a title.",
    P.SAVED_REPLY_TITLE_TOO_LONG: "A title is at most {limit} characters.",
    P.SAVED_REPLY_TEXT_MISSING: "Write the reply's text.",
    P.SAVED_REPLY_TEXT_TOO_LONG: "A reply is at most {limit} characters.",
    P.SHORTCUT_INVALID: (
        "A shortcut is up to 40 lower-case letters, digits, - and _, "
        "starting with a letter or digit."
    ),
    P.SHORTCUT_TAKEN: "The shortcut /{shortcut} is already used.",
    P.SAVED_FILTER_NO_INBOX: "You have no inbox to filter.",
    P.SAVED_FILTER_NAME_MISSING: "Give the filter a name.",
    P.SAVED_FILTER_NAME_TOO_LONG: "A name is at most {limit} characters.",
    P.SAVED_FILTER_NAME_TAKEN: "You already have a filter called “{name}”.",
    P.SAVED_FILTERS_TOO_MANY: "At most {limit} saved filters; delete one first.",
    P.SAVED_FILTER_NOT_FOUND: "Saved filter not found.",
    P.RULE_NAME_MISSING: "Give the rule a name.",
    P.CHOICE_UNKNOWN: "Unknown {what} {value!r}; choose one of {allowed}.",
    P.CHOICE_FOREIGN: "Choose one of your organisation's own.",
    P.TAGS_TOO_MANY: "At most {limit} tags.",
    P.AUTO_REPLY_VARIABLE_UNKNOWN: "Unknown variable {named}; an auto-reply can use {known}.",
    P.ASSIGNMENT_UNKNOWN: "Unknown assignment mode {mode!r}.",
    P.ASSIGNMENT_NEEDS_TEAM: "Automatic assignment picks from a team: choose the team.",
    P.FALLBACK_TEAM_NOT_SHIFT_AWARE: "A fallback team is used only by shift-aware assignment.",
    P.FALLBACK_TEAM_SAME: "The fallback team must differ from the team.",
    P.RULE_ALREADY_AT_END: "This rule is already {where}.",
    P.POLICY_NAME_MISSING: "Give the policy a name.",
    P.POLICY_CHANNEL_FOREIGN: "Choose one of your organisation's own channels.",
    P.POLICY_SAME_CONDITIONS: (
        "The policy “{name}” already covers the same channel, priority and intent."
    ),
    P.PRIORITY_UNKNOWN: "Unknown priority {value!r}.",
    P.INTENT_UNKNOWN: "Unknown intent {value!r}.",
    P.TIME_ZONE_UNKNOWN: "Unknown time zone {value!r}; use a name like Europe/Warsaw.",
    P.MINUTES_INVALID: "Give a whole number of minutes above 0.",
    P.MINUTES_TOO_MANY: "At most {limit} minutes (a year).",
    P.WEEKDAY_UNKNOWN: "Weekdays run from 0 (Monday) to 6, not {weekday!r}.",
    P.HOURS_UNREADABLE: "{day}: write hours like 09:00-17:00, not {text!r}.",
    P.HOURS_NOT_A_TIME: "{day}: {text!r} is not a time of day.",
    P.HOURS_BACKWARDS: (
        "{day}: {text} ends before it starts; a span across midnight is written as two, "
        "one on each day."
    ),
    P.HOURS_TOO_MANY_SPANS: "{day}: at most {limit} spans.",
    P.HOURS_OVERLAP: "{day}: spans overlap at {at}.",
    P.HOURS_MISSING: "Give opening hours on at least one day, or choose 24/7.",
    P.HOLIDAY_UNREADABLE: "{text!r} is not a date written 2026-12-24.",
    P.HOLIDAYS_TOO_MANY: "At most {limit} holidays.",
    P.HOLIDAYS_WITHOUT_HOURS: "Holidays close business hours; a 24/7 policy has none.",
    P.REPORT_NOT_ALLOWED: "Your roles do not allow this ({action}).",
    P.RECEIPT_NOT_FOUND: "Webhook receipt not found.",
    P.RECEIPT_CHANNEL_GONE: "The receipt's channel no longer exists.",
    P.RECEIPT_NOT_FAILED: "Only a delivery whose storing failed can be processed again.",
    P.RECEIPT_BODY_CUT: (
        "The kept body cannot be read again (it was cut to 64 KiB); "
        "ask the network to send the delivery again."
    ),
    P.RECEIPT_FAILED_AGAIN: "Storing the delivery failed again ({error}); it stays failed.",
}

# The kind of each refusal; any not named here is bad input (INVALID).
_NOT_INVALID: dict[ErrorCode, tuple[InboxProblem, ...]] = {
    ErrorCode.NOT_FOUND: (
        P.CONVERSATION_NOT_FOUND,
        P.SAVED_FILTER_NOT_FOUND,
        P.RECEIPT_NOT_FOUND,
    ),
    ErrorCode.PERMISSION_DENIED: (
        P.SAVED_REPLIES_NOT_ALLOWED,
        P.SAVED_REPLY_NOT_YOURS,
        P.SAVED_FILTER_NO_INBOX,
        P.REPORT_NOT_ALLOWED,
    ),
    ErrorCode.CONFLICT: (
        P.NOTHING_TO_REPLY_TO,
        P.NETWORK_REFUSED_REPLY,
        P.REPLY_COLLISION,
        P.SNOOZE_CLOSED,
        P.ALREADY_CLOSED,
        P.RULE_ALREADY_AT_END,
        P.POLICY_SAME_CONDITIONS,
        P.RECEIPT_CHANNEL_GONE,
        P.RECEIPT_NOT_FAILED,
        P.RECEIPT_BODY_CUT,
        P.RECEIPT_FAILED_AGAIN,
    ),
}
KINDS: dict[InboxProblem, ErrorCode] = {problem: ErrorCode.INVALID for problem in InboxProblem}
KINDS |= {problem: kind for kind, problems in _NOT_INVALID.items() for problem in problems}


class InboxError(ApplicationError):
    """An inbox refusal: `problem` names it; `code` is its kind, which sets the status."""

    def __init__(self, problem: InboxProblem, *, field: str | None = None, **values: object):
        super().__init__(KINDS[problem], message_of(MESSAGES, problem, **values), field=field)
        self.problem = problem
