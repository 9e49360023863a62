"""A loopback stand-in for Instagram's content publishing API (Graph API with Facebook
Login), answering as Meta's reference documents it, for tests of Roost's Instagram
connector and of dispatch.

    server = InstagramGraphServer(httpserver)            # a pytest_httpserver HTTPServer
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints   # graph and rupload hosts
    ... publish through InstagramConnector (channel external_id=server.ig_user_id) ...
    assert server.publish_calls == 3 and len(server.published) == 2

It serves, under any Graph API version:

- `POST /{ig-user-id}/media`: a container for an `image_url`, a video
  (`upload_type=resumable`, answered with the `uri` to upload to), a carousel item or a
  `CAROUSEL` naming its `children`;
- `POST /ig-api-upload/{version}/{container-id}`: the video's bytes, with the `offset`
  and `file_size` headers and an `OAuth` token;
- `GET /{container-id}?fields=status_code`: `IN_PROGRESS` for a video until its bytes
  are in (and `processing_reads` reads more), then `FINISHED`; `PUBLISHED` once used;
- `POST /{ig-user-id}/media_publish`: counted in `publish_calls`; beyond `daily_limit`
  (50) publications in a moving 24 hours it refuses with Meta's documented error
  (code 9, subcode 2207042), as Meta's media_publish reference and Error Codes page
  describe it;
- `GET /{ig-user-id}/content_publishing_limit`: the usage in the window;
- `GET /{media-id}?fields=permalink` and `POST /{media-id}/comments`.

`clock` (epoch seconds) decides the 24 hours; `advance(seconds)` moves it on. Requests
without `Authorization: Bearer <token>` (or `OAuth <token>` on the upload host) are
refused with Meta's invalid-token error (code 190).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

DAY_S = 86400.0
DAILY_LIMIT = 50
GRAPH_ORIGIN = "https://graph.facebook.com"
RUPLOAD_ORIGIN = "https://rupload.facebook.com"
VERSION = r"v\d+\.\d+"

# Error Codes reference: "You have reached the maximum number of posts that is allowed to
# be published by Content Publishing API."
DAILY_LIMIT_ERROR: dict[str, Any] = {
    "error": {
        "message": "Application request limit reached",
        "type": "OAuthException",
        "is_transient": False,
        "code": 9,
        "error_subcode": 2207042,
        "error_user_title": "Cannot publish",
        "error_user_msg": (
            "You have reached the maximum number of posts that is allowed to be "
            "published by Content Publishing API."
        ),
        "fbtrace_id": "AWswcPO1cTfSy6Z4eXZqdC1",
    }
}
INVALID_TOKEN_ERROR: dict[str, Any] = {
    "error": {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
        "fbtrace_id": "Ab3wpQ-6vZ9bHbNbQx1nTtH",
    }
}
NOT_READY_ERROR: dict[str, Any] = {
    "error": {
        "message": "Media ID is not available",
        "type": "OAuthException",
        "is_transient": False,
        "code": 9007,
        "error_subcode": 2207027,
        "error_user_title": "Media not ready for publishing",
        "error_user_msg": "The media is not ready for publishing, please wait for a moment",
        "fbtrace_id": "A0zT1w3xNQ6zHc2yR0F2qgd",
    }
}


@dataclass
class Container:
    id: str
    fields: dict[str, str]
    video: bool
    size: int = 0
    received: bytearray = field(default_factory=bytearray)
    reads: int = 0
    published: bool = False


class InstagramGraphServer:
    """The publishing endpoints of one Instagram professional account, on `httpserver`."""

    def __init__(
        self,
        httpserver: HTTPServer,
        *,
        ig_user_id: str = "17841405822304914",
        username: str = "roost.team",
        token: str = "EAAGm0PX4ZCpsBAPageToken",
        daily_limit: int = DAILY_LIMIT,
        processing_reads: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.httpserver = httpserver
        self.ig_user_id = ig_user_id
        self.username = username
        self.token = token
        self.daily_limit = daily_limit
        # How many status reads a video container stays IN_PROGRESS after its upload.
        self.processing_reads = processing_reads
        self._clock = clock
        self._offset = 0.0
        self._lock = threading.Lock()
        self._ids = itertools.count(17889455560051444)
        self.containers: dict[str, Container] = {}
        # media id -> container id, for every post made.
        self.published: dict[str, str] = {}
        self.publish_times: list[float] = []
        self.publish_calls = 0
        self.refused_over_limit = 0
        self.comments: list[tuple[str, str]] = []
        # When set, comments are refused with Graph's permission error and these words.
        self.comments_refused = ""
        keep_underscore_headers(httpserver)
        self._install()

    # For tests.

    @property
    def endpoints(self) -> dict[str, str]:
        """`ROOST_NETWORK_ENDPOINTS` sending both Meta hosts to this server."""
        base = self.httpserver.url_for("").rstrip("/")
        return {GRAPH_ORIGIN: base, RUPLOAD_ORIGIN: base}

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def usage(self) -> int:
        """Publications in the moving 24 hours."""
        since = self.now() - DAY_S
        return sum(1 for moment in self.publish_times if moment > since)

    # Serving.

    def _install(self) -> None:
        user = re.escape(self.ig_user_id)
        routes: list[tuple[str, str, Callable[[Request, re.Match[str]], Response]]] = [
            ("POST", rf"^/{VERSION}/{user}/media$", self._create),
            ("POST", rf"^/{VERSION}/{user}/media_publish$", self._publish),
            ("GET", rf"^/{VERSION}/{user}/content_publishing_limit$", self._limit),
            ("POST", rf"^/ig-api-upload/{VERSION}/(\d+)$", self._upload),
            ("POST", rf"^/{VERSION}/(\d+)/comments$", self._comment),
            ("GET", rf"^/{VERSION}/(\d+)$", self._read),
        ]
        for method, pattern, handler in routes:
            compiled = re.compile(pattern)
            self.httpserver.expect_request(compiled, method=method).respond_with_handler(
                self._guarded(compiled, handler, upload=pattern.startswith("^/ig-api"))
            )

    def _guarded(
        self,
        pattern: re.Pattern[str],
        handler: Callable[[Request, re.Match[str]], Response],
        *,
        upload: bool,
    ) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            scheme = "OAuth" if upload else "Bearer"
            if request.headers.get("Authorization") != f"{scheme} {self.token}":
                return _json(INVALID_TOKEN_ERROR, status=400)
            match = pattern.match(request.path)
            assert match is not None
            with self._lock:
                return handler(request, match)

        return serve

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _create(self, request: Request, match: re.Match[str]) -> Response:
        fields = {key: request.values[key] for key in request.values}
        media_type = fields.get("media_type", "")
        if media_type == "CAROUSEL":
            children = [c for c in fields.get("children", "").split(",") if c]
            if not all(c in self.containers for c in children):
                return _graph_error(100, "Invalid parameter", 2207006, status=400)
        elif fields.get("upload_type") != "resumable" and not fields.get(
            "image_url", ""
        ).startswith(("http://", "https://")):
            return _graph_error(100, "Invalid parameter", 2207052, status=400)
        container = Container(
            id=self._new_id(), fields=fields, video=fields.get("upload_type") == "resumable"
        )
        self.containers[container.id] = container
        answer: dict[str, Any] = {"id": container.id}
        if container.video:
            version = request.path.split("/")[1]
            base = self.endpoints[RUPLOAD_ORIGIN]
            answer["uri"] = f"{base}/ig-api-upload/{version}/{container.id}"
        return _json(answer)

    def _upload(self, request: Request, match: re.Match[str]) -> Response:
        container = self.containers.get(match.group(1))
        if container is None or not container.video:
            return _json({"debug_info": {"type": "NotFound", "message": "No container"}}, 404)
        offset = int(request.headers.get("offset", "-1"))
        size = int(request.headers.get("file_size", "-1"))
        if offset != len(container.received) or size < 0:
            return _json(
                {"debug_info": {"type": "ProcessingFailedError", "message": "Bad offset"}},
                status=400,
            )
        container.size = size
        container.received.extend(request.get_data())
        return _json({"success": True, "message": "Upload successful."})

    def _state(self, container: Container) -> str:
        if container.published:
            return "PUBLISHED"
        if container.video:
            if not container.size or len(container.received) < container.size:
                return "IN_PROGRESS"
            container.reads += 1
            if container.reads <= self.processing_reads:
                return "IN_PROGRESS"
        return "FINISHED"

    def _read(self, request: Request, match: re.Match[str]) -> Response:
        node = match.group(1)
        if node in self.containers:
            container = self.containers[node]
            return _json({"status_code": self._state(container), "id": node})
        if node in self.published:
            return _json({"id": node, "permalink": f"https://www.instagram.com/p/{node}/"})
        if node == self.ig_user_id:
            return _json({"id": node, "username": self.username, "followers_count": 0})
        return _graph_error(100, "Unsupported get request.", 33, status=400)

    def _publish(self, request: Request, match: re.Match[str]) -> Response:
        self.publish_calls += 1
        if self.usage() >= self.daily_limit:
            self.refused_over_limit += 1
            return _json(DAILY_LIMIT_ERROR, status=400)
        container = self.containers.get(request.values.get("creation_id", ""))
        if container is None or container.published or self._state(container) != "FINISHED":
            return _json(NOT_READY_ERROR, status=400)
        container.published = True
        media_id = self._new_id()
        self.published[media_id] = container.id
        self.publish_times.append(self.now())
        return _json({"id": media_id})

    def _limit(self, request: Request, match: re.Match[str]) -> Response:
        return _json(
            {
                "data": [
                    {
                        "quota_usage": self.usage(),
                        "config": {"quota_total": self.daily_limit, "quota_duration": int(DAY_S)},
                    }
                ]
            }
        )

    def _comment(self, request: Request, match: re.Match[str]) -> Response:
        media_id = match.group(1)
        if media_id not in self.published:
            return _graph_error(100, "Unsupported post request.", 33, status=400)
        if self.comments_refused:
            return _graph_error(10, self.comments_refused, 0, status=403)
        self.comments.append((media_id, request.values.get("message", "")))
        return _json({"id": self._new_id()})


def keep_underscore_headers(httpserver: HTTPServer) -> None:
    """Let the running server see headers named with underscores, such as the upload
    host's `file_size`. Werkzeug's development server drops them (a WSGI environ cannot
    tell `file_size` from `file-size`); this keeps them, and lists every header name as
    sent in `request.environ["roost.header_names"]`."""
    server = getattr(httpserver, "server", None)
    if server is None:
        raise RuntimeError("Start the HTTPServer before serving Instagram on it.")
    handler = server.RequestHandlerClass
    if getattr(handler, "keeps_underscores", False):
        return

    class KeepUnderscores(handler):  # type: ignore[misc, valid-type]
        keeps_underscores = True

        def make_environ(self) -> dict[str, Any]:
            environ: dict[str, Any] = super().make_environ()
            for key, value in self.headers.items():
                if "_" in key:
                    environ[f"HTTP_{key.upper().replace('-', '_')}"] = value
            environ["roost.header_names"] = list(self.headers.keys())
            return environ

    server.RequestHandlerClass = KeepUnderscores


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _graph_error(code: int, message: str, subcode: int, *, status: int) -> Response:
    return _json(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_subcode": subcode,
                "fbtrace_id": "AaBcDeFgHiJkLmNoPqRsTuV",
            }
        },
        status=status,
    )
