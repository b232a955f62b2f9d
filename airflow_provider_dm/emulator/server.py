"""The emulator's HTTP server: `Emulator`, the request handler, the routing table, body parsing.

One port serves the API under `/api/v1/`, the upload routes and the admin API under
`/__emulator/`. It binds to loopback unless told otherwise, and the admin API answers 403 to
any caller that is not on this machine's loopback. HTTP/1.1 keep-alive, every response with
a Content-Length. Each request goes: route → body → header and session checks → fault rules
→ send limits → handler (in one SQLite transaction) → request log → response. Faults
therefore hit only requests that passed those checks, and the log holds every request before
its client sees the answer. The routing table marks the item-creating routes, whose requests
the send limits count.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from socketserver import StreamRequestHandler
from types import TracebackType

from airflow_provider_dm.emulator import admin, auth, broadcast, feeds, graph, inbox, rupload
from airflow_provider_dm.emulator.faults import Faults
from airflow_provider_dm.emulator.multipart import parse_multipart
from airflow_provider_dm.emulator.seed import apply_seed, check_seed
from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.store import Store
from airflow_provider_dm.emulator.wire import (
    ApiError,
    BodyError,
    DropConnection,
    Headers,
    JsonDict,
    Request,
    Response,
    read_chunks,
)

log = logging.getLogger(__name__)

API = "/api/v1/"
MAX_FORM_BODY = 64 << 20
DRAIN_LIMIT = 8 << 20
MAX_LINE = 65537
MAX_HEADERS = 200
REASONS = {status.value: status.phrase for status in HTTPStatus}
SECRET_FIELDS = frozenset(
    {"enc_password", "password", "verification_code", "security_code", "sessionid"}
)
SECRET_HEADERS = frozenset({"authorization", "cookie"})
SECRET_QUERY = frozenset({"access_token", "client_secret"})

Handler = Callable[[EmulatorState, Request], Response]
Creates = Callable[[EmulatorState, Request], bool]


@dataclass(frozen=True)
class Route:
    """One entry of the routing table."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler
    public: bool = False  # no session needed
    mode: str = "tx"  # tx: form body, handler in a transaction; stream: raw body; admin
    any_agent: bool = False  # answered whatever the User-Agent (pre-login key fetches)
    creates: Creates | None = None  # which requests create items: the send limits count them


def every_request(ctx: EmulatorState, req: Request) -> bool:
    """Every request of the route creates an item (the broadcasts)."""
    return True


def _api(
    methods: str,
    pattern: str,
    handler: Handler,
    *,
    public: bool = False,
    any_agent: bool = False,
    creates: Creates | None = None,
) -> Route:
    regex = re.compile(f"^{API}{pattern}/?$")
    return Route(
        frozenset(methods.split()), regex, handler, public, any_agent=any_agent, creates=creates
    )


_CHALLENGE = r"challenge/(?P<uid>\d+)/(?P<nonce>[^/]+)"
_THREAD = r"direct_v2/threads/(?P<thread_id>\d+)"
_UPLOAD = r"^/(?P<route>rupload_igphoto|rupload_igvideo|messenger_image|messenger_video|messenger_audio)/(?P<name>[^/]+)/?$"  # noqa: E501

