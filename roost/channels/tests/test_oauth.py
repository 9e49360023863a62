"""The OAuth 2 authorization code flow with PKCE, against a loopback token endpoint.

The token and app-registration answers follow RFC 6749 section 5 and the
Mastodon API reference (methods/oauth, methods/apps).
"""

from __future__ import annotations

import base64
import datetime as dt
import socket
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from pytest_httpserver import HTTPServer

from roost.channels.oauth import (
    FLOW_LIFETIME,
    MAX_PENDING_FLOWS,
    SESSION_KEY,
    OAuthClient,
    OAuthError,
    OAuthErrorCode,
    TokenSet,
    mastodon_app_register,
    oauth_finish,
    oauth_refresh,
    oauth_start,
    pkce_challenge,
    pkce_pair,
    refresh_due,
)

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
REDIRECT_URI = "https://roost.example/channels/oauth/callback"


@pytest.fixture
def client(httpserver: HTTPServer) -> OAuthClient:
    return OAuthClient(
        authorize_url="https://network.example/oauth/authorize",
        token_url=httpserver.url_for("/oauth/token"),
        client_id="TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
        client_secret="ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
        redirect_uri=REDIRECT_URI,
        scopes=("read", "write"),
    )


def started(client: OAuthClient, session: Any, **kwargs: Any) -> dict[str, str]:
    """Start a flow and return the authorize URL's query, one value per name."""
    url = oauth_start(client=client, session=session, now=NOW, **kwargs)
    assert url.startswith(client.authorize_url + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# PKCE.


def test_pkce_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_pair_is_fresh_and_well_formed() -> None:
    verifier, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    assert verifier != other_verifier
    # RFC 7636 section 4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
    assert 43 <= len(verifier) <= 128
    assert set(verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    assert challenge == pkce_challenge(verifier)
    assert "=" not in challenge


# Starting.


def test_start_redirects_with_state_and_s256_challenge(client: OAuthClient) -> None:
    session: dict[str, Any] = {}

    query = started(client, session)

    assert query["response_type"] == "code"
    assert query["client_id"] == client.client_id
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["scope"] == "read write"
    assert query["code_challenge_method"] == "S256"
    flow = session[SESSION_KEY][query["state"]]
    assert query["code_challenge"] == pkce_challenge(flow["verifier"])
    assert flow["verifier"] not in str(query)
    assert len(query["state"]) >= 32


def test_start_adds_extra_parameters(client: OAuthClient) -> None:
    query = started(client, {}, extra_params={"force_login": "true"})
    assert query["force_login"] == "true"


def test_flows_in_two_tabs_do_not_overwrite_each_other(client: OAuthClient) -> None:
    session: dict[str, Any] = {}
    first = started(client, session)["state"]
    second = started(client, session)["state"]
    assert first != second
    assert set(session[SESSION_KEY]) == {first, second}


def test_pending_flows_are_capped(client: OAuthClient) -> None:
    session: dict[str, Any] = {}
    states = [started(client, session)["state"] for _ in range(MAX_PENDING_FLOWS + 2)]
    assert len(session[SESSION_KEY]) == MAX_PENDING_FLOWS
    assert states[-1] in session[SESSION_KEY]


def test_a_django_session_is_marked_modified(client: OAuthClient) -> None:
    session = SessionStore()
    query = started(client, session)
    assert session.modified
    assert query["state"] in session[SESSION_KEY]


# Finishing: the state check.


def test_finish_refuses_an_answer_without_state(client: OAuthClient) -> None:
    session: dict[str, Any] = {}
    started(client, session)
    with pytest.raises(OAuthError) as refused:
        oauth_finish(client=client, session=session, params={"code": "abc"}, now=NOW)
    assert refused.value.code is OAuthErrorCode.STATE_MISSING
    assert "no state" in refused.value.message


def test_finish_refuses_a_state_it_did_not_issue(
    client: OAuthClient, httpserver: HTTPServer
) -> None:
    session: dict[str, Any] = {}
    started(client, session)
    with pytest.raises(OAuthError) as refused:
        oauth_finish(
            client=client, session=session, params={"code": "abc", "state": "forged"}, now=NOW
        )
    assert refused.value.code is OAuthErrorCode.STATE_MISMATCH
    assert httpserver.log == []


def test_finish_refuses_a_replayed_answer(client: OAuthClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "tok", "token_type": "Bearer", "scope": "read write"}
    )
    session: dict[str, Any] = {}
    params = {"code": "abc", "state": started(client, session)["state"]}
    oauth_finish(client=client, session=session, params=params, now=NOW)

    with pytest.raises(OAuthError) as refused:
        oauth_finish(client=client, session=session, params=params, now=NOW)
    assert refused.value.code is OAuthErrorCode.STATE_MISMATCH
    assert len(httpserver.log) == 1


def test_finish_refuses_an_expired_flow(client: OAuthClient, httpserver: HTTPServer) -> None:
    session: dict[str, Any] = {}
    state = started(client, session)["state"]
    later = NOW + FLOW_LIFETIME + dt.timedelta(seconds=1)
    with pytest.raises(OAuthError) as refused:
        oauth_finish(
            client=client, session=session, params={"code": "abc", "state": state}, now=later
        )
    assert refused.value.code is OAuthErrorCode.STATE_EXPIRED
    assert httpserver.log == []


def test_finish_refuses_a_flow_of_another_client(client: OAuthClient) -> None:
    session: dict[str, Any] = {}
    state = started(client, session)["state"]
    other = OAuthClient(
        authorize_url=client.authorize_url,
        token_url=client.token_url,
        client_id="another-app",
        redirect_uri=REDIRECT_URI,
    )
    with pytest.raises(OAuthError) as refused:
        oauth_finish(client=other, session=session, params={"code": "a", "state": state}, now=NOW)
    assert refused.value.code is OAuthErrorCode.STATE_MISMATCH


def test_finish_reports_a_refusal_by_the_person(client: OAuthClient) -> None:
    session: dict[str, Any] = {}
    params = {
        "state": started(client, session)["state"],
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request.",
    }
    with pytest.raises(OAuthError) as refused:
        oauth_finish(client=client, session=session, params=params, now=NOW)
    assert refused.value.code is OAuthErrorCode.DENIED
    assert "denied the request" in refused.value.message


def test_finish_needs_a_code(client: OAuthClient) -> None:
    session: dict[str, Any] = {}
    params = {"state": started(client, session)["state"]}
    with pytest.raises(OAuthError) as refused:
        oauth_finish(client=client, session=session, params=params, now=NOW)
    assert refused.value.code is OAuthErrorCode.CODE_MISSING


# Finishing: the token exchange.


def test_finish_exchanges_the_code_with_the_verifier(
    client: OAuthClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {
            "access_token": "2YotnFZFEjr1zCsicMWpAA",
            "token_type": "Bearer",
            "expires_in": 7200,
            "refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA",
            "scope": "read write",
        }
    )
    session: dict[str, Any] = {}
    state = started(client, session)["state"]
    verifier = session[SESSION_KEY][state]["verifier"]

    tokens = oauth_finish(
        client=client,
        session=session,
        params={"code": "qDFUEaYrRK5c-HNmTCJbAzazwLRInJ7VHFat0wcMgCU", "state": state},
        now=NOW,
    )

    assert tokens == TokenSet(
        access_token="2YotnFZFEjr1zCsicMWpAA",
        refresh_token="tGzv3JOkF0XG5Qx2TlKWIA",
        expires_at=NOW + dt.timedelta(hours=2),
        scope="read write",
    )
    (request, _), *_ = httpserver.log
    assert request.headers["Accept"] == "application/json"
    assert request.form.to_dict() == {
        "grant_type": "authorization_code",
        "code": "qDFUEaYrRK5c-HNmTCJbAzazwLRInJ7VHFat0wcMgCU",
        "redirect_uri": REDIRECT_URI,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "code_verifier": verifier,
    }
    assert state not in session[SESSION_KEY]


def test_finish_reads_a_mastodon_token(client: OAuthClient, httpserver: HTTPServer) -> None:
    # methods/oauth: no expiry and no refresh token; `created_at` is extra.
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {
            "access_token": "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0",
            "token_type": "Bearer",
            "scope": "read write",
            "created_at": 1573979017,
        }
    )
    session: dict[str, Any] = {}
    params = {"code": "abc", "state": started(client, session)["state"]}

    tokens = oauth_finish(client=client, session=session, params=params, now=NOW)

    assert tokens.access_token == "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
    assert (tokens.refresh_token, tokens.expires_at, tokens.scope) == (None, None, "read write")
    assert "ZA-Yj3" not in repr(tokens)


