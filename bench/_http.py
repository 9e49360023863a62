"""A lean HTTP/1.1 client for load generators: keep-alive connections on asyncio streams.

A load generator on the same machine as the server takes its CPU from the server: a
general client (redirects, cookies, encodings, HTTP/2) costs several milliseconds a
request, which at a hundred requests a second is a good part of a core. This one does
what a browser's poll does and nothing else: one request per connection at a time, the
connection kept for the next request, bodies read by Content-Length or chunks.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode


class HTTPError(Exception):
    """The server closed the connection or answered something that is not HTTP/1.1."""


class Response:
    def __init__(self, status_code: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_code = status_code
        self.raw_headers = headers
        self.content = body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def header(self, name: str, default: str = "") -> str:
        name = name.lower()
        return next((value for key, value in self.raw_headers if key == name), default)

    def header_list(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.raw_headers if key == name]


class Client:
    """Requests to one host and port; idle connections are kept for the next request."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> Response:
        body = urlencode(data).encode() if data is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
        if data is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        reused = bool(self._idle)
        reader, writer = self._idle.pop() if reused else await self._connect()
        try:
            writer.write(head + body)
            response, keep = await self._read(reader, method)
        except (OSError, asyncio.IncompleteReadError, HTTPError):
            writer.close()
            if not reused:
                raise
            # A kept connection the server had closed meanwhile: once more on a new one.
            return await self.request(method, path, headers=headers, data=data)
        except BaseException:  # cancelled or timed out: the connection is in an unknown state
            writer.close()
            raise
        if keep:
            self._idle.append((reader, writer))
        else:
            writer.close()
        return response

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, headers=headers)

    async def post(
        self, path: str, *, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> Response:
        return await self.request("POST", path, headers=headers, data=data)

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port, limit=2**20)

    @staticmethod
    async def _read(reader: asyncio.StreamReader, method: str) -> tuple[Response, bool]:
        status_line = await reader.readline()
        if not status_line.startswith(b"HTTP/1."):
            raise HTTPError(f"not an HTTP answer: {status_line[:40]!r}")
        status = int(status_line.split(b" ", 2)[1])
        headers: list[tuple[str, str]] = []
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            key, _, value = line.decode("latin-1").partition(":")
            headers.append((key.strip().lower(), value.strip()))
        fields = dict(headers)
        keep = fields.get("connection", "").lower() != "close"
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            parts = []
            while size := int((await reader.readline()).split(b";")[0], 16):
                parts.append(await reader.readexactly(size))
                await reader.readline()
            while await reader.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            body = b"".join(parts)
        elif "content-length" in fields:
            body = await reader.readexactly(int(fields["content-length"]))
        else:
            body, keep = await reader.read(), False
        return Response(status, headers, body), keep
