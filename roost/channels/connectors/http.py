"""Calling a network's HTTP API: one client per connector, a typed error for every failure.

`NetworkHttp` sends each request with the channel's token and turns whatever goes
wrong into the shared errors of `roost.channels.connectors.base`, so dispatch, the
inbox and analytics treat every network alike:

- no connection (refused, unresolvable, timed out while connecting): `NotAccepted`,
  since the network cannot have acted;
- the connection dropped or timed out after the request went out, or a 5xx:
  `TransientError` (the outcome of a create is unknown: reconcile, never resend);
- 429: `RateLimited`, with the wait the answer names (`Retry-After`, or a reset
  time in the network's own header), else a minute;
- 401: `CredentialRevoked`; other 4xx: `PermanentError` with the network's message.

A connector passes `explain`, which reads its network's error body first (Meta's
error codes, say) and returns the error it means, or None for the rules above.

`endpoint` lets settings send a network's official address elsewhere:
`ROOST_NETWORK_ENDPOINTS = {"https://graph.facebook.com": "http://127.0.0.1:8001"}`
points the contract tests (or a company's egress proxy) at another server. No
token appears in an error message or a log line.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from roost.channels.connectors.base import (
    ConnectorError,
    CredentialRevoked,
    NotAccepted,
    PermanentError,
    RateLimited,
    TransientError,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_RETRY_AFTER = 60.0
# A network's message is cut to this many characters in Roost's errors.
MESSAGE_LIMIT = 500

Explain = Callable[[httpx.Response], ConnectorError | None]


def endpoint(url: str) -> str:
    """`url`, with its origin replaced where `ROOST_NETWORK_ENDPOINTS` says."""
    overrides: Mapping[str, str] = getattr(settings, "ROOST_NETWORK_ENDPOINTS", {}) or {}
    if not overrides:
        return url
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    target = overrides.get(origin)
    return url if target is None else target.rstrip("/") + url[len(origin) :]


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def network_message(response: httpx.Response) -> str:
    """The network's own words for a refusal, from the common shapes of error bodies."""
    body = json_body(response)
    found: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            found = error.get("error_user_msg") or error.get("message") or error.get("code")
        elif isinstance(error, str):
            found = body.get("error_description") or error
        found = found or body.get("message") or body.get("detail") or body.get("title")
        errors = body.get("errors")
        if not found and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            found = errors[0].get("message") or errors[0].get("detail")
    if not found:
        found = response.text.strip() or response.reason_phrase
    return str(found)[:MESSAGE_LIMIT]


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """The wait a 429 (or 503) names: `Retry-After` in seconds or as a date, or a reset
    time in epoch seconds (`x-rate-limit-reset`, `x-ratelimit-reset`). None: unnamed."""
    moment = time.time() if now is None else now
    value = response.headers.get("retry-after", "").strip()
    if value:
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return max(when.timestamp() - moment, 0.0)
    for name in ("x-rate-limit-reset", "x-ratelimit-reset"):
        reset = response.headers.get(name, "").strip()
        if reset.isdigit():
            seconds = float(reset)
            # Some networks give the moment of the reset, others the seconds until it.
            return max(seconds - moment, 0.0) if seconds > 1_000_000_000 else seconds
    return None


def error_for(
    response: httpx.Response, *, network: str, explain: Explain | None = None
) -> ConnectorError:
    """The typed error an unsuccessful answer means."""
    if explain is not None:
        explained = explain(response)
        if explained is not None:
            return explained
    status = response.status_code
    said = network_message(response)
    if status == 429:
        wait = retry_after_seconds(response)
        return RateLimited(
            f"{network} asks Roost to slow down: {said}",
            retry_after=DEFAULT_RETRY_AFTER if wait is None else wait,
        )
    if status == 401:
        return CredentialRevoked(f"{network} refused the credential: {said}")
    if status >= 500:
        return TransientError(f"{network} answered {status}: {said}")
    return PermanentError(f"{network} refused the request ({status}): {said}", network_message=said)


class NetworkHttp:
    """A connector's HTTP client: the token on every request, typed errors out."""

    def __init__(
        self,
        *,
        network: str,
        token: str | None = None,
        explain: Explain | None = None,
        token_scheme: str = "Bearer",  # noqa: S107 (the word before the token)
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.network = network
        self._explain = explain
        base_headers = {"User-Agent": "Roost", **(headers or {})}
        if token:
            base_headers["Authorization"] = f"{token_scheme} {token}"
        self._client = httpx.Client(
            headers=base_headers,
            timeout=timeout,
            transport=transport,
            trust_env=False,
            follow_redirects=False,
        )

    def __repr__(self) -> str:  # never show the token
        return f"<NetworkHttp {self.network}>"

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, endpoint(url), **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotAccepted(f"{self.network} could not be reached") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"{self.network} did not answer ({type(exc).__name__})") from exc

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request to `url` (passed through `endpoint`); a 2xx answer comes back,
        anything else is raised as its typed error. `kwargs` are httpx's (`params`,
        `json`, `data`, `files`, `content`, `headers`)."""
        response = self._request(method, url, **kwargs)
        if response.is_success:
            return response
        raise error_for(response, network=self.network, explain=self._explain)

    def remove(self, url: str, **kwargs: Any) -> httpx.Response | None:
        """`DELETE url`; None when the network answers 404: what is already gone counts
        as removed, so removing twice is fine. Other refusals are raised as by `send`."""
        response = self._request("DELETE", url, **kwargs)
        if response.status_code == 404:
            return None
        if response.is_success:
            return response
        raise error_for(response, network=self.network, explain=self._explain)

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """`send`, then the answer's JSON (a refusal when the network answered something else)."""
        response = self.send(method, url, **kwargs)
        if not response.content:
            return {}
        body = json_body(response)
        if body is None:
            raise TransientError(f"{self.network} answered with something that is not JSON")
        return body


def access_token_of(secret: str | None, *, network: str) -> str:
    """The access token in a channel's stored secret: the JSON the OAuth connect flow
    keeps (`{"access_token": ...}`), or a bare token."""
    text = (secret or "").strip()
    if text.startswith("{"):
        try:
            token = json.loads(text).get("access_token")
        except (ValueError, AttributeError):
            token = None
        text = token if isinstance(token, str) else ""
    if not text:
        raise CredentialRevoked(f"The {network} channel has no access token; connect it again.")
    return text
