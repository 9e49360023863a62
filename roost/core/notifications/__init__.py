"""The one way Roost tells people something: `notify`.

It keeps an in-app notification for each recipient (in the caller's transaction) and
hands the message to every other declared delivery channel (e-mail here; on-call paging
adds its own) once that transaction commits. Recipients outside the organisation and
inactive people are dropped, so a caller cannot tell a stranger anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db import models

    from roost.core.models import Organization, User


def notify(
    *,
    organization: Organization,
    recipients: Sequence[User],
    subject: str,
    body: str,
    url: str = "",
    urgency: str = "normal",
    source: models.Model | None = None,
) -> int:
    """Tell the recipients, in the app and on every delivery channel; answers how many
    people were told. Call inside the transaction of the change being notified about."""
    # Imported here: the package is imported before the app registry is ready.
    from roost.core.notifications.delivery import notify_now

    return notify_now(
        organization=organization,
        recipients=recipients,
        subject=subject,
        body=body,
        url=url,
        urgency=urgency,
        source=source,
    )
