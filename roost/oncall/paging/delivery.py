"""Handing the notifications of pages to people: in the app, and on each person's
contact methods that take the page's urgency."""

from __future__ import annotations

from dataclasses import dataclass

from roost.core.models import User
from roost.core.notifications.channels import Message, in_app_deliver_many
from roost.core.notifications.contact import PersonMessage, people_notify
from roost.oncall.models import Page


@dataclass(frozen=True)
class PageMessage:
    """One notification of a page to one person."""

    page: Page
    person: User
    subject: str
    body: str
    url: str


def pages_people_tell(*, messages: list[PageMessage]) -> list[list[int]]:
    """Tell each message's person about its page (inside the step's transaction;
    sending starts after it commits), in a few queries per organisation whatever the
    number of messages. Answers the ids of the deliveries made for each message."""
    in_app_deliver_many(
        items=[
            (
                Message(
                    organization_id=m.page.organization_id,
                    recipient_ids=(m.person.pk,),
                    subject=m.subject[:300],
                    body=m.body,
                    url=m.url,
                    urgency=m.page.urgency,
                    source_type=m.page._meta.label_lower,
                    source_id=str(m.page.pk),
                ),
                m.person,
            )
            for m in messages
        ]
    )
    answers: list[list[int]] = [[] for _ in messages]
    by_organization: dict[int, list[int]] = {}
    for index, m in enumerate(messages):
        by_organization.setdefault(m.page.organization_id, []).append(index)
    for indexes in by_organization.values():
        organization = messages[indexes[0]].page.organization
        told = people_notify(
            organization=organization,
            messages=[
                PersonMessage(
                    person=messages[i].person,
                    subject=messages[i].subject,
                    body=messages[i].body,
                    url=messages[i].url,
                    urgency=messages[i].page.urgency,
                    source=messages[i].page,
                )
                for i in indexes
            ],
        )
        for i, deliveries in zip(indexes, told, strict=True):
            answers[i] = [delivery.pk for delivery in deliveries]
    return answers