ROUTES: list[Route] = [
    _api("GET POST", "qe/sync", auth.handle_sync, public=True, any_agent=True),
    _api("GET POST", "launcher/sync", auth.handle_sync, public=True, any_agent=True),
    _api("GET POST", "zr/token/result", auth.handle_sync, public=True, any_agent=True),
    _api(
        "GET POST", "accounts/contact_point_prefill", auth.handle_sync, public=True, any_agent=True
    ),
    _api("GET POST", "accounts/get_prefill_candidates", auth.handle_sync, public=True),
    _api("POST", "accounts/login", auth.handle_login, public=True),
    _api("POST", "accounts/two_factor_login", auth.handle_two_factor, public=True),
    _api(
        "GET POST", r"challenge/(?P<uid>\d+)/(?P<nonce>[^/]+)", auth.handle_challenge, public=True
    ),
    Route(
        frozenset({"GET", "POST"}),
        re.compile(f"^/{_CHALLENGE}/?$"),
        auth.handle_challenge,
        public=True,
    ),
    _api("GET", "accounts/current_user", auth.handle_current_user),
    _api("POST", "accounts/logout", auth.handle_logout),
    _api("GET POST", "feed/reels_tray", feeds.handle_reels_tray),
    _api("GET POST", "feed/timeline", feeds.handle_timeline),
    _api("GET", r"users/(?P<username>[A-Za-z0-9._]+)/usernameinfo", inbox.handle_usernameinfo),
    _api("GET", r"users/(?P<pk>\d+)/info", inbox.handle_user_info),
    _api("GET", "users/search", inbox.handle_search),
    _api("GET", r"feed/user/(?P<user_id>\d+)", inbox.handle_user_feed),
    _api("GET", "direct_v2/inbox", inbox.handle_inbox),
    _api("GET", "direct_v2/pending_inbox", inbox.handle_pending_inbox),
    _api("GET", "direct_v2/spam_inbox", inbox.handle_spam_inbox),
    _api("GET", "direct_v2/async_get_pending_requests_preview", inbox.handle_pending_preview),
    _api("GET", "direct_v2/ranked_recipients", inbox.handle_ranked_recipients),
    _api("GET", "direct_v2/threads/get_by_participants", inbox.handle_by_participants),
    _api("POST", "direct_v2/create_group_thread", inbox.handle_create_group),
    _api("POST", "direct_v2/threads/approve_multiple", inbox.handle_approve_multiple),
    _api("POST", "direct_v2/threads/decline_multiple", inbox.handle_decline_multiple),
    _api("POST", "direct_v2/threads/decline_all", inbox.handle_decline_all),
    _api(
        "POST",
        r"direct_v2/threads/broadcast/(?P<kind>[a-z_]+)",
        broadcast.handle_broadcast,
        creates=every_request,
    ),
    _api("GET", _THREAD, inbox.handle_thread),
    _api("POST", f"{_THREAD}/approve", inbox.handle_approve),
    _api("POST", f"{_THREAD}/decline", inbox.handle_decline),
    _api("POST", f"{_THREAD}/hide", inbox.handle_hide),
    _api("POST", f"{_THREAD}/mute", inbox.handle_mute),
    _api("POST", f"{_THREAD}/unmute", inbox.handle_unmute),
    _api("POST", f"{_THREAD}/mark_unread", inbox.handle_mark_unread),
    _api("POST", f"{_THREAD}/leave", inbox.handle_leave),
    _api("POST", f"{_THREAD}/update_title", inbox.handle_update_title),
    _api("POST", f"{_THREAD}/add_user", inbox.handle_add_user),
    _api("POST", rf"{_THREAD}/items/(?P<item_id>\d+)/seen", inbox.handle_seen),
    _api("POST", rf"{_THREAD}/items/(?P<item_id>\d+)/delete", inbox.handle_delete_item),
    _api("POST", "media/upload_finish", rupload.handle_upload_finish),
    Route(
        frozenset({"POST"}),
        re.compile(_UPLOAD),
        rupload.handle_upload,
        mode="stream",
        creates=rupload.starts_upload,
    ),
    Route(frozenset({"GET"}), re.compile(_UPLOAD), rupload.handle_offset, mode="stream"),
]
ADMIN: dict[str, tuple[frozenset[str], Handler]] = {
    "ledger": (frozenset({"GET"}), admin.handle_ledger),
    "requests": (frozenset({"GET"}), admin.handle_requests),
    "faults": (frozenset({"GET", "POST", "DELETE"}), admin.handle_faults),
    "faults/random": (frozenset({"GET", "POST", "DELETE"}), admin.handle_random_faults),
    "faults/fired": (frozenset({"GET"}), admin.handle_fired_faults),
    "reset": (frozenset({"POST"}), admin.handle_reset),
    "seed": (frozenset({"GET"}), admin.handle_seed),
    "config": (frozenset({"GET", "POST"}), admin.handle_config),
    "incoming": (frozenset({"POST"}), admin.handle_incoming),
    "message_request": (frozenset({"POST"}), admin.handle_message_request),
    "limits": (frozenset({"GET", "POST", "DELETE"}), admin.handle_limits),
    "graph/token": (frozenset({"POST"}), graph.handle_token),
    "graph/rates": (frozenset({"POST"}), graph.handle_rates),
}


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, path params, whether the path exists for some other method)."""
    exists = False
    for route in ROUTES:
        match = route.pattern.match(path)
        if match:
            if method in route.methods:
                return route, match.groupdict(), True
            exists = True
    return None, {}, exists


def parse_form(content_type: str, body: bytes) -> JsonDict:
    """A urlencoded (or JSON) body as a dict; `signed_body=<sig>.<json>` is opened (§1.2)."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(400, "Invalid body: not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid body: expected a JSON object")
        return data
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
        )
    except UnicodeDecodeError:
        raise ApiError(400, "Invalid body: not UTF-8 form data") from None
    form: JsonDict = dict(pairs)
    signed = form.pop("signed_body", None)
    if signed is not None:
        _, dot, payload = signed.partition(".")
        if not dot:
            raise ApiError(400, "Invalid signed_body: expected <signature>.<json>")
        try:
            data = json.loads(payload)
        except ValueError:
            raise ApiError(400, "Invalid signed_body: the part after '.' is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid signed_body: expected a JSON object")
        form.update(data)
    return form


