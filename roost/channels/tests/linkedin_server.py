"""A LinkedIn Community Management API that answers on a `pytest_httpserver.HTTPServer`.

It answers the calls Roost's LinkedIn connector makes the way the API reference
documents them (versioned REST API with the `LinkedIn-Version` and Rest.li 2.0 headers,
URNs percent-encoded in paths, `x-restli-id` on creation, `paging` with start/count,
LinkedIn's error bodies), keeps what it is sent, and refuses what the real API refuses
(a wrong token, a missing header, a URN left unencoded, a post naming media that was
never uploaded, video parts that do not match their byte ranges).

Use it on any HTTPServer, then point Roost at it::

    fake = LinkedInServer(httpserver)            # or HTTPServer(threaded=True), started
    settings.ROOST_NETWORK_ENDPOINTS = fake.endpoints()
    ...
    fake.accepted                                 # the posts it took, in order

Faults: `lose_answers(count, hang_s=...)` takes the next `count` posts and then holds
each answer for `hang_s` seconds (longer than the client waits), so the client sees a
timeout after the post was made; `lose_answers_at_random(probability, seed=...)` does the
same to a share of all posts. With a held answer, use a threaded server (`HTTPServer(
threaded=True)`) so that other requests are served meanwhile; `release()` lets every held
answer go at once (call it before stopping the server).

The fake answers every path through one permanent handler; to make one call fail, add
a oneshot answer (`server.expect_oneshot_request(...)`), which is served first, and
build its body with `error_body`. Seed what the page already has with `add_post` and
`add_comment`, and members' posts that mention it with `add_mention` (a post and its
SHARE_MENTION notification, as Organization Social Action Notifications lists them);
`statistics`, `followers`, `acls` and `organizations` are plain attributes. Channels
reach it as `urn:li:organization:2414183` with the token `TOKEN`.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.connectors.linkedin import LINKEDIN_VERSION

TOKEN = "AQUvlL_DYEzvT2wz1QJiEPeLioeA"
ORGANIZATION_ID = "2414183"
ORGANIZATION = f"urn:li:organization:{ORGANIZATION_ID}"
MEMBER = "urn:li:person:a1b2c3d4e5"
CLIENT_ID = "86tx4ejq0hzv6u"
CLIENT_SECRET = "WPL_AP1.secret.value"
REFRESH_TOKEN = "AQXNnd2kXITHELmWblJigbHEuoFdfRhOwGA0QNnumBI8XO"
VIDEO_PART_BYTES = 4 * 1024 * 1024


@dataclass
class AcceptedPost:
    """A post the fake API created: its URN, the body and headers it was sent, and
    whether its answer reached the client (False: held past the client's timeout)."""

    urn: str
    body: dict[str, Any]
    headers: dict[str, str]
    created_ms: int
    answered: bool = True
    deleted: bool = False


@dataclass
class _Video:
    urn: str
    size: int
    parts: list[tuple[int, int]]
    etags: dict[int, str] = field(default_factory=dict)
    received: dict[int, bytes] = field(default_factory=dict)
    status: str = "WAITING_UPLOAD"
    polls_left: int = 0


def error_body(status: int, message: str, *, code: str = "", service_code: int = 0) -> Response:
    """An error as LinkedIn writes it: `{"status", "serviceErrorCode", "code", "message"}`."""
    body: dict[str, Any] = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service_code:
        body["serviceErrorCode"] = service_code
    return Response(json.dumps(body), status=status, content_type="application/json")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, content_type="application/json", headers=headers
    )


