"""OAuth 2 authorization code flow with PKCE (RFC 6749, RFC 7636), for any network.

A connect view calls `oauth_start` and redirects the person to the URL it
returns; the network sends them back to the redirect URI, whose view calls
`oauth_finish` with the query parameters and gets a `TokenSet` to seal in the
vault (`TokenSet.to_secret`). `oauth_refresh` renews an expiring access token,
and `refresh_due` says when. The flow's state and PKCE verifier wait in the
person's session under one entry per flow, so two connections started in two
tabs do not overwrite each other; each is used once and lasts `FLOW_LIFETIME`.

`mastodon_app_register` registers Roost as a client application on a
Mastodon instance, which every instance requires before its first sign-in.

Nothing here reads or writes Roost's database, and no token or client secret
appears in an error message or a log line.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlencode, urlsplit

import requests
from django.utils import timezone
from mastodon import Mastodon
from mastodon.errors import MastodonError

from roost.channels.connectors.base import AppCredentials, OAuthSpec
from roost.channels.connectors.http import endpoint
from roost.channels.connectors.mastodon import instance_base_url
from roost.channels.destinations import guarded_session, neutral_message
from roost.core.errors import DomainError, message_of

logger = logging.getLogger(__name__)

HTTP_TIMEOUT = 15.0
FLOW_LIFETIME = dt.timedelta(minutes=15)
REFRESH_MARGIN = dt.timedelta(minutes=10)
SESSION_KEY = "roost.oauth.flows"
MAX_PENDING_FLOWS = 10
MASTODON_SCOPES: tuple[str, ...] = ("read", "write")
CLIENT_NAME = "Roost"


class OAuthErrorCode(enum.StrEnum):
    """Why a flow failed; tests and views match on these."""

    STATE_MISSING = "state_missing"
    STATE_MISMATCH = "state_mismatch"
    STATE_EXPIRED = "state_expired"
    DENIED = "denied"
    CODE_MISSING = "code_missing"
    TOKEN_REFUSED = "token_refused"
    INVALID_RESPONSE = "invalid_response"
    UNAVAILABLE = "unavailable"
    INSTANCE_INVALID = "instance_invalid"
    REGISTRATION_REFUSED = "registration_refused"


# What people read, by code. A code that covers more than one situation names the
# part that differs as a placeholder, filled from the phrases below the table.
MESSAGES: dict[OAuthErrorCode, str] = {
    OAuthErrorCode.STATE_MISSING: (
        "The network's answer carries no state, so it cannot be matched to a "
        "connection started here. Start connecting the account again."
    ),
    OAuthErrorCode.STATE_MISMATCH: "The network's answer {mismatch}",
    OAuthErrorCode.STATE_EXPIRED: (
        "The connection was started more than {minutes} minutes ago. "
        "Start connecting the account again."
    ),
    OAuthErrorCode.DENIED: "The network did not grant access: {description}",
    OAuthErrorCode.CODE_MISSING: "The network's answer carries no code.",
    OAuthErrorCode.TOKEN_REFUSED: "The token endpoint refused the {grant} grant ({status}){said}",
    OAuthErrorCode.INVALID_RESPONSE: "The token endpoint {problem}",
    OAuthErrorCode.UNAVAILABLE: "{unavailable}",
    OAuthErrorCode.INSTANCE_INVALID: "{reason}",
    OAuthErrorCode.REGISTRATION_REFUSED: "{refusal}",
}
NOT_STARTED_HERE = (
    "does not match a connection started in this browser (or it was already used). "
    "Start connecting the account again."
)
STARTED_BY_ANOTHER_CLIENT = "belongs to a connection started with another application."
NO_ACCESS_TOKEN = "answered without an access token."
NOT_BEARER = "issued a {token_type!r} token; only bearer tokens are used."
TOKEN_ENDPOINT_BUSY = "The token endpoint answered {status}; try again later."
REGISTRATION_REFUSED = "{base_url} refused to register Roost ({status}): {error}"


class OAuthError(DomainError):
    """A flow, exchange, refresh or registration failed; `retryable` when trying later may work."""

    code: OAuthErrorCode

    def __init__(self, code: OAuthErrorCode, *, retryable: bool = False, **values: object) -> None:
        super().__init__(code, message_of(MESSAGES, code, **values))
        self.retryable = retryable


class SessionStore(Protocol):
    """What the flow needs of a session: a Django session or a plain dict both fit."""

    def get(self, key: str, default: Any = None, /) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...


@dataclass(frozen=True)
class OAuthClient:
    """One application registered with one authorization server."""

    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    redirect_uri: str = ""
    scopes: tuple[str, ...] = ()
    # How the client authenticates at the token endpoint: form fields
    # (`client_secret_post`) or HTTP Basic (`client_secret_basic`).
    client_auth: Literal["post", "basic"] = "post"
    # Whether the flow sends an S256 code challenge (RFC 7636).
    pkce: bool = True
    # The parameter that carries the client id (TikTok's is `client_key`).
    client_id_param: str = "client_id"
    scope_separator: str = " "
    authorize_params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: dt.datetime | None = None
    scope: str = ""

    def to_secret(self) -> str:
        """The form the vault stores (`CredentialKind.OAUTH`)."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "scope": self.scope,
            }
        )

    @classmethod
    def from_secret(cls, secret: str) -> TokenSet:
        """Read what `to_secret` wrote; a bare token string is an access token alone."""
        if not secret.lstrip().startswith("{"):
            return cls(access_token=secret.strip())
        data = json.loads(secret)
        expires_at = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=dt.datetime.fromisoformat(expires_at) if expires_at else None,
            scope=data.get("scope") or "",
        )


