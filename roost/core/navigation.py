"""The areas of the product, in navigation order, and who may open which page.

A page that not everyone may open declares it once, on its view, with `page_access`:
the view refuses everyone else before it runs, and every menu asks `page_allowed`
before it links to the page. The one check decides both, so a menu never offers a page
that would answer 403, and a page never hides from someone it would serve.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import resolve, reverse

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, can_somewhere

PageCheck = Callable[[User], bool]
View = TypeVar("View", bound=Callable[..., HttpResponseBase])
PAGE_REFUSED = "Your roles do not allow this page."


def page_access(who: Action | PageCheck) -> Callable[[View], View]:
    """Declare who may open the page: whoever may take `who` (an action of the policy)
    somewhere, or whom `who` (the service's own check) allows.

    Put it below `login_required`: the view answers 403 to anyone else, and menus link
    to the page only for those it allows (`page_allowed`)."""
    check: PageCheck = functools.partial(_may_take, who) if isinstance(who, Action) else who

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if isinstance(user, User) and not check(user):
                raise ApplicationError(ErrorCode.PERMISSION_DENIED, PAGE_REFUSED)
            return view(request, *args, **kwargs)

        guarded.page_check = check  # type: ignore[attr-defined]
        return cast(View, guarded)

    return decorate


def _may_take(action: Action, user: User) -> bool:
    return can_somewhere(user, action)


@functools.lru_cache(maxsize=512)
def _page_check(url_name: str, args: tuple[Any, ...]) -> PageCheck | None:
    # `functools.wraps` carries the attribute out through `login_required` and the like.
    return getattr(resolve(reverse(url_name, args=args)).func, "page_check", None)


def page_allowed(user: User, url_name: str, *args: Any) -> bool:
    """Whether the page named `url_name` opens for the person (by its `page_access`)."""
    check = _page_check(url_name, args)
    return check is None or check(user)


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    url_name: str
    summary: str
    built: bool


AREAS: tuple[Area, ...] = (
    Area("today", "Today", "core:today", "Your organisation, your role and what needs you.", True),
    Area(
        "publish",
        "Publish",
        "publishing:index",
        "Compose, tailor per network, approve and schedule posts.",
        True,
    ),
    Area(
        "calendar",
        "Calendar",
        "publishing:calendar",
        "Everything scheduled and published, by month, week or list.",
        True,
    ),
    Area(
        "inbox",
        "Inbox",
        "inbox:split",
        "Comments, mentions and messages from every channel, within the SLA.",
        True,
    ),
    Area(
        "crisis",
        "Listening & Crisis",
        "crisis:home",
        "Monitors, spike alerts, incidents and crisis mode.",
        True,
    ),
    Area(
        "oncall",
        "On call",
        "oncall:home",
        "Rotations, escalation policies and pages, around the clock.",
        True,
    ),
    Area(
        "analytics",
        "Analytics",
        "analytics:overview",
        "Post, channel and team metrics with reports in plain words.",
        True,
    ),
    Area(
        "team",
        "Team",
        "core:team",
        "People, roles per channel group, teams, brands and regions.",
        True,
    ),
    Area(
        "governance",
        "Governance",
        "governance:home",
        "Access, leavers, access reviews, risks and the audit log.",
        True,
    ),
    Area(
        "knowledge",
        "Knowledge",
        "core:area_knowledge",
        "Guidelines, brand voice, training and crisis plans.",
        False,
    ),
    Area(
        "settings",
        "Settings",
        "core:settings",
        "Your profile, two-factor sign-in, API tokens and the platform catalogue.",
        True,
    ),
)

AREAS_BY_KEY = {area.key: area for area in AREAS}


def areas_for(user: User) -> list[Area]:
    """The areas whose page opens for the person, in navigation order."""
    return [area for area in AREAS if page_allowed(user, area.url_name)]