def test_basic_client_authentication_keeps_the_secret_out_of_the_form(
    httpserver: HTTPServer, client: OAuthClient
) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "tok", "token_type": "bearer"}
    )
    basic = OAuthClient(
        authorize_url=client.authorize_url,
        token_url=client.token_url,
        client_id="app",
        client_secret="s3cret",
        redirect_uri=REDIRECT_URI,
        client_auth="basic",
    )
    session: dict[str, Any] = {}
    params = {"code": "abc", "state": started(basic, session)["state"]}

    oauth_finish(client=basic, session=session, params=params, now=NOW)

    (request, _), *_ = httpserver.log
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"app:s3cret").decode()
    assert "client_secret" not in request.form
    assert request.form["client_id"] == "app"


@pytest.mark.parametrize(
    ("status", "body", "code", "retryable", "said"),
    [
        (
            400,
            {
                "error": "invalid_grant",
                "error_description": "The provided authorization grant is invalid, expired, "
                "revoked, does not match the redirection URI used in the authorization request, "
                "or was issued to another client.",
            },
            OAuthErrorCode.TOKEN_REFUSED,
            False,
            "invalid_grant",
        ),
        (
            401,
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            OAuthErrorCode.TOKEN_REFUSED,
            False,
            "invalid_client",
        ),
        (503, {"error": "Service Unavailable"}, OAuthErrorCode.UNAVAILABLE, True, "503"),
        (200, {"token_type": "Bearer"}, OAuthErrorCode.INVALID_RESPONSE, False, "access token"),
        (
            200,
            {"access_token": "t", "token_type": "mac"},
            OAuthErrorCode.INVALID_RESPONSE,
            False,
            "bearer",
        ),
    ],
)
def test_token_endpoint_failures_are_named(
    client: OAuthClient,
    httpserver: HTTPServer,
    status: int,
    body: dict[str, str],
    code: OAuthErrorCode,
    retryable: bool,
    said: str,
) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(body, status=status)
    session: dict[str, Any] = {}
    params = {"code": "abc", "state": started(client, session)["state"]}

    with pytest.raises(OAuthError) as refused:
        oauth_finish(client=client, session=session, params=params, now=NOW)

    assert refused.value.code is code
    assert refused.value.retryable is retryable
    assert said in refused.value.message
    assert client.client_secret not in refused.value.message