def redact_form(form: JsonDict) -> JsonDict:
    """The form with passwords, codes and session ids replaced by `***`."""
    return {k: (admin.REDACTED if k in SECRET_FIELDS else v) for k, v in form.items()}


def redact_headers(headers: object) -> dict[str, str]:
    """The request headers with Authorization and cookies replaced by `***`."""
    result = {}
    for name, value in headers.items():  # type: ignore[attr-defined]
        if name.lower() in SECRET_HEADERS:
            value = "Bearer IGT:2:***" if value.startswith("Bearer IGT:2:") else admin.REDACTED
        result[name] = value
    return result


class RequestHandler(StreamRequestHandler):
    """Reads HTTP/1.1 requests off one keep-alive connection and serves each in turn.

    A small parser of its own instead of `http.server`'s (which builds an email message per
    request): it halves the per-request cost, and the emulator must not be the bottleneck.
    """

    server_version = "dm-emulator/1"
    disable_nagle_algorithm = True
    timeout = 120
    server: EmulatorHTTPServer

    def handle(self) -> None:
        """Serve requests until the client closes, asks to close, or a response closes."""
        self.close_connection = False
        while not self.close_connection:
            try:
                if not self._read_head():
                    return
            except (OSError, ValueError, UnicodeDecodeError):
                return
            self.dispatch()

    def _read_head(self) -> bool:
        line = self.rfile.readline(MAX_LINE)
        while line in (b"\r\n", b"\n"):
            line = self.rfile.readline(MAX_LINE)
        if not line:
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._send(Response({"message": "Bad request line", "status": "fail"}, 400))
            return False
        self.command, self.path, version = parts
        headers = Headers()
        for _ in range(MAX_HEADERS):
            raw = self.rfile.readline(MAX_LINE)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers.add(name.strip(), value.strip())
        self.headers = headers
        connection = (headers.get("Connection") or "").lower()
        self.close_connection = version == "HTTP/1.0" or connection == "close"
        if (headers.get("Expect") or "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    # -- body handling ------------------------------------------------------------------------

    def _framing(self) -> tuple[int | None, bool]:
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        raw = self.headers.get("Content-Length")
        if chunked or raw is None:
            return None, chunked
        if not raw.strip().isdigit():
            self.close_connection = True
            raise ApiError(400, "Invalid Content-Length")
        return int(raw), False

    def _read_body(self, length: int | None, chunked: bool) -> bytes:
        if length is not None and length > MAX_FORM_BODY:
            raise ApiError(413, "Request body too large")
        pieces, size = [], 0
        for piece in read_chunks(self.rfile, length, chunked):
            size += len(piece)
            if size > MAX_FORM_BODY:
                raise ApiError(413, "Request body too large")
            pieces.append(piece)
        return b"".join(pieces)

    def _drain(self, length: int | None, chunked: bool) -> None:
        """Discard an unread body if small; otherwise the connection is closed after answering."""
        if (length or 0) == 0 and not chunked:
            return
        if chunked or length is None or length > DRAIN_LIMIT:
            self.close_connection = True
            return
        for _ in read_chunks(self.rfile, length, False):
            pass

    def _discard(self, req: Request) -> None:
        """After an early answer: drop what is left of the body, or give up the connection."""
        if req.body is not None:  # a streamed body may be partly read: the framing is lost
            self.close_connection = True
            return
        try:
            self._drain(req.body_length, req.chunked)
        except (BodyError, OSError):
            self.close_connection = True

    # -- the request ----------------------------------------------------------------------------

    def dispatch(self) -> None:
        """Serve one request end to end."""
        ctx = self.server.ctx
        method = self.command
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        req = Request(method=method, path=path, query=query, headers=self.headers)
        body_pending = True
        try:
            length, chunked = self._framing()
            req.body_length, req.chunked = length, chunked
            if path.startswith("/__emulator/"):
                self._admin(ctx, req, path[len("/__emulator/") :].strip("/"))
                return
            if path.startswith(graph.PREFIX):
                body_pending = False
                raise _Answer(self._graph(ctx, req, length, chunked))
            route, params, exists = resolve(method, path)
            req.params = params
            if route is None:
                raise ApiError(405, "Method Not Allowed") if exists else ApiError(404, "Not Found")
            if route.mode != "stream":
                req.form = parse_form(
                    self.headers.get("Content-Type") or "", self._read_body(length, chunked)
                )
                body_pending = False
            self._check_headers(req, route)
            if not route.public:
                with ctx.store.lock:
                    auth.require_session(ctx, req)
            fault = ctx.faults.take(method, path, random_ok=not route.public)
            drop_after = False
            slow_answer = 0.0
            if fault is not None:
                if fault.action == "delay":
                    time.sleep(float(fault.params.get("seconds", 1)))
                elif fault.action == "slow_answer":
                    slow_answer = float(fault.params.get("seconds", 1))
                elif fault.action == "drop_after":
                    drop_after = True
                elif fault.action == "drop":
                    if route.mode == "stream" and "after_bytes" in fault.params:
                        req.drop_after_bytes = int(fault.params["after_bytes"])
                    else:
                        if body_pending:
                            self._discard(req)
                        raise DropConnection()
                elif fault.action == "media_needs_reupload":
                    raise _Answer(fault.reupload())
                else:
                    if fault.action == "expire_session" and req.sessionid is not None:
                        auth.expire_session(ctx, req.sessionid)
                    error = fault.error()
                    assert error is not None
                    raise error
            if (
                route.creates is not None
                and ctx.limits.covers(req.viewer)
                and route.creates(ctx, req)
            ):
                ctx.limits.admit(req.viewer)
            if route.mode == "stream":
                req.body = self.rfile
                response = route.handler(ctx, req)
                body_pending = False
            else:
                with ctx.store.transaction():
                    response = route.handler(ctx, req)
            if drop_after:
                raise DropConnection()
            if slow_answer:
                time.sleep(slow_answer)
        except _Answer as answer:
            response = answer.response
        except ApiError as error:
            response = error.response()
        except DropConnection:
            self._log(req, 0)
            self._drop()
            return
        except BodyError as exc:
            self.close_connection = True
            response = Response({"message": f"Invalid body: {exc}", "status": "fail"}, 400)
        except Exception as exc:  # never a stack trace in the body
            log.exception("handler failed for %s %s", method, path)
            self.close_connection = True
            response = Response(
                {"message": f"Internal error: {type(exc).__name__}", "status": "fail"}, 500
            )
        if body_pending:
            self._discard(req)
        self._log(req, response.status)  # before answering: a client reading the log sees it
        self._send(response)

    def _admin(self, ctx: EmulatorState, req: Request, name: str) -> None:
        entry = ADMIN.get(name)
        try:
            body = self._read_body(req.body_length, req.chunked)
            if not is_loopback(str(self.client_address[0])):
                raise ApiError(403, "the admin API answers only this machine (loopback)")
            if entry is None:
                raise ApiError(404, "Not Found")
            methods, handler = entry
            if req.method not in methods:
                raise ApiError(405, "Method Not Allowed")
            req.form = parse_form("application/json", body) if body.strip() else {}
            response = handler(ctx, req)
        except ApiError as error:
            response = error.response()
        except Exception as exc:
            log.exception("admin handler failed for %s", name)
            response = Response(
                {"message": f"Internal error: {type(exc).__name__}", "status": "fail"}, 500
            )
        self._send(response)

    def _graph(
        self, ctx: EmulatorState, req: Request, length: int | None, chunked: bool
    ) -> Response:
        """A Graph API request: JSON, form or multipart body, fault rules, then `graph.handle`;
        `drop_after` and `slow_answer` act after the request was handled (a send is stored)."""
        content_type = self.headers.get("Content-Type") or ""
        body = self._read_body(length, chunked)
        if content_type.startswith("multipart/form-data"):
            req.form = graph.decode_body(parse_multipart(content_type, body))
        else:
            req.form = graph.decode_body(parse_form(content_type, body))
        fault = ctx.faults.take(req.method, req.path)
        if fault is not None and fault.action not in ("drop_after", "slow_answer"):
            if fault.action == "delay":
                time.sleep(float(fault.params.get("seconds", 1)))
            elif fault.action == "drop":
                raise DropConnection()
            else:
                error = graph.fault_error(fault.action) or fault.error()
                assert error is not None
                raise error
        response = graph.handle(ctx, req)
        if fault is not None and fault.action == "drop_after":
            raise DropConnection()
        if fault is not None and fault.action == "slow_answer":
            time.sleep(float(fault.params.get("seconds", 1)))
        return response

    def _check_headers(self, req: Request, route: Route) -> None:
        if not req.path.startswith(API) or route.any_agent:
            return
        agent = req.header("User-Agent") or ""
        if not agent.startswith("Instagram "):
            raise ApiError(400, "Invalid User-Agent: it must start with 'Instagram '")
        if not req.header("X-IG-App-ID"):
            raise ApiError(400, "Missing header: X-IG-App-ID")

    # -- output ---------------------------------------------------------------------------------

    def _send(self, response: Response) -> None:
        body = response.encode()
        reason = REASONS.get(response.status, "")
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}",
            f"Server: {self.server_version}",
        ]
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        try:
            self.wfile.write(head + body)
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _log(self, req: Request, status: int) -> None:
        self.server.ctx.store.log_request(
            {
                "method": req.method,
                "path": req.path,
                "query": {
                    k: (admin.REDACTED if k in SECRET_QUERY else v) for k, v in req.query.items()
                },
                "headers": redact_headers(req.headers),
                "form": redact_form(req.form),
                "status": status,
            }
        )