def oauth_client_for(spec: OAuthSpec, app: AppCredentials) -> OAuthClient:
    """The client for a connector's flow (`Connector.oauth`) with an organisation's app."""
    return OAuthClient(
        authorize_url=endpoint(spec.authorize_url),
        token_url=endpoint(spec.token_url),
        client_id=app.client_id,
        client_secret=app.client_secret,
        redirect_uri=app.redirect_uri,
        scopes=spec.scopes,
        client_auth="basic" if spec.client_auth == "basic" else "post",
        pkce=spec.pkce,
        client_id_param=spec.client_id_param,
        scope_separator=spec.scope_separator,
        authorize_params=spec.authorize_params,
    )


# PKCE (RFC 7636).


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """A fresh (verifier, S256 challenge); the verifier is 86 characters of 64 random bytes."""
    verifier = secrets.token_urlsafe(64)
    return verifier, pkce_challenge(verifier)


# The flow.


def _pending_flows(session: SessionStore, now: dt.datetime) -> dict[str, dict[str, Any]]:
    """The session's unexpired flows, by state (a copy: write it back to keep changes)."""
    stored = session.get(SESSION_KEY, {})
    flows: dict[str, dict[str, Any]] = {}
    if isinstance(stored, dict):
        for state, flow in stored.items():
            started = _parse_time(flow.get("started_at")) if isinstance(flow, dict) else None
            if started is not None and now - started < FLOW_LIFETIME:
                flows[state] = flow
    return flows


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def oauth_start(
    *,
    client: OAuthClient,
    session: SessionStore,
    extra_params: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Begin a flow: keep a new state and PKCE verifier in `session`, return the authorize URL.

    `extra_params` go into the authorize URL as they are (Mastodon's
    `force_login`, for instance). The session keeps at most
    `MAX_PENDING_FLOWS` flows; the oldest gives way.
    """
    now = now or timezone.now()
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair() if client.pkce else ("", "")
    flows = _pending_flows(session, now)
    while len(flows) >= MAX_PENDING_FLOWS:
        oldest = min(flows, key=lambda key: str(flows[key].get("started_at")))
        del flows[oldest]
    flows[state] = {
        "verifier": verifier,
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "started_at": now.isoformat(),
    }
    session[SESSION_KEY] = flows  # assigned, not mutated: a Django session saves on assignment
    query = {
        "response_type": "code",
        client.client_id_param: client.client_id,
        "redirect_uri": client.redirect_uri,
        "state": state,
    }
    if client.pkce:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    if client.scopes:
        query["scope"] = client.scope_separator.join(client.scopes)
    query.update(dict(client.authorize_params))
    query.update(extra_params or {})
    separator = "&" if urlsplit(client.authorize_url).query else "?"
    return f"{client.authorize_url}{separator}{urlencode(query)}"


def oauth_finish(
    *,
    client: OAuthClient,
    session: SessionStore,
    params: Mapping[str, str],
    now: dt.datetime | None = None,
) -> TokenSet:
    """End a flow: check the returned state, then exchange the code for tokens.

    `params` are the query parameters the network redirected back with. The
    flow is used up whatever the outcome, so a replayed redirect is refused.
    Raises `OAuthError`.
    """
    now = now or timezone.now()
    state = params.get("state") or ""
    if not state:
        raise OAuthError(OAuthErrorCode.STATE_MISSING)
    stored = session.get(SESSION_KEY, {})
    flow = stored.get(state) if isinstance(stored, dict) else None
    flows = _pending_flows(session, now)
    live = flows.pop(state, None)
    session[SESSION_KEY] = flows
    if flow is None:
        raise OAuthError(OAuthErrorCode.STATE_MISMATCH, mismatch=NOT_STARTED_HERE)
    if live is None:
        raise OAuthError(OAuthErrorCode.STATE_EXPIRED, minutes=FLOW_LIFETIME.seconds // 60)
    if flow.get("client_id") != client.client_id or flow.get("redirect_uri") != (
        client.redirect_uri
    ):
        raise OAuthError(OAuthErrorCode.STATE_MISMATCH, mismatch=STARTED_BY_ANOTHER_CLIENT)
    if params.get("error"):
        description = params.get("error_description") or params["error"]
        raise OAuthError(OAuthErrorCode.DENIED, description=description)
    code = params.get("code") or ""
    if not code:
        raise OAuthError(OAuthErrorCode.CODE_MISSING)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    if flow.get("verifier"):
        form["code_verifier"] = str(flow["verifier"])
    return _token_request(client, form, now=now)


def oauth_refresh(
    *, client: OAuthClient, refresh_token: str, now: dt.datetime | None = None
) -> TokenSet:
    """A new access token for a refresh token (RFC 6749 section 6).

    When the answer has no new refresh token the old one stays valid and is
    kept. Raises `OAuthError`; `TOKEN_REFUSED` means the owner must reconnect.
    """
    tokens = _token_request(
        client,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        now=now or timezone.now(),
    )
    if tokens.refresh_token:
        return tokens
    return TokenSet(
        access_token=tokens.access_token,
        refresh_token=refresh_token,
        expires_at=tokens.expires_at,
        scope=tokens.scope,
    )


def refresh_due(expires_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether to refresh now: less than `REFRESH_MARGIN` left. No expiry, no refresh."""
    return expires_at is not None and expires_at - now < REFRESH_MARGIN


def _token_request(client: OAuthClient, form: dict[str, str], *, now: dt.datetime) -> TokenSet:
    data = {**form, client.client_id_param: client.client_id}
    auth: tuple[str, str] | None = None
    if client.client_secret and client.client_auth == "basic":
        auth = (client.client_id, client.client_secret)
    elif client.client_secret:
        data["client_secret"] = client.client_secret
    grant = form["grant_type"]
    try:
        with guarded_session() as http:
            response = http.post(
                client.token_url,
                data=data,
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=HTTP_TIMEOUT,
            )
    except requests.RequestException:
        raise OAuthError(
            OAuthErrorCode.UNAVAILABLE,
            unavailable=neutral_message(urlsplit(client.token_url).hostname or client.token_url),
            retryable=True,
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500 or response.status_code == 429:
        raise OAuthError(
            OAuthErrorCode.UNAVAILABLE,
            unavailable=TOKEN_ENDPOINT_BUSY.format(status=response.status_code),
            retryable=True,
        )
    if response.status_code >= 400:
        said = ""
        if isinstance(body, dict) and body.get("error"):
            said = f": {body['error']}"
            if body.get("error_description"):
                said += f" ({body['error_description']})"
        logger.info("Token endpoint refused a %s grant with %s", grant, response.status_code)
        raise OAuthError(
            OAuthErrorCode.TOKEN_REFUSED, grant=grant, status=response.status_code, said=said
        )
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise OAuthError(OAuthErrorCode.INVALID_RESPONSE, problem=NO_ACCESS_TOKEN)
    token_type = str(body.get("token_type") or "bearer")
    if token_type.lower() != "bearer":
        raise OAuthError(
            OAuthErrorCode.INVALID_RESPONSE, problem=NOT_BEARER.format(token_type=token_type)
        )
    expires_at = None
    expires_in = body.get("expires_in")
    if isinstance(expires_in, str) and expires_in.isdigit():
        expires_in = int(expires_in)
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = now + dt.timedelta(seconds=int(expires_in))
    refresh_token = body.get("refresh_token")
    return TokenSet(
        access_token=body["access_token"],
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        expires_at=expires_at,
        # Absent scope means the requested scope was granted (RFC 6749 section 5.1).
        scope=str(body.get("scope") or client.scope_separator.join(client.scopes)),
    )


# Mastodon.


def mastodon_app_register(
    *, instance_url: str, redirect_uri: str, website: str | None = None
) -> OAuthClient:
    """Register Roost on a Mastodon instance (POST /api/v1/apps) for `read write`.

    `instance_url` may be a domain, a URL or a handle. The answer's client
    secret belongs in the vault or an encrypted field, never in a log. Raises
    `OAuthError`.
    """
    try:
        base_url = instance_base_url(instance_url)
    except ValueError as error:
        raise OAuthError(OAuthErrorCode.INSTANCE_INVALID, reason=str(error)) from None
    # Mastodon.py reads the answer without looking at its status; keep the last
    # response to tell a refusal from an outage.
    answers: list[requests.Response] = []
    http = guarded_session()
    http.hooks["response"].append(lambda response, *args, **kwargs: answers.append(response))
    try:
        client_id, client_secret = Mastodon.create_app(
            CLIENT_NAME,
            scopes=list(MASTODON_SCOPES),
            redirect_uris=redirect_uri,
            website=website,
            api_base_url=base_url,
            request_timeout=HTTP_TIMEOUT,
            session=http,
        )
    except (MastodonError, KeyError, TypeError):
        raise _registration_error(base_url, answers[-1] if answers else None) from None
    finally:
        http.close()
    return OAuthClient(
        authorize_url=f"{base_url}/oauth/authorize",
        token_url=f"{base_url}/oauth/token",
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        scopes=MASTODON_SCOPES,
    )


def _registration_error(base_url: str, response: requests.Response | None) -> OAuthError:
    # Whatever is not a Mastodon instance's own refusal reads the same (no answer, a
    # refused address, an outage, something else listening), so the message does
    # not tell which hosts and ports exist.
    host = urlsplit(base_url).hostname or base_url
    if response is None or response.status_code >= 500 or response.status_code == 429:
        return OAuthError(
            OAuthErrorCode.UNAVAILABLE, unavailable=neutral_message(host), retryable=True
        )
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if status >= 400 and isinstance(body, dict) and isinstance(body.get("error"), str):
        return OAuthError(
            OAuthErrorCode.REGISTRATION_REFUSED,
            refusal=REGISTRATION_REFUSED.format(
                base_url=base_url, status=status, error=body["error"]
            ),
        )
    return OAuthError(OAuthErrorCode.REGISTRATION_REFUSED, refusal=neutral_message(host))
