"""The inbox's refusals: a code for each, its message kept apart, its kind setting the status."""

from __future__ import annotations

import string

import pytest

from roost.core.errors import ApplicationError, ErrorCode
from roost.inbox.errors import KINDS, MESSAGES, InboxError, InboxProblem
from roost.inbox.routing.rules import (
    MoveDirection,
    RoutingRuleSpec,
    routing_rule_create,
    routing_rule_move,
)
from roost.inbox.saved_filters import saved_filter_create


def test_every_refusal_has_a_message_and_a_kind():
    assert set(MESSAGES) == set(InboxProblem) == set(KINDS)
    for problem, message in MESSAGES.items():
        names = {name for _, name, _, _ in string.Formatter().parse(message) if name}
        refused = InboxError(problem, **dict.fromkeys(names, "x"))
        assert isinstance(refused, ApplicationError)
        assert refused.problem is problem and refused.code is KINDS[problem]


@pytest.mark.django_db
def test_a_refusal_names_its_problem_its_kind_and_the_field(admin):
    with pytest.raises(InboxError) as refused:
        saved_filter_create(actor=admin, name="  ", query={})
    assert (refused.value.problem, refused.value.code, refused.value.field) == (
        InboxProblem.SAVED_FILTER_NAME_MISSING,
        ErrorCode.INVALID,
        "name",
    )
    assert (refused.value.message, refused.value.status) == ("Give the filter a name.", 422)

    rule = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Only rule"))
    with pytest.raises(InboxError) as at_end:
        routing_rule_move(actor=admin, rule=rule, direction=MoveDirection.DOWN)
    assert (at_end.value.problem, at_end.value.status) == (InboxProblem.RULE_ALREADY_AT_END, 409)
    assert at_end.value.message == "This rule is already last."
