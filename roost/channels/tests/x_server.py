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
