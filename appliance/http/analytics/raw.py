"""Raw ASGI for the tracking routes: read a bounded body, write JSON, the GIF or a preflight.

Litestar's request and response objects cost more per hit than ingestion itself, so the
tracking routes speak ASGI directly through these few helpers. Every answer here carries
`Access-Control-Allow-Origin: *` and `Cache-Control: no-store`.
"""

from __future__ import annotations

import functools
from typing import cast

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from appliance.http.analytics.shape import CODES

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
Headers = list[tuple[bytes, bytes]]

CORS = (b"access-control-allow-origin", b"*")
NO_STORE = (b"cache-control", b"no-store")
GIF_HEADERS: Headers = [
    (b"content-type", b"image/gif"),
    (b"content-length", str(len(GIF)).encode()),
    NO_STORE,
    CORS,
]
PREFLIGHT_HEADERS: Headers = [
    CORS,
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"Content-Type, Authorization"),
    (b"access-control-max-age", b"86400"),
    (b"content-length", b"0"),
]


class _Error(msgspec.Struct):
    ok: bool
    error: str
    code: str


encode = msgspec.json.Encoder().encode


class TooLarge(Exception):
    """The body is over the limit (said by Content-Length, or found while reading)."""


class Disconnected(Exception):
    """The client went away before its body arrived: there is no one to answer."""


@functools.lru_cache(maxsize=4096)
def _agent_text(value: bytes) -> str:
    # A few hundred User-Agents make most traffic: one str each, shared by every cache keyed by it.
    return value.decode("latin-1")


class RawRequest:
    """The parts of a request the tracking routes look at, read from the scope's headers once."""

    __slots__ = (
        "authorization",
        "content_length",
        "content_type",
        "forwarded_for",
        "referer",
        "scope",
        "user_agent",
    )

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.content_type = ""
        self.content_length = -1
        self.user_agent = ""
        self.authorization = ""
        self.referer: str | None = None
        self.forwarded_for = ""  # every X-Forwarded-For line, in order, joined with commas
        for name, value in scope["headers"]:
            if name == b"content-type":
                self.content_type = value.decode("latin-1").partition(";")[0].strip().lower()
            elif name == b"content-length":
                self.content_length = int(value) if value.isdigit() else -1
            elif name == b"user-agent":
                self.user_agent = _agent_text(value) if len(value) <= 512 else value.decode("latin-1")
            elif name == b"authorization":
                self.authorization = value.decode("latin-1")
            elif name == b"referer":
                self.referer = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                text = value.decode("latin-1")
                self.forwarded_for = f"{self.forwarded_for},{text}" if self.forwarded_for else text

    @property
    def peer(self) -> str:
        """The socket peer's address; "" when the server gave none."""
        client = self.scope.get("client")
        return client[0] if client else ""

    def bearer(self) -> str | None:
        scheme, _, token = self.authorization.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def read_body(receive: Receive, request: RawRequest, limit: int) -> bytes:
    """The whole body; TooLarge past `limit` bytes (without reading the rest), or Disconnected."""
    if request.content_length > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = cast(bytes, message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_raw(send: Send, status: int, headers: Headers, body: bytes) -> None:
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    message: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(message)


async def send_json(send: Send, status: int, body: bytes, extra: Headers | None = None) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        NO_STORE,
        CORS,
        *(extra or ()),
    ]
    await send_raw(send, status, headers, body)


async def send_gif(send: Send) -> None:
    await send_raw(send, 200, GIF_HEADERS, GIF)


async def send_preflight(send: Send) -> None:
    await send_raw(send, 204, PREFLIGHT_HEADERS, b"")


async def method_allowed(method: str, allowed: str, send: Send) -> bool:
    """Whether a raw route should go on with `method`: a CORS preflight is answered 204 and any
    method but `allowed` 405, both here."""
    if method == "OPTIONS":
        await send_preflight(send)
        return False
    if method != allowed:
        await send_error(send, 405, "Method not allowed.", [(b"allow", f"{allowed}, OPTIONS".encode())])
        return False
    return True


def error_body(status: int, message: str) -> bytes:
    """Spec 004's error format: `{"ok": false, "error", "code"}`."""
    return encode(_Error(ok=False, error=message, code=CODES.get(status, "VALIDATION_ERROR")))


async def send_error(send: Send, status: int, message: str, extra: Headers | None = None) -> None:
    await send_json(send, status, error_body(status, message), extra)
