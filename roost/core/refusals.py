"""A service's refusal, seen from a page that answers with a redirect and a message."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from roost.core.errors import ApplicationError, ErrorCode


def refusal_flash(request: HttpRequest, error: ApplicationError) -> None:
    """Show the refusal as a message on the page the view redirects to. A permission
    refusal is no message: it is raised again, so the page answers 403 (the error page)
    and no one, person or script, takes the redirect for success.

    Call inside the `except ApplicationError` block that caught `error`."""
    if error.code is ErrorCode.PERMISSION_DENIED:
        raise error
    messages.error(request, error.message)
