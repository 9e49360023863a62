"""A loopback stand-in for the Graph API's Page webhook subscriptions, answering as the
Graph API reference "Page Subscribed Apps" documents them: `POST
/{page-id}/subscribed_apps` with `subscribed_fields` subscribes the app, `GET` lists
the apps, `DELETE` unsubscribes it; each answers `{"success": true}` and needs the
Page's token (sent as `Authorization: OAuth <token>`).

    server = PageSubscriptionsServer(httpserver, tokens={"<page id>": "<page token>"})
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints
    server.subscribed  # page id -> the fields the app is subscribed to

A Page the server does not know answers 404, as a Page that is gone would.
"""

from __future__ import annotations

import json
import re
import threading

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.connectors.meta_graph import GRAPH_VERSION

ORIGIN = "https://graph.facebook.com"


class PageSubscriptionsServer:
    def __init__(self, httpserver: HTTPServer, *, tokens: dict[str, str]) -> None:
        self.httpserver = httpserver
        self.tokens = dict(tokens)
        self.subscribed: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        httpserver.expect_request(
            re.compile(rf"/{GRAPH_VERSION}/[^/]+/subscribed_apps")
        ).respond_with_handler(self._handle)

    @property
    def endpoints(self) -> dict[str, str]:
        return {ORIGIN: self.httpserver.url_for("").rstrip("/")}

    def _handle(self, request: Request) -> Response:
        page_id = request.path.split("/")[2]
        token = self.tokens.get(page_id)
        if token is None:
            return _error(404, 100, f"Unsupported request: object '{page_id}' does not exist")
        if request.headers.get("Authorization") != f"OAuth {token}":
            return _error(400, 190, "Invalid OAuth access token.")
        with self._lock:
            if request.method == "POST":
                fields = str(request.form.get("subscribed_fields") or "")
                self.subscribed[page_id] = [f for f in fields.split(",") if f]
                return _json({"success": True}, 200)
            if request.method == "DELETE":
                self.subscribed.pop(page_id, None)
                return _json({"success": True}, 200)
            if request.method == "GET":
                fields = self.subscribed.get(page_id)
                rows = [{"id": "1234567890123456", "subscribed_fields": fields}] if fields else []
                return _json({"data": rows}, 200)
        return _error(400, 100, f"Unsupported {request.method} request.")


def _error(status: int, code: int, message: str) -> Response:
    body = {"error": {"message": message, "type": "OAuthException", "code": code,
                      "fbtrace_id": "AWswcVwbcqfgrSgjG80MtqJ"}}  # fmt: skip
    return _json(body, status)


def _json(body: object, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