class LinkedInServer:
    """The fake API; every handler runs under one lock, so a threaded server is safe."""

    def __init__(
        self,
        server: HTTPServer,
        *,
        token: str = TOKEN,
        organization_id: str = ORGANIZATION_ID,
        vanity_name: str = "devtestco",
        localized_name: str = "Devtestco",
        version: str = LINKEDIN_VERSION,
        followers: int = 1520,
        video_part_bytes: int = VIDEO_PART_BYTES,
        video_processing_polls: int = 0,
        video_outcome: str = "AVAILABLE",
        upload_origin: str = "https://www.linkedin.com",
    ) -> None:
        self.server = server
        self.token = token
        self.organization = f"urn:li:organization:{organization_id}"
        self.organizations: dict[str, dict[str, Any]] = {
            organization_id: _organization(organization_id, vanity_name, localized_name)
        }
        self.acls: list[dict[str, Any]] = [
            {
                "role": "ADMINISTRATOR",
                "roleAssignee": MEMBER,
                "state": "APPROVED",
                "organization": self.organization,
            }
        ]
        self.version = version
        self.followers = followers
        self.video_part_bytes = video_part_bytes
        self.video_processing_polls = video_processing_polls
        # What a video becomes after processing: AVAILABLE, or PROCESSING_FAILED.
        self.video_outcome = video_outcome
        self.upload_origin = upload_origin.rstrip("/")
        self.statistics: dict[str, dict[str, float]] = {}
        # (developer application id, member URN, page URN) -> webhook address
        self.subscriptions: dict[tuple[str, str, str], str] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        # Members' posts (by URN, as the Posts API returns them) and the page's
        # notifications; a post's URN in `unreadable` is answered with that status.
        self.member_posts: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.unreadable: dict[str, int] = {}
        self.images: dict[str, bytes | None] = {}
        self.image_upload_headers: list[dict[str, str]] = []
        self.video_upload_headers: list[dict[str, str]] = []
        self.videos: dict[str, _Video] = {}
        self.token_requests: list[dict[str, str]] = []
        self._posts: list[AcceptedPost] = []
        self._ids = itertools.count(7_140_000_000_000_000_001)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._lose = 0
        self._lose_probability = 0.0
        self._random = random.Random(0)
        self._hang_s = 0.0
        self.server.expect_request(re.compile(r"/.*")).respond_with_handler(self._handle)

    # What tests set and read.

    def endpoints(self) -> dict[str, str]:
        """`ROOST_NETWORK_ENDPOINTS` that send the connector here (API, OAuth and uploads)."""
        origin = self.server.url_for("/").rstrip("/")
        return {
            "https://api.linkedin.com": origin,
            "https://www.linkedin.com": origin,
            self.upload_origin: origin,
        }

    @property
    def accepted(self) -> list[AcceptedPost]:
        """The posts created so far, oldest first (copies)."""
        with self._lock:
            return [copy.deepcopy(post) for post in self._posts]

    def lose_answers(self, count: int = 1, *, hang_s: float = 60.0) -> None:
        """Create the next `count` posts, then hold each answer for `hang_s` seconds."""
        with self._lock:
            self._lose, self._hang_s = count, hang_s
            self._release.clear()

    def lose_answers_at_random(
        self, probability: float, *, hang_s: float = 60.0, seed: int = 7
    ) -> None:
        """Create every post, but hold the answer of about `probability` of them."""
        with self._lock:
            self._lose_probability, self._hang_s = probability, hang_s
            self._random = random.Random(seed)
            self._release.clear()

    def release(self) -> None:
        """Let every held answer go now, and hold no more."""
        with self._lock:
            self._lose, self._lose_probability = 0, 0.0
        self._release.set()

    def add_post(
        self, text: str = "Published earlier", *, created_ms: int = 1_700_000_000_000
    ) -> str:
        """A post the page already has (made outside Roost); returns its URN."""
        with self._lock:
            urn = f"urn:li:share:{next(self._ids)}"
            body = {"author": self.organization, "commentary": text}
            self._posts.append(AcceptedPost(urn=urn, body=body, headers={}, created_ms=created_ms))
            return urn

    def add_comment(
        self,
        post: str,
        text: str,
        *,
        actor: str = "urn:li:person:Zx9YwVuT",
        created_ms: int,
        parent: str | None = None,
    ) -> dict[str, Any]:
        """A comment under `post` (or nested under the comment `parent`), as the API stores it."""
        with self._lock:
            return self._store_comment(
                post, text, actor=actor, created_ms=created_ms, parent=parent
            )

    def add_mention(
        self,
        text: str,
        *,
        author: str = "urn:li:person:Qm7RtY2k",
        created_ms: int,
        notified_ms: int | None = None,
    ) -> str:
        """A member's post that mentions the page, and the page's SHARE_MENTION
        notification of it; returns the post's URN."""
        with self._lock:
            urn = f"urn:li:share:{next(self._ids)}"
            page = self.organizations[self.organization.rsplit(":", 1)[1]]
            # The Posts API writes a mention in little text: @[Name](urn).
            mention = f"@[{page['localizedName']}]"
            self.member_posts[urn] = {
                "id": urn,
                "author": author,
                "commentary": f"{mention}({self.organization}) {text}",
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "distribution": {"feedDistribution": "MAIN_FEED"},
                "createdAt": created_ms,
                "publishedAt": created_ms,
                "lastModifiedAt": created_ms,
            }
            self.notifications.append(
                {
                    "action": "SHARE_MENTION",
                    "organizationalEntity": self.organization,
                    "sourcePost": urn,
                    "generatedActivity": f"urn:li:activity:{next(self._ids)}",
                    "notificationId": next(self._ids),
                    "lastModifiedAt": created_ms if notified_ms is None else notified_ms,
                }
            )
            return urn

    # The handler.

    def _handle(self, request: Request) -> Response:
        if request.path.startswith("/dms-uploads/"):
            return self._upload(request)
        if request.path == "/oauth/v2/accessToken":
            return self._token(request)
        refusal = self._check_headers(request)
        if refusal is not None:
            return refusal
        if request.path == "/rest/posts" and request.method == "POST":
            return self._create_post(request)
        with self._lock:
            return self._route(request)

    def _check_headers(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return error_body(
                401, "Invalid access token", code="INVALID_ACCESS_TOKEN", service_code=65600
            )
        if request.headers.get("LinkedIn-Version") != self.version:
            return error_body(
                426, f"Requested version {request.headers.get('LinkedIn-Version')} is not active",
                code="NONEXISTENT_VERSION",
            )  # fmt: skip
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return error_body(400, "Rest.li protocol version 2.0.0 is required")
        raw = str(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "")
        if "urn:li:" in raw.split("?", 1)[0]:
            return error_body(400, "Syntax exception in path variables")
        return None

    def _route(self, request: Request) -> Response:
        method, path = request.method, request.path
        query = {key: values[-1] for key, values in parse_qs(request.query_string.decode()).items()}
        if method == "GET" and path.startswith("/rest/organizations/"):
            page = self.organizations.get(path.rsplit("/", 1)[1])
            return _json(page) if page else error_body(404, "Organization not found")
        if method == "GET" and path == "/rest/organizations":
            return self._organizations_batch(query.get("ids", ""))
        if method == "GET" and path == "/rest/organizationAcls":
            return self._acls(query)
        if method == "PUT" and path.startswith("/rest/eventSubscriptions/"):
            return self._subscribe(request, path[len("/rest/eventSubscriptions/") :])
        if method == "DELETE" and path.startswith("/rest/eventSubscriptions/"):
            return self._unsubscribe(path[len("/rest/eventSubscriptions/") :])
        if method == "POST" and path == "/rest/images":
            return self._initialize_image(request, query)
        if path == "/rest/videos" and method == "POST":
            return self._video_action(request, query)
        if method == "GET" and path.startswith("/rest/videos/"):
            return self._video_status(path[len("/rest/videos/") :])
        if method == "GET" and path == "/rest/posts":
            return self._list_posts(query)
        if method == "GET" and path.startswith("/rest/posts/"):
            return self._read_post(path[len("/rest/posts/") :])
        if method == "GET" and path == "/rest/organizationalEntityNotifications":
            return self._notifications(request, query)
        if method == "DELETE" and path.startswith("/rest/posts/"):
            return self._delete_post(path[len("/rest/posts/") :])
        match = re.fullmatch(r"/rest/socialActions/(.+)/comments(?:/(\d+))?", path)
        if match:
            return self._comments(request, query, match.group(1), match.group(2))
        if method == "GET" and path == "/rest/organizationalEntityShareStatistics":
            return self._share_statistics(request)
        if method == "GET" and path.startswith("/rest/networkSizes/"):
            if query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
                return error_body(400, "Invalid edgeType")
            return _json({"firstDegreeSize": self.followers})
        return error_body(404, f"No resource found for {method} {path}")

    # OAuth (www.linkedin.com/oauth/v2/accessToken).

    def _token(self, request: Request) -> Response:
        form = {key: request.form[key] for key in request.form}
        with self._lock:
            self.token_requests.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _json(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status=401,
            )
        grant = form.get("grant_type")
        exchange = grant == "authorization_code" and form.get("code") and form.get("redirect_uri")
        renewal = grant == "refresh_token" and form.get("refresh_token") == REFRESH_TOKEN
        if not (exchange or renewal):
            return _json(
                {
                    "error": "invalid_request",
                    "error_description": "Unable to retrieve access token",
                },
                status=400,
            )
        return _json(
            {
                "access_token": self.token,
                "expires_in": 5_184_000,
                "refresh_token": REFRESH_TOKEN,
                "refresh_token_expires_in": 31_536_000,
                "scope": "r_organization_social,rw_organization_admin,w_organization_social",
            }
        )

    # Organisations and roles.

    def _organizations_batch(self, ids: str) -> Response:
        match = re.fullmatch(r"List\(([\d,]*)\)", ids)
        if not match:
            return error_body(400, "Invalid ids parameter")
        wanted = [part for part in match.group(1).split(",") if part]
        results = {key: self.organizations[key] for key in wanted if key in self.organizations}
        statuses = {key: 200 if key in results else 404 for key in wanted}
        return _json({"results": results, "statuses": statuses, "errors": {}})

    @staticmethod
    def _subscription_key(key: str) -> tuple[str, str, str] | None:
        # Organization Social Action Notifications, Event Subscription API: the key names
        # the developer application, the member, the page and the event type.
        match = re.fullmatch(
            r"\(developerApplication:urn:li:developerApplication:(\d+),"
            r"user:(urn:li:person:[^,]+),entity:(urn:li:organization:\d+),"
            r"eventType:ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS\)",
            key,
        )
        return None if match is None else (match.group(1), match.group(2), match.group(3))

    def _subscribe(self, request: Request, key: str) -> Response:
        # The body names the webhook. Only the page's ADMINISTRATOR may subscribe it.
        parts = self._subscription_key(key)
        if parts is None:
            return error_body(400, "Invalid subscription key")
        application, member, page = parts
        body = request.get_json(silent=True) or {}
        webhook = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(webhook, str) or not webhook.startswith("https://"):
            return error_body(400, "A webhook over https is required")
        admin = any(
            acl["roleAssignee"] == member and acl["organization"] == page
            and acl["role"] == "ADMINISTRATOR" and acl["state"] == "APPROVED"
            for acl in self.acls
        )  # fmt: skip
        if not admin:
            return error_body(403, "Not enough permissions to access: eventSubscriptions")
        self.subscriptions[(application, member, page)] = webhook
        return Response(status=201)

    def _unsubscribe(self, key: str) -> Response:
        # "Remove a subscription": DELETE with the same key answers 204 No Content; one
        # that does not exist is not found.
        parts = self._subscription_key(key)
        if parts is None:
            return error_body(400, "Invalid subscription key")
        if self.subscriptions.pop(parts, None) is None:
            return error_body(404, "Subscription not found")
        return Response(status=204)

    def _acls(self, query: dict[str, str]) -> Response:
        if query.get("q") != "roleAssignee":
            return error_body(400, "Unsupported finder")
        rows = [
            acl
            for acl in self.acls
            if ("state" not in query or acl["state"] == query["state"])
            and ("role" not in query or acl["role"] == query["role"])
        ]
        return _json(_page(rows, query))

    # Media.

    def _initialize_image(self, request: Request, query: dict[str, str]) -> Response:
        owner = ((request.get_json(silent=True) or {}).get("initializeUploadRequest") or {}).get(
            "owner"
        )
        if query.get("action") != "initializeUpload" or owner != self.organization:
            return error_body(400, "Invalid initializeUpload request")
        number = next(self._ids)
        image = f"urn:li:image:D4E10AQ{number}"
        self.images[image] = None
        return _json(
            {
                "value": {
                    "uploadUrlExpiresAt": int(time.time() * 1000) + 86_400_000,
                    "uploadUrl": (
                        f"{self.upload_origin}/dms-uploads/image/{number}?ca=vector_feedshare"
                    ),
                    "image": image,
                }
            }
        )

    def _video_action(self, request: Request, query: dict[str, str]) -> Response:
        body = request.get_json(silent=True) or {}
        if query.get("action") == "initializeUpload":
            ask = body.get("initializeUploadRequest") or {}
            size = ask.get("fileSizeBytes")
            if ask.get("owner") != self.organization or not isinstance(size, int) or size <= 0:
                return error_body(400, "Invalid initializeUpload request")
            number = next(self._ids)
            urn = f"urn:li:video:D5F10AQ{number}"
            parts = [
                (first, min(first + self.video_part_bytes, size) - 1)
                for first in range(0, size, self.video_part_bytes)
            ]
            self.videos[urn] = _Video(urn=urn, size=size, parts=parts)
            instructions = [
                {
                    "uploadUrl": f"{self.upload_origin}/dms-uploads/video/{number}/{index}",
                    "firstByte": first,
                    "lastByte": last,
                }
                for index, (first, last) in enumerate(parts)
            ]
            return _json(
                {
                    "value": {
                        "uploadUrlsExpireAt": int(time.time() * 1000) + 86_400_000,
                        "video": urn,
                        "uploadInstructions": instructions,
                        "uploadToken": "",
                        "thumbnailUploadUrl": "",
                        "captionsUploadUrl": "",
                    }
                }
            )
        if query.get("action") == "finalizeUpload":
            ask = body.get("finalizeUploadRequest") or {}
            video = self.videos.get(str(ask.get("video")))
            if video is None:
                return error_body(404, "Video not found")
            expected = [video.etags.get(index) for index in range(len(video.parts))]
            if ask.get("uploadedPartIds") != expected:
                return error_body(400, "uploadedPartIds do not match the uploaded parts")
            video.status = "PROCESSING" if self.video_processing_polls else self.video_outcome
            video.polls_left = self.video_processing_polls
            return Response(status=200)
        return error_body(400, "Unsupported action")

    def _video_status(self, urn: str) -> Response:
        video = self.videos.get(unquote(urn))
        if video is None:
            return error_body(404, "Video not found")
        if video.status == "PROCESSING":
            video.polls_left -= 1
            if video.polls_left < 0:
                video.status = self.video_outcome
        return _json({"id": video.urn, "owner": self.organization, "status": video.status})

    def _upload(self, request: Request) -> Response:
        if request.method != "PUT":
            return error_body(405, "Method not allowed")
        headers = dict(request.headers)
        with self._lock:
            image = re.fullmatch(r"/dms-uploads/image/(\d+)", request.path)
            if image:
                self.image_upload_headers.append(headers)
                urn = f"urn:li:image:D4E10AQ{image.group(1)}"
                if urn not in self.images:
                    return error_body(404, "Upload not found")
                self.images[urn] = request.get_data()
                return Response(status=201)
            match = re.fullmatch(r"/dms-uploads/video/(\d+)/(\d+)", request.path)
            if not match:
                return error_body(404, "Upload not found")
            self.video_upload_headers.append(headers)
            video = self.videos.get(f"urn:li:video:D5F10AQ{match.group(1)}")
            index = int(match.group(2))
            if video is None or index >= len(video.parts):
                return error_body(404, "Upload not found")
            first, last = video.parts[index]
            data = request.get_data()
            if len(data) != last - first + 1:
                return error_body(400, "The part's length does not match its byte range")
            video.received[index] = data
            video.etags[index] = f"/ambry-video/signedId/{match.group(1)}-{index}"
            return Response(status=200, headers={"ETag": video.etags[index]})

    def video_bytes(self, urn: str) -> bytes:
        video = self.videos[urn]
        return b"".join(video.received[index] for index in range(len(video.parts)))

    # Posts.

    def _create_post(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        with self._lock:
            refusal = self._post_refusal(body)
            if refusal is not None:
                return refusal
            assert isinstance(body, dict)
            urn = f"urn:li:share:{next(self._ids)}"
            lose = self._lose > 0 or (
                self._lose_probability > 0 and self._random.random() < self._lose_probability
            )
            if self._lose > 0:
                self._lose -= 1
            post = AcceptedPost(
                urn=urn,
                body=body,
                headers=dict(request.headers),
                created_ms=int(time.time() * 1000),
                answered=not lose,
            )
            self._posts.append(post)
            hang_s = self._hang_s
        if lose:
            # The post is made; the answer comes after the client has stopped waiting.
            self._release.wait(hang_s)
        return Response(status=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})

    def _post_refusal(self, body: Any) -> Response | None:
        if not isinstance(body, dict):
            return error_body(400, "Request body is not JSON")
        if body.get("author") != self.organization:
            return error_body(
                403,
                f"Not enough permissions to access: partnerApiPostsExternal.CREATE.{self.version}",
                code="ACCESS_DENIED",
                service_code=100,
            )
        distribution = body.get("distribution") or {}
        if (
            not isinstance(body.get("commentary"), str)
            or body.get("visibility") != "PUBLIC"
            or body.get("lifecycleState") != "PUBLISHED"
            or distribution.get("feedDistribution") != "MAIN_FEED"
        ):
            return error_body(422, "ERROR :: /commentary :: missing or invalid field")
        content = body.get("content") or {}
        ids = []
        if "media" in content:
            ids.append(str(content["media"].get("id")))
        for image in (content.get("multiImage") or {}).get("images", []):
            ids.append(str(image.get("id")))
        for media in ids:
            if media.startswith("urn:li:image:") and self.images.get(media) is None:
                return error_body(422, f"ERROR :: /content/media/id :: {media} was not uploaded")
            if media.startswith("urn:li:video:"):
                video = self.videos.get(media)
                if video is None or video.status != "AVAILABLE":
                    return error_body(422, f"ERROR :: /content/media/id :: {media} is not ready")
        if "article" in content and not content["article"].get("title"):
            return error_body(422, "ERROR :: /content/article/title :: field is required")
        return None

    def _list_posts(self, query: dict[str, str]) -> Response:
        if query.get("q") != "author" or query.get("author") != self.organization:
            return error_body(400, "Invalid finder parameters")
        posts = sorted(
            (post for post in self._posts if not post.deleted),
            key=lambda post: post.created_ms,
            reverse=True,
        )
        rows = [
            {
                "id": post.urn,
                "author": self.organization,
                "commentary": post.body.get("commentary", ""),
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "createdAt": post.created_ms,
                "publishedAt": post.created_ms,
                "lastModifiedAt": post.created_ms,
            }
            for post in posts
        ]
        return _json(_page(rows, query))

    def _read_post(self, urn: str) -> Response:
        # Posts API, "Retrieve Posts": one post by its encoded URN.
        urn = unquote(urn)
        if urn in self.unreadable:
            status = self.unreadable[urn]
            if status == 403:
                return error_body(
                    403, f"Not enough permissions to access: posts.GET.{self.version}",
                    code="ACCESS_DENIED", service_code=100,
                )  # fmt: skip
            return error_body(status, "Post not found")
        if urn in self.member_posts:
            return _json(self.member_posts[urn])
        for post in self._posts:
            if post.urn == urn and not post.deleted:
                return _json(
                    {
                        "id": post.urn,
                        "author": self.organization,
                        "commentary": post.body.get("commentary", ""),
                        "lifecycleState": "PUBLISHED",
                        "createdAt": post.created_ms,
                        "publishedAt": post.created_ms,
                    }
                )
        return error_body(404, "Post not found")

    # Notifications.

    def _notifications(self, request: Request, query: dict[str, str]) -> Response:
        # Organization Social Action Notifications, "Retrieve notifications": the criteria
        # finder, for the page's ADMINISTRATOR only (rw_organization_admin).
        raw = request.query_string.decode()
        if (
            query.get("q") != "criteria"
            or query.get("organizationalEntity") != self.organization
            or "organizationalEntity=urn%3Ali%3Aorganization%3A" not in raw
        ):
            return error_body(400, "Invalid finder parameters")
        actions = re.search(r"(?:^|&)actions=List\(([A-Z_,]+)\)(?:&|$)", raw)
        if actions is None:
            return error_body(400, "actions takes a List of social actions")
        window = re.search(r"(?:^|&)timeRange=\(start:(\d+),end:(\d+)\)(?:&|$)", raw)
        if "timeRange" in query and window is None:
            return error_body(400, "timeRange takes (start:<ms>,end:<ms>)")
        admin = any(
            acl.get("role") == "ADMINISTRATOR" and acl.get("organization") == self.organization
            for acl in self.acls
        )
        if not admin:
            return error_body(
                403,
                "Not enough permissions to access: organizationalEntityNotifications",
                code="ACCESS_DENIED",
                service_code=100,
            )
        wanted = set(actions.group(1).split(","))
        start, end = (int(window.group(1)), int(window.group(2))) if window else (0, 2**63)
        rows = [
            notification
            for notification in self.notifications
            if notification["action"] in wanted and start <= notification["lastModifiedAt"] <= end
        ]
        return _json(_page(rows, query))

    def _delete_post(self, urn: str) -> Response:
        for post in self._posts:
            if post.urn == unquote(urn) and not post.deleted:
                post.deleted = True
                return Response(status=204)
        return error_body(404, "Post not found")

    # Comments.

    def _store_comment(
        self, thread: str, text: str, *, actor: str, created_ms: int, parent: str | None
    ) -> dict[str, Any]:
        comment_id = str(next(self._ids))
        urn = f"urn:li:comment:({thread},{comment_id})"
        comment: dict[str, Any] = {
            "actor": actor,
            "agent": MEMBER if actor.startswith("urn:li:organization:") else actor,
            "commentUrn": urn,
            "created": {"actor": actor, "time": created_ms},
            "lastModified": {"actor": actor, "time": created_ms},
            "id": comment_id,
            "message": {"text": text},
            "object": thread,
        }
        if parent:
            comment["parentComment"] = parent
        comment["commentsSummary"] = {"totalFirstLevelComments": 0, "aggregatedTotalComments": 0}
        for other in self.comments.get(thread, []):
            if parent and other["commentUrn"] == parent:
                other["commentsSummary"]["totalFirstLevelComments"] += 1
                other["commentsSummary"]["aggregatedTotalComments"] += 1
        self.comments.setdefault(thread, []).append(comment)
        return copy.deepcopy(comment)

    def _comments(
        self, request: Request, query: dict[str, str], target: str, comment_id: str | None
    ) -> Response:
        thread = target
        nested = re.fullmatch(r"urn:li:comment:\((.+),(\d+)\)", target)
        if nested:
            thread = nested.group(1)
        if request.method == "GET" and comment_id is None:
            # A post's comments are the first-level ones; a comment's are its replies.
            rows = [
                comment
                for comment in self.comments.get(thread, [])
                if comment.get("parentComment") == (target if nested else None)
            ]
            return _json(_page(rows, query))
        if request.method == "GET" and comment_id is not None:
            for comment in self.comments.get(thread, []):
                if comment["id"] == comment_id:
                    return _json(comment)
            return error_body(404, "Comment not found")
        if request.method == "POST" and comment_id is None:
            body = request.get_json(silent=True) or {}
            if body.get("actor") != self.organization or body.get("object") != thread:
                return error_body(400, "actor and object must name the page and the thread")
            if nested and body.get("parentComment") != target:
                return error_body(400, "parentComment must name the comment replied to")
            text = (body.get("message") or {}).get("text")
            if not isinstance(text, str) or not text:
                return error_body(422, "ERROR :: /message/text :: field is required")
            comment = self._store_comment(
                thread,
                text,
                actor=self.organization,
                created_ms=int(time.time() * 1000),
                parent=target if nested else None,
            )
            return _json(comment, status=201, headers={"x-restli-id": comment["id"]})
        if request.method == "DELETE" and comment_id is not None:
            if query.get("actor") != self.organization:
                return error_body(403, "Not enough permissions", code="ACCESS_DENIED")
            rows = self.comments.get(thread, [])
            for comment in rows:
                if comment["id"] == comment_id:
                    rows.remove(comment)
                    return Response(status=204)
            return error_body(404, "Comment not found")
        return error_body(405, "Method not allowed")

    # Figures.

    def _share_statistics(self, request: Request) -> Response:
        raw = request.query_string.decode()
        query = {key: values[-1] for key, values in parse_qs(raw).items()}
        if (
            query.get("q") != "organizationalEntity"
            or query.get("organizationalEntity") != self.organization
        ):
            return error_body(400, "Invalid finder parameters")
        match = re.search(r"(shares|ugcPosts)=List\(([^)]*)\)", raw)
        if not match or "urn:li:" in match.group(2):
            return error_body(400, "shares and ugcPosts take a List of encoded URNs")
        elements = []
        for urn in (unquote(part) for part in match.group(2).split(",")):
            if urn in self.statistics:
                key = "share" if match.group(1) == "shares" else "ugcPost"
                elements.append(
                    {
                        key: urn,
                        "organizationalEntity": self.organization,
                        "totalShareStatistics": dict(self.statistics[urn]),
                    }
                )
        return _json({"paging": {"count": 10, "start": 0, "links": []}, "elements": elements})


def _organization(organization_id: str, vanity_name: str, localized_name: str) -> dict[str, Any]:
    return {
        "id": int(organization_id),
        "vanityName": vanity_name,
        "localizedName": localized_name,
        "name": {
            "localized": {"en_US": localized_name},
            "preferredLocale": {"country": "US", "language": "en"},
        },
        "primaryOrganizationType": "NONE",
        "locations": [],
        "$URN": f"urn:li:organization:{organization_id}",
    }


def _page(rows: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """One page of a Rest.li collection, with `paging` as the API writes it."""
    start = int(query.get("start") or 0)
    count = int(query.get("count") or 10)
    return {
        "paging": {"start": start, "count": count, "total": len(rows), "links": []},
        "elements": copy.deepcopy(rows[start : start + count]),
    }
