"""The answer to an address that names nothing: the API's clients read problem+json there too."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found

from roost.core.problem_json import problem

API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem(request, status=404, code="not_found", detail="There is no such resource.")
    return page_not_found(request, exception)
