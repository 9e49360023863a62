"""Handing one notification of a page to one person: in the app, and on each of their
contact methods that takes the page's urgency."""

from __future__ import annotations

from roost.core.models import Organization, User
from roost.core.notifications.channels import Message, in_app_deliver
from roost.core.notifications.contact import person_notify
from roost.oncall.models import Page


def page_person_tell(
    *, organization: Organization, person: User, subject: str, body: str, url: str, page: Page
) -> list[int]:
    """Tell one person about the page (inside the step's transaction; sending starts
    after it commits). Answers the ids of the deliveries made for it."""
    in_app_deliver(
        message=Message(
            organization_id=organization.pk,
            recipient_ids=(person.pk,),
            subject=subject[:300],
            body=body,
            url=url,
            urgency=page.urgency,
            source_type=page._meta.label_lower,
            source_id=str(page.pk),
        ),
        recipients=[person],
    )
    deliveries = person_notify(
        organization=organization,
        person=person,
        subject=subject,
        body=body,
        url=url,
        urgency=page.urgency,
        source=page,
    )
    return [delivery.pk for delivery in deliveries]
