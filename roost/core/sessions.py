"""Ending a person's access: their browser sessions everywhere, and the account itself.

A deactivated person is refused by every door on its own (the authentication backend
answers no user for an inactive account, so a session cookie stops working; an API
token of an inactive person is refused). Ending the sessions as well removes what the
server still holds for them, and says in the audit log how many there were.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from roost.core import audit, locks
from roost.core.actors import Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_same_organization

DEACTIVATED_MESSAGE = (
    "This account has been deactivated. Ask an admin of your organisation if you need access."
)
# Engines whose sessions live in the `Session` table, where they can be found by person.
_STORED_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


def _session_keys_of(user: User) -> list[str]:
    """The keys of the person's live stored sessions. Sessions are stored encoded, so
    every live one is read: a rare, deliberate action (offboarding) pays for that."""
    wanted = str(user.pk)
    keys = []
    live = Session.objects.filter(expire_date__gt=timezone.now()).order_by("pk")
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get(SESSION_KEY, "")) == wanted:
            keys.append(session.session_key)
    return keys


def sessions_end_for_person(*, actor: Actor, user: User) -> int:
    """End every browser session of `user`, on every device; answers how many.

    Only an admin (or Roost) may sign someone else out everywhere."""
    require_same_organization(actor, user, noun="Person")
    require(actor, Action.USER_DEACTIVATE)
    ended = 0
    if settings.SESSION_ENGINE in _STORED_ENGINES:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in _session_keys_of(user):
            store(session_key=key).delete()
            ended += 1
    with transaction.atomic():
        audit.record(
            organization=user.organization,
            actor=actor,
            action="core.user.sessions_ended",
            target=user,
            after={"sessions_ended": ended},
        )
    return ended


def user_deactivate(*, actor: Actor, user: User) -> bool:
    """Close the account: sign-in is refused, with `DEACTIVATED_MESSAGE`, and every
    session and token of the person stops working. Nothing of theirs is deleted.
    Answers False when the account was closed already (a repeated call changes nothing).

    Nobody closes their own account this way."""
    require_same_organization(actor, user, noun="Person")
    require(actor, Action.USER_DEACTIVATE)
    if isinstance(actor, User) and actor.pk == user.pk:
        raise ApplicationError(ErrorCode.INVALID, "You cannot deactivate your own account.")
    with transaction.atomic():
        locked = locks.user_locked(user.pk)
        if locked is None:
            raise ApplicationError(ErrorCode.NOT_FOUND, "Person not found.")
        if not locked.is_active:
            user.is_active = False
            return False
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit.record(
            organization=user.organization,
            actor=actor,
            action="core.user.deactivated",
            target=locked,
            before={"is_active": True},
            after={"is_active": False},
        )
    user.is_active = False
    return True


def signin_refused_as_deactivated(*, email: str, password: str) -> bool:
    """Whether these are the right e-mail and password of a deactivated account, so the
    person can be told why they cannot sign in (a wrong password learns nothing)."""
    user = User.objects.filter(email=email.strip().lower(), is_active=False).first()
    return user is not None and user.check_password(password)