def test_unreachable_token_endpoint_is_retryable(client: OAuthClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = OAuthClient(
        authorize_url=client.authorize_url,
        token_url=f"http://127.0.0.1:{port}/oauth/token",
        client_id=client.client_id,
        redirect_uri=REDIRECT_URI,
    )
    session: dict[str, Any] = {}
    params = {"code": "abc", "state": started(closed, session)["state"]}

    with pytest.raises(OAuthError) as refused:
        oauth_finish(client=closed, session=session, params=params, now=NOW)

    assert refused.value.code is OAuthErrorCode.UNAVAILABLE
    assert refused.value.retryable


# Refreshing.


def test_refresh_sends_the_refresh_grant(client: OAuthClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {
            "access_token": "new-access",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "new-refresh",
        }
    )

    tokens = oauth_refresh(client=client, refresh_token="old-refresh", now=NOW)

    assert (tokens.access_token, tokens.refresh_token) == ("new-access", "new-refresh")
    assert tokens.expires_at == NOW + dt.timedelta(hours=1)
    assert tokens.scope == "read write"  # not in the answer: the requested scope was granted
    (request, _), *_ = httpserver.log
    assert request.form.to_dict() == {
        "grant_type": "refresh_token",
        "refresh_token": "old-refresh",
        "client_id": client.client_id,
        "client_secret": client.client_secret,
    }


def test_refresh_keeps_the_refresh_token_when_none_is_issued(
    client: OAuthClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "new-access", "token_type": "Bearer", "expires_in": "3600"}
    )

    tokens = oauth_refresh(client=client, refresh_token="old-refresh", now=NOW)

    assert tokens.refresh_token == "old-refresh"
    assert tokens.expires_at == NOW + dt.timedelta(hours=1)


