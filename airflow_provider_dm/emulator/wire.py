"""What a handler receives and returns, and the protocol's error shapes (§9.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

JsonDict = dict[str, Any]

LOGIN_REQUIRED: JsonDict = {"message": "login_required", "logout_reason": 3, "status": "fail"}
TRANSCODE_PENDING: JsonDict = {"message": "Transcode not finished yet.", "status": "fail"}
FEEDBACK_REQUIRED: JsonDict = {  # HTTP 400: the action / spam block
    "message": "feedback_required",
    "spam": True,
    "feedback_title": "Action Blocked",
    "feedback_message": "This action was blocked. Please try again later.",
    "feedback_url": "repute/report_problem/instagram_direct_v2_thread_create/",
    "feedback_appeal_label": "Tell us",
    "feedback_ignore_label": "OK",
    "feedback_action": "report_problem",
    "status": "fail",
}


class Headers:
    """Request headers: case-insensitive `get`, original names and order in `items()`."""

    __slots__ = ("_by_name", "_pairs")

    def __init__(self) -> None:
        self._by_name: dict[str, str] = {}
        self._pairs: list[tuple[str, str]] = []

    def add(self, name: str, value: str) -> None:
        """Record one header line (a repeated name keeps its first value for `get`)."""
        self._pairs.append((name, value))
        self._by_name.setdefault(name.lower(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of a header, case-insensitively."""
        return self._by_name.get(name.lower(), default)

    def items(self) -> list[tuple[str, str]]:
        """Every header as received."""
        return list(self._pairs)


@dataclass
class Request:
    """One parsed HTTP request as the handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    params: dict[str, str] = field(default_factory=dict)
    form: JsonDict = field(default_factory=dict)
    viewer: int | None = None
    sessionid: str | None = None
    body: BinaryIO | None = None
    body_length: int | None = None
    chunked: bool = False
    drop_after_bytes: int | None = None  # a `drop` fault on an upload: cut after this many bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, case-insensitively."""
        value = self.headers.get(name)
        return default if value is None else value


@dataclass
class Response:
    """A JSON answer: HTTP status, body and extra headers."""

    body: JsonDict
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        """The body as compact UTF-8 JSON."""
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


class ApiError(Exception):
    """A protocol-shaped failure: raised by handlers, answered as JSON with `status: fail`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.commit = False  # True: keep the handler's writes although the answer is an error
        self.status = status
        self.body: JsonDict = {"message": message, **extra, "status": "fail"}
        self.headers = headers or {}

    @classmethod
    def shaped(cls, status: int, body: JsonDict, headers: dict[str, str] | None = None) -> ApiError:
        """An error whose body is given whole (e.g. the login_required shape)."""
        error = cls(status, str(body.get("message", "")), headers=headers)
        error.body = dict(body)
        return error

    def response(self) -> Response:
        """This error as a response."""
        return Response(self.body, self.status, self.headers)


class DropConnection(Exception):
    """Close the client connection without writing a response (fault injection)."""


class BodyError(Exception):
    """The request body cannot be read (bad chunked framing, short body)."""


def read_chunks(
    stream: BinaryIO, length: int | None, chunked: bool, size: int = 1 << 20
) -> Iterator[bytes]:
    """The request body in pieces of at most `size` bytes: Content-Length or chunked framing."""
    if chunked:
        while True:
            line = stream.readline(1024)
            try:
                remaining = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BodyError("bad chunk size line") from None
            if remaining == 0:
                while stream.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            while remaining:
                piece = stream.read(min(size, remaining))
                if not piece:
                    raise BodyError("connection closed inside a chunk")
                remaining -= len(piece)
                yield piece
            stream.readline(1024)
        return
    remaining = length or 0
    while remaining > 0:
        piece = stream.read(min(size, remaining))
        if not piece:
            raise BodyError("connection closed before the end of the body")
        remaining -= len(piece)
        yield piece


def bad_request(message: str, **extra: Any) -> ApiError:
    """A 400 whose message names the offending field."""
    return ApiError(400, message, **extra)


def not_found(message: str = "Not Found") -> ApiError:
    """A 404 in the protocol's JSON shape."""
    return ApiError(404, message)


def ok(**body: Any) -> Response:
    """A 200 `status: ok` response."""
    return Response({**body, "status": "ok"})
