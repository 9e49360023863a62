"""What Meta's Graph API errors mean, for the Facebook, Instagram and Threads connectors.

Meta answers every failure with `{"error": {"message", "type", "code",
"error_subcode", "is_transient", "error_user_msg", "fbtrace_id"}}`, often with
HTTP 400 whatever the cause, so the code decides (Graph API reference, "Handling
errors"; Instagram Platform, "Error codes"):

- 190 (and 102): the token is invalid: expired (subcode 463) or revoked
  (458 app removed, 459 checkpoint, 460 password changed, 464, 467);
- 10 and 200-299: a permission is missing: the owner must connect again with it;
- 4, 17, 32, 613, 80001-80014 and 9: a rate limit; the wait comes from the
  `X-Business-Use-Case-Usage` header (`estimated_time_to_regain_access`, in
  minutes) where Meta sends it;
- 1, 2, -1, -2 (Instagram's "server error, try again") or `is_transient`: try again
  later;
- 10 with subcode 2018278 is a reply sent after the 24-hour messaging window: that
  message is refused, the token is fine;
- anything else: the request itself was refused, with Meta's words for it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from roost.channels.connectors.base import (
    AppCredentials,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    PermanentError,
    RateLimited,
    RefreshedTokens,
    TransientError,
)
from roost.channels.connectors.http import MESSAGE_LIMIT, NetworkHttp, json_body

GRAPH_VERSION = "v24.0"
# The push scope of a Facebook Page: its subscription to the app's webhooks serves the
# Page's Facebook channels and the Instagram account linked to it alike.
META_PAGE_SCOPE = "meta-page:"
TOKEN_INVALID = {102, 190}
TOKEN_EXPIRED_SUBCODE = 463
PERMISSION = {10, *range(200, 300)}
RATE_LIMITED = {4, 9, 17, 32, 613, *range(80001, 80015)}
TRANSIENT = {1, 2, -1, -2}
# Code 10 with this subcode: a message outside the 24-hour window for replies, a refusal
# of this one message, not of the token.
OUTSIDE_MESSAGING_WINDOW = 2018278
# Without a named wait: a day for a daily publishing cap, a quarter of an hour otherwise.
DAILY_CAP_SUBCODES = {2207042}
DEFAULT_WAIT_S = 900.0
DAILY_WAIT_S = 3600.0


def graph_error_fields(response: httpx.Response) -> dict[str, Any] | None:
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def regain_access_seconds(response: httpx.Response) -> float | None:
    """The longest `estimated_time_to_regain_access` (minutes) in the usage header."""
    raw = response.headers.get("x-business-use-case-usage", "")
    try:
        usage = json.loads(raw) if raw else {}
    except ValueError:
        return None
    minutes = [
        _int(entry.get("estimated_time_to_regain_access"))
        for entries in (usage.values() if isinstance(usage, dict) else [])
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    known = [m for m in minutes if m is not None]
    return max(known) * 60.0 if known and max(known) > 0 else None


def graph_error(response: httpx.Response, *, network: str) -> ConnectorError | None:
    """The typed error a Graph API answer means; None when it is not a Graph error body."""
    error = graph_error_fields(response)
    if error is None:
        return None
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    said = str(error.get("error_user_msg") or error.get("message") or "")[:MESSAGE_LIMIT]
    if code in TOKEN_INVALID:
        if subcode == TOKEN_EXPIRED_SUBCODE:
            return CredentialExpired(f"The {network} token expired: {said}")
        return CredentialRevoked(f"{network} no longer accepts the token: {said}")
    if code == 10 and subcode == OUTSIDE_MESSAGING_WINDOW:
        return PermanentError(f"{network} refused the message: {said}", network_message=said)
    if code in PERMISSION:
        return CredentialRevoked(f"{network} withholds a permission Roost needs: {said}")
    if code in RATE_LIMITED or response.status_code == 429:
        wait = regain_access_seconds(response)
        if wait is None:
            wait = DAILY_WAIT_S if subcode in DAILY_CAP_SUBCODES else DEFAULT_WAIT_S
        return RateLimited(f"{network} asks Roost to slow down: {said}", retry_after=wait)
    if code in TRANSIENT or error.get("is_transient") is True or response.status_code >= 500:
        return TransientError(f"{network} failed for now: {said}")
    return PermanentError(f"{network} refused the request: {said}", network_message=said)


def long_lived_user_token(
    *, access_token: str, app: AppCredentials, http: NetworkHttp
) -> RefreshedTokens:
    """A Facebook Login user token exchanged for a long-lived one (`fb_exchange_token`,
    Facebook Login, "Long-Lived Access Tokens"), by `http` (a client without a token).

    Meta documents a GET with these as query parameters; the Graph API takes them as a
    form too, which keeps the app secret and the token out of every logged address."""
    body = http.json(
        "POST",
        f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
        data={
            "grant_type": "fb_exchange_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "fb_exchange_token": access_token,
        },
    )
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TransientError("Facebook answered the token exchange without a token.")
    expires_in = body.get("expires_in")
    return RefreshedTokens(
        access_token=token,
        expires_in=int(expires_in) if isinstance(expires_in, int | float) else None,
    )


def remove_page_subscription(http: NetworkHttp, graph: str, page_id: str, *, network: str) -> bool:
    """Remove the app's subscription to a Page's webhooks (`DELETE
    /{page-id}/subscribed_apps` with the Page token, Graph API reference "Page Subscribed
    Apps", Deleting: answers `{"success": true}`). A Page the Graph API no longer knows
    (404, `remove` answers None) has nothing left to remove."""
    answer = http.remove(f"{graph}/{page_id}/subscribed_apps")
    if answer is None:
        return True
    body = json_body(answer)
    if isinstance(body, dict) and body.get("success") is False:
        raise PermanentError(f"{network} did not remove the Page's webhook subscription.")
    return True