def test_refused_refresh_means_reconnect(client: OAuthClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"error": "invalid_grant"}, status=400
    )
    with pytest.raises(OAuthError) as refused:
        oauth_refresh(client=client, refresh_token="revoked", now=NOW)
    assert refused.value.code is OAuthErrorCode.TOKEN_REFUSED


@pytest.mark.parametrize(
    ("left", "due"),
    [
        (None, False),
        (dt.timedelta(hours=1), False),
        (dt.timedelta(minutes=10, seconds=1), False),
        (dt.timedelta(minutes=10), False),
        (dt.timedelta(minutes=9, seconds=59), True),
        (dt.timedelta(0), True),
        (-dt.timedelta(minutes=5), True),
    ],
)
def test_refresh_is_due_with_less_than_ten_minutes_left(
    left: dt.timedelta | None, due: bool
) -> None:
    expires_at = NOW + left if left is not None else None
    assert refresh_due(expires_at, NOW) is due


# Storing.


def test_token_set_round_trips_through_the_secret_form() -> None:
    tokens = TokenSet(access_token="a", refresh_token="r", expires_at=NOW, scope="read write")
    assert TokenSet.from_secret(tokens.to_secret()) == tokens
    assert TokenSet.from_secret("bare-token") == TokenSet(access_token="bare-token")
    assert "'a'" not in repr(tokens) and "'r'" not in repr(tokens)
    assert "ZEaF" not in repr(OAuthClient("a", "t", "id", client_secret="ZEaF"))


# Registering on a Mastodon instance.

# methods/apps: the Application answer, with the client's credentials.
APPLICATION = {
    "id": "563419",
    "name": "Roost",
    "website": None,
    "scopes": ["read", "write"],
    "redirect_uri": REDIRECT_URI,
    "redirect_uris": [REDIRECT_URI],
    "vapid_key": (
        "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="
    ),
    "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
    "client_secret": "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
    "client_secret_expires_at": 0,
}


def test_mastodon_app_register_creates_a_read_write_app(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_json(APPLICATION)
    base = httpserver.url_for("/").rstrip("/")

    client = mastodon_app_register(instance_url=base + "/", redirect_uri=REDIRECT_URI)

    assert client == OAuthClient(
        authorize_url=f"{base}/oauth/authorize",
        token_url=f"{base}/oauth/token",
        client_id=APPLICATION["client_id"],
        client_secret=APPLICATION["client_secret"],
        redirect_uri=REDIRECT_URI,
        scopes=("read", "write"),
    )
    (request, _), *_ = httpserver.log
    assert request.form.to_dict() == {
        "client_name": "Roost",
        "scopes": "read write",
        "redirect_uris": REDIRECT_URI,
    }


def test_mastodon_app_register_surfaces_a_refusal(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_json(
        {"error": "Validation failed: Redirect URI must be an absolute URI."}, status=422
    )

    with pytest.raises(OAuthError) as refused:
        mastodon_app_register(instance_url=httpserver.url_for("/"), redirect_uri="callback")

    assert refused.value.code is OAuthErrorCode.REGISTRATION_REFUSED
    assert "Redirect URI must be an absolute URI" in refused.value.message
    assert not refused.value.retryable


def test_mastodon_app_register_outage_is_retryable(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_data(
        "<html>502 Bad Gateway</html>", status=502, content_type="text/html"
    )

    with pytest.raises(OAuthError) as refused:
        mastodon_app_register(instance_url=httpserver.url_for("/"), redirect_uri=REDIRECT_URI)

    assert refused.value.code is OAuthErrorCode.UNAVAILABLE
    assert refused.value.retryable


def test_mastodon_app_register_unreachable_instance_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(OAuthError) as refused:
        mastodon_app_register(instance_url=f"http://127.0.0.1:{port}", redirect_uri=REDIRECT_URI)

    assert refused.value.code is OAuthErrorCode.UNAVAILABLE
    assert refused.value.retryable


def test_mastodon_app_register_refuses_a_plain_http_instance(httpserver: HTTPServer) -> None:
    with pytest.raises(OAuthError) as refused:
        mastodon_app_register(instance_url="http://mastodon.example", redirect_uri=REDIRECT_URI)
    assert refused.value.code is OAuthErrorCode.INSTANCE_INVALID
    assert httpserver.log == []
