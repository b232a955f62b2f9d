"""Hostile answers: malformed, truncated and drifted JSON (unknown item types, nulls, missing
keys, huge ids as numbers and as strings) fed to the client's response parsers over real HTTP.

The emulator answers only well-formed JSON, so a small loopback server of this module serves
whatever body an example draws: it stands in for a service that drifted or broke, which cannot
be had here. Whatever it answers, the client raises nothing but ``DirectError`` subclasses,
and a page keeps every well-formed thread it holds; so does the inbox operator in a DAG run.
``DM_HOSTILE_EXAMPLES`` raises the number of examples (60) for a longer hunt.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from airflow_provider_dm.client import DirectClient, SessionState
from airflow_provider_dm.client.errors import DirectError, error_for
from airflow_provider_dm.operators.inbox import thread_summary
from airflow_provider_dm.operators.thread import item_summary

# Hypothesis' caches go to the test run's temporary folder, not the working tree.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "hypothesis"))
EXAMPLES = settings(
    max_examples=int(os.environ.get("DM_HOSTILE_EXAMPLES", "60")),
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HUGE = [10**19, -(10**19), 10**40, "9" * 40, "9" * 400, 1e308, -1, 0, "", "NaN", "1e999"]
ITEM_TYPES = ["text", "link", "media", "profile", "xma_story_share", "hologram", "", None, 7]


class _Answers(BaseHTTPRequestHandler):
    """Answers every request with the server's current status, body and headers."""

    server: _HostileServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("ig-set-authorization", "Bearer IGT:2:hostile")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        """Quiet: the examples make hundreds of requests."""


class _HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    status = 200
    body = b"{}"


@pytest.fixture(scope="module")
def hostile() -> Iterator[_HostileServer]:
    server = _HostileServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def client(hostile: _HostileServer) -> Iterator[DirectClient]:
    url = f"http://127.0.0.1:{hostile.server_address[1]}"
    state = SessionState(authorization="Bearer IGT:2:session", user_id=1, username="viewer")
    with DirectClient(
        api_url=f"{url}/api/v1/", upload_url=f"{url}/", state=state, retry_attempts=1
    ) as direct:
        yield direct


def _user(pk: int) -> dict[str, Any]:
    return {"pk": pk, "pk_id": str(pk), "username": f"user{pk}", "full_name": "A B"}


def _item(index: int) -> dict[str, Any]:
    return {
        "item_id": str(30000000000000000000000000 + index),
        "user_id": 1000 + index,
        "timestamp": 1767225600000000 - index,
        "item_type": "text",
        "text": f"message {index}",
        "client_context": f"ctx{index}",
    }


def _thread(index: int) -> dict[str, Any]:
    return {
        "thread_id": str(340282366841710300949128000000000000 + index),
        "thread_v2_id": str(17840000000000000 + index),
        "thread_title": f"thread {index}",
        "users": [_user(5110000100 + index)],
        "items": [_item(index * 10 + n) for n in range(3)],
        "last_activity_at": 1767225600000000 - index,
        "viewer_id": 1,
        "pending": False,
        "has_older": False,
        "oldest_cursor": None,
    }