class _Answer(Exception):
    """A ready response that short-cuts the normal handling (fault injection)."""

    def __init__(self, response: Response) -> None:
        super().__init__("answer")
        self.response = response


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback: the admin API's only callers."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the emulator's context."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], ctx: EmulatorState) -> None:
        super().__init__(address, RequestHandler)
        self.ctx = ctx


class Emulator:
    """The protocol emulator on one port; start/stop it, or use it as a context manager.
    ``dedupe=False`` starts it without its own dedupe of repeated ``client_context`` tokens."""

    def __init__(
        self,
        db_path: str | Path,
        seed: str = "demo",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        transcode_polls: int = 1,
        dedupe: bool = True,
    ) -> None:
        self.db_path = Path(db_path)
        self.seed = check_seed(seed)
        self.host = host
        self.port = port
        self.transcode_polls = transcode_polls
        self.dedupe = dedupe
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`http://HOST:PORT`, no trailing slash."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self._server.server_address[1]}"

    def start(self) -> Emulator:
        """Seed the database, bind the port and serve in background threads."""
        store = Store(self.db_path)
        apply_seed(store, self.seed)
        ctx = EmulatorState(
            store=store,
            faults=Faults(),
            seed=self.seed,
            transcode_polls=self.transcode_polls,
            dedupe=self.dedupe,
        )
        self._server = EmulatorHTTPServer((self.host, self.port), ctx)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="dm-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the database."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.ctx.store.close()
        self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
