"""A loopback stand-in for X's `POST /2/tweets`, answering as the X API v2 reference
documents it (201 with `{"data": {"id", "text"}}`), for dispatch's fault tests.

    server = XPostServer(HTTPServer(...), token="...")
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints
    server.posts  # every post X accepted, in order: (id, text)

`answer_delay_s` keeps each answer back a random time after the post is stored (a
worker killed then never hears it), and `lose_every` answers every n-th accepted post
with a 503, as if the answer were lost after X acted: Roost cannot tell that post from
one that never went out.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ORIGIN = "https://api.x.com"


class XPostServer:
    def __init__(
        self,
        httpserver: HTTPServer,
        *,
        token: str = "x-user-token",
        answer_delay_s: tuple[float, float] = (0.0, 0.0),
        lose_every: int = 0,
        seed: int = 11,
    ) -> None:
        self.httpserver = httpserver
        self.token = token
        self.answer_delay_s = answer_delay_s
        self.lose_every = lose_every
        self.posts: list[tuple[str, str]] = []
        self._ids = itertools.count(1846987139428634624)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(self._post)

    @property
    def endpoints(self) -> dict[str, str]:
        return {ORIGIN: self.httpserver.url_for("").rstrip("/")}

    def _post(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json(
                {"title": "Unauthorized", "type": "about:blank", "status": 401,
                 "detail": "Unauthorized"},
                401,
            )  # fmt: skip
        body = json.loads(request.get_data() or b"{}")
        with self._lock:
            post_id = str(next(self._ids))
            self.posts.append((post_id, str(body.get("text", ""))))
            count = len(self.posts)
            delay = self._random.uniform(*self.answer_delay_s)
        time.sleep(delay)
        if self.lose_every and count % self.lose_every == 0:
            return _json({"title": "Service Unavailable", "status": 503}, 503)
        return _json({"data": {"id": post_id, "text": body.get("text", "")}}, 201)


def _json(body: object, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class XActivityServer:
    """A loopback stand-in for the X Activity API's subscriptions, answering as X's
    reference pages document them: `POST /2/activity/subscriptions` ("Create X activity
    subscription": `{"data": {"subscription": {...}}}`), `GET /2/activity/subscriptions`
    ("Get X activity subscriptions": `{"data": [...], "meta": {"result_count"}}`) and
    `DELETE /2/activity/subscriptions/{subscription_id}` ("Deletes X activity
    subscription"; one that does not exist is not found).

        server = XActivityServer(httpserver, token="...")
        server.subscriptions  # subscription id -> {"event_type", "filter", "webhook_id", ...}
    """

    def __init__(self, httpserver: HTTPServer, *, token: str = "x-user-token") -> None:
        self.httpserver = httpserver
        self.token = token
        self.subscriptions: dict[str, dict[str, object]] = {}
        self._ids = itertools.count(1976325569252868100)
        self._lock = threading.Lock()
        httpserver.expect_request("/2/activity/subscriptions", method="POST").respond_with_handler(
            self._create
        )
        httpserver.expect_request("/2/activity/subscriptions", method="GET").respond_with_handler(
            self._list
        )
        httpserver.expect_request(
            re.compile(r"/2/activity/subscriptions/[^/]+"), method="DELETE"
        ).respond_with_handler(self._delete)

    @property
    def endpoints(self) -> dict[str, str]:
        return {ORIGIN: self.httpserver.url_for("").rstrip("/")}

    def subscribe(self, *, user_id: str, webhook_id: str, event_type: str) -> str:
        """A subscription that exists on X already (made by an earlier connect)."""
        with self._lock:
            ident = str(next(self._ids))
            self.subscriptions[ident] = {
                "subscription_id": ident,
                "event_type": event_type,
                "filter": {"user_id": user_id},
                "webhook_id": webhook_id,
                "created_at": "2026-12-07T18:00:00.000Z",
                "updated_at": "2026-12-07T18:00:00.000Z",
            }
        return ident

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json(
                {"title": "Unauthorized", "type": "about:blank", "status": 401,
                 "detail": "Unauthorized"},
                401,
            )  # fmt: skip
        return None

    def _create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = json.loads(request.get_data() or b"{}")
        ident = self.subscribe(
            user_id=str(body["filter"]["user_id"]),
            webhook_id=str(body["webhook_id"]),
            event_type=str(body["event_type"]),
        )
        return _json({"data": {"subscription": self.subscriptions[ident]}}, 200)

    def _list(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        with self._lock:
            rows = list(self.subscriptions.values())
        return _json({"data": rows, "meta": {"result_count": len(rows)}}, 200)

    def _delete(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        ident = request.path.rsplit("/", 1)[1]
        with self._lock:
            gone = self.subscriptions.pop(ident, None)
        if gone is None:
            return _json(
                {"title": "Not Found Error", "type": "https://api.x.com/2/problems/resource-not-found",
                 "status": 404, "detail": f"Could not find subscription with id: [{ident}]."},
                404,
            )  # fmt: skip
        return _json({"data": {"deleted": True}}, 200)