def _inbox(threads: list[Any]) -> dict[str, Any]:
    return {
        "inbox": {"threads": threads, "has_older": False, "oldest_cursor": None},
        "seq_id": 1,
        "status": "ok",
    }


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(HUGE),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@st.composite
def drifted(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with keys dropped, nulled or replaced by junk, at any depth."""
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            fate = draw(
                st.sampled_from(["keep", "keep", "keep", "drift", "drop", "null", "junk", "shape"])
            )
            if fate == "drop":
                continue
            if key == "item_type" and fate != "keep":
                out[key] = draw(st.sampled_from(ITEM_TYPES))
            elif fate == "null":
                out[key] = None
            elif fate == "shape":
                out[key] = [inner] if isinstance(inner, dict) else {"value": inner}
            elif fate == "junk":
                out[key] = draw(junk)
            elif fate == "drift":
                out[key] = draw(drifted(inner))
            else:
                out[key] = inner
        if draw(st.booleans()):
            out[draw(st.text(max_size=6))] = draw(junk)
        return out
    if isinstance(value, list):
        return [draw(drifted(inner)) for inner in value if draw(st.integers(0, 4))]
    return draw(st.one_of(st.just(value), scalars)) if draw(st.booleans()) else value


def _body(value: Any, cut: int | None) -> bytes:
    text = json.dumps(value).encode()
    return text if cut is None else text[: cut % (len(text) + 1)]


cuts = st.one_of(st.none(), st.none(), st.integers(min_value=0))


def _serve(server: _HostileServer, status: int, body: bytes) -> None:
    server.status = status
    server.body = body


@EXAMPLES
@given(answer=drifted(_inbox([_thread(n) for n in range(3)])), cut=cuts)
@example(answer={"inbox": {"threads": True}, "status": "ok"}, cut=None)
def test_inbox_pages_raise_only_typed_errors(hostile, client, answer, cut):
    _serve(hostile, 200, _body(answer, cut))
    try:
        page = client.inbox_page()
    except DirectError:
        return
    for thread in page.entries:
        summary = thread_summary(thread)
        assert isinstance(summary["thread_id"], str)
        for item in thread.items:
            assert isinstance(item_summary(item, {})["item_type"], str)


@EXAMPLES
@given(answer=drifted({"thread": _thread(0), "status": "ok"}), cut=cuts)
@example(answer={"thread": {**_thread(0), "items": True}, "status": "ok"}, cut=None)
def test_thread_pages_raise_only_typed_errors(hostile, client, answer, cut):
    _serve(hostile, 200, _body(answer, cut))
    try:
        page = client.thread_page("340282366841710300949128000000000000")
    except DirectError:
        return
    for item in page.entries:
        assert isinstance(item.preview, str)


@EXAMPLES
@given(
    answer=drifted(
        {
            "logged_in_user": _user(5110000100),
            "status": "ok",
            "two_factor_info": {"two_factor_identifier": "x", "username": "viewer"},
            "challenge": {"api_path": "/challenge/1/a/"},
            "message": "challenge_required",
        }
    ),
    cut=cuts,
    status=st.sampled_from([200, 400, 403, 429]),
)
def test_login_answers_raise_only_typed_errors(hostile, answer, cut, status):
    url = f"http://127.0.0.1:{hostile.server_address[1]}"
    _serve(hostile, status, _body(answer, cut))
    with DirectClient(api_url=f"{url}/api/v1/", upload_url=f"{url}/", retry_attempts=1) as fresh:
        try:
            fresh.login("viewer", "a password")
        except DirectError as exc:
            assert "a password" not in str(exc)


@EXAMPLES
@given(
    answer=drifted({"upload_id": "1790000000000", "media_id": "3141592_1", "status": "ok"}),
    cut=cuts,
)
def test_upload_answers_raise_only_typed_errors(hostile, client, answer, cut):
    _serve(hostile, 200, _body(answer, cut))
    try:
        upload = client.upload_photo(_JPEG)
    except DirectError:
        return
    assert upload.upload_id


@EXAMPLES
@given(body=junk, status=st.sampled_from([200, 202, 400, 401, 403, 404, 429, 500, 503]))
def test_error_answers_become_typed_errors(body, status):
    answer = body if isinstance(body, dict) else {"message": body}
    error = error_for(status, answer, "direct_v2/inbox/", {"Retry-After": "soon"})
    if error is not None:
        assert isinstance(error, DirectError)
        assert str(error)
        for name in ("api_path", "feedback_title", "identifier"):
            if hasattr(error, name):
                assert isinstance(getattr(error, name), str)


@EXAMPLES
@example(junk_threads=[{**_thread(9), "users": [{"pk": float("inf")}]}], where=0)
@given(
    junk_threads=st.lists(st.one_of(junk, drifted(_thread(99))), min_size=1, max_size=4),
    where=st.integers(min_value=0, max_value=3),
)
def test_a_page_keeps_every_well_formed_thread(hostile, client, junk_threads, where):
    good = [_thread(n) for n in range(3)]
    threads = good[:where] + junk_threads + good[where:]
    _serve(hostile, 200, json.dumps(_inbox(threads)).encode())

    page = client.inbox_page()

    kept = [t.thread_id for t in page.entries]
    wanted = [t["thread_id"] for t in good]
    assert [t for t in kept if t in wanted] == wanted
    assert [thread_summary(t)["title"] for t in page.entries if t.thread_id in wanted] == [
        "thread 0",
        "thread 1",
        "thread 2",
    ]


JUNK_THREADS = [
    5,
    "thread",
    None,
    [_thread(7)],
    {"thread_id": None, "items": "none", "users": {"pk": "x"}},
    {"thread_id": "9" * 400, "last_activity_at": "9" * 400, "viewer_id": [], "items": [None, 3]},
    {"thread_id": 10**40, "users": [{"pk": 10**40, "username": None}], "last_seen_at": "x"},
    {**_thread(8), "items": [{**_item(1), "item_type": "hologram", "hologram": {"x": [1]}}]},
]


def test_the_inbox_operator_keeps_every_well_formed_thread(hostile, run_dag, monkeypatch):
    from airflow.models.variable import Variable

    url = f"http://127.0.0.1:{hostile.server_address[1]}"
    connection = {
        "conn_type": "instagram_direct",
        "host": f"{url}/api/v1/",
        "login": "viewer",
        "password": "a password",
    }
    monkeypatch.setenv("AIRFLOW_CONN_DM_HOSTILE", json.dumps(connection))
    state = SessionState(authorization="Bearer IGT:2:session", user_id=1, username="viewer")
    Variable.set("instagram_direct_session__dm_hostile", state.to_json())
    good = [_thread(n) for n in range(3)]
    _serve(hostile, 200, json.dumps(_inbox(good[:1] + JUNK_THREADS + good[1:])).encode())

    try:
        out = run_dag("dm_inbox", {"conn": "dm_hostile"})
    finally:
        Variable.delete("instagram_direct_session__dm_hostile")

    wanted = {t["thread_id"]: t["thread_title"] for t in good}
    kept = [(t["thread_id"], t["title"]) for t in out.result("inbox") if t["thread_id"] in wanted]
    assert kept == list(wanted.items())


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


_JPEG = _jpeg()
