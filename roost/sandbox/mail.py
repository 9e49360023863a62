"""The demo's mail server: Roost's outgoing e-mail kept in the sandbox, and read back.

`roost demo` has no real mailbox to send to, so it selects `SandboxMailBackend`
(`ROOST_EMAIL_URL=sandbox://`): each message is kept, once per recipient, in the
sandbox's own database, and the Mail page shows a person what was sent to them. Like
the rest of the sandbox it stands for another company's servers: it is written in its
own transaction (the sandbox database's), as a real server accepts a message whatever
Roost does next, and it is read under Roost's tenancy, a person's own mail and, for an
admin, all of their organisation's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.db.models import QuerySet
from django.http import Http404
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from roost.core.models import User
from roost.core.permissions import is_admin
from roost.sandbox.models import SandboxMail

MAILBOX_LIMIT = 200

# A link in a mail's text: an http(s) address, or a path on this site standing alone
# (a notification's link when no base address is configured). Trailing punctuation
# belongs to the sentence, not the link.
_LINK = re.compile(r"(https?://[^\s<>\"']+|(?<![^\s(])/[^\s<>\"']*)")
_TRAILING = ".,;:!?)'\""


class SandboxMailBackend(BaseEmailBackend):
    """Keeps every message in the sandbox's mailbox instead of sending it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        kept = 0
        for message in email_messages:
            try:
                mail_keep(message=message)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            kept += 1
        return kept


def mail_keep(*, message: EmailMessage) -> list[SandboxMail]:
    """Keep one message: a row per recipient (To, Cc and Bcc), with that recipient's
    organisation when the address is a person's in Roost."""
    recipients = [address.strip() for address in message.recipients() if address.strip()]
    if not recipients:
        return []
    owners = dict(
        User.objects.filter(email__in=[r.lower() for r in recipients]).values_list(
            "email", "organization_id"
        )
    )
    headers = message.extra_headers or {}
    rows = [
        SandboxMail(
            organization_id=owners.get(recipient.lower()),
            recipient=recipient.lower(),
            sender=str(message.from_email or ""),
            to=", ".join(message.to),
            subject=str(message.subject or ""),
            body=str(message.body or ""),
            message_id=str(headers.get("Message-ID", "")),
        )
        for recipient in recipients
    ]
    return SandboxMail.objects.bulk_create(rows)


def _mailbox(viewer: User, *, everyone: bool) -> QuerySet[SandboxMail]:
    mails = SandboxMail.objects.filter(organization_id=viewer.organization_id)
    if everyone and is_admin(viewer):
        return mails
    return mails.filter(recipient=viewer.email.lower())


def mail_may_see_all(viewer: User) -> bool:
    """Admins may read all of their organisation's mail, the others their own."""
    return is_admin(viewer)


def mail_list(*, viewer: User, everyone: bool = False) -> list[SandboxMail]:
    """The newest mail sent to the viewer; with `everyone`, to anyone of the viewer's
    organisation if they are an admin (their own otherwise)."""
    return list(_mailbox(viewer, everyone=everyone)[:MAILBOX_LIMIT])


def mail_get(*, viewer: User, mail_id: int) -> SandboxMail:
    """One mail the viewer may read; any other is not found."""
    mail = _mailbox(viewer, everyone=True).filter(pk=mail_id).first()
    if mail is None:
        raise Http404("No such mail.")
    return mail


def mail_linked(text: str) -> SafeString:
    """The mail's text, escaped, with its links made clickable."""
    parts: list[str] = []
    position = 0
    for found in _LINK.finditer(text):
        link = found.group(0).rstrip(_TRAILING)
        if link in {"", "/"}:
            continue
        parts.append(escape(text[position : found.start()]))
        parts.append(format_html('<a href="{}">{}</a>', link, link))
        position = found.start() + len(link)
    parts.append(escape(text[position:]))
    # Every piece was escaped above: the text, and the links by format_html.
    return mark_safe("".join(parts))
