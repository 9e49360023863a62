"""Handing one notification of a page to one person, through their contact methods."""

from __future__ import annotations

from roost.core.models import Organization, User
from roost.oncall.models import Page


def page_person_tell(
    *, organization: Organization, person: User, subject: str, body: str, url: str, page: Page
) -> list[int]:
    """Tell one person about the page (inside the step's transaction; sending happens
    after it commits). Answers the ids of the deliveries made for it."""
    try:
        from roost.core.notifications.contact import person_notify
    except ImportError:  # contact methods not installed: the plain notification path
        from roost.core.notifications import notify

        notify(
            organization=organization,
            recipients=[person],
            subject=subject,
            body=body,
            url=url,
            urgency=page.urgency,
            source=page,
        )
        return []
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
