"""What paging declares when Roost starts: its delivery channel, and its ear on deliveries."""

from __future__ import annotations

from roost.core.notifications.channels import channel_declare
from roost.core.notifications.contact import delivery_outcome_listen


def paging_ready() -> None:
    from roost.oncall.paging.engine import delivery_outcome
    from roost.oncall.paging.sources import CHANNEL_NAME, incident_page_deliver

    # In the incident's transaction: the page and the incident commit together.
    channel_declare(name=CHANNEL_NAME, deliver=incident_page_deliver, in_transaction=True)
    delivery_outcome_listen(delivery_outcome)
