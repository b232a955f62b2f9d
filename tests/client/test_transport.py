"""The transport against the emulator: the §1.3 headers and §6.1 send fields on the wire, each
fault kind giving a typed error or a successful retry, and the ledger showing no duplicate."""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client import transport as transport_module
from airflow_provider_dm.client.errors import (
    ChallengeRequired,
    FeedbackRequired,
    MediaNeedsReupload,
    NetworkError,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from airflow_provider_dm.client.items import Text
from airflow_provider_dm.client.transport import FORM_TYPE, encode_form
from airflow_provider_dm.emulator.control import EmulatorControl

PASSWORD = "demo-password"
TEXT_PATH = "/api/v1/direct_v2/threads/broadcast/text/"
USER_AGENT = re.compile(
    r"^Instagram \d+(\.\d+)+ Android \(\d+/[\d.]+; \d+dpi; \d+x\d+; [^;]+; [^;]+; [^;]+; [^;]+;"
    r" [a-z]{2}_[A-Z]{2}; \d+\)$"
)


@pytest.fixture
def client(emulator: EmulatorControl) -> DirectClient:
    client = DirectClient(
        api_url=emulator.url + "/api/v1/",
        upload_url=emulator.url + "/",
        retry_attempts=3,
        retry_max_wait=0.01,
        timeout=5,
    )
    client.login("airflow_demo", PASSWORD)
    return client


@pytest.fixture
def thread_id(emulator: EmulatorControl) -> str:
    return str(emulator.seed()["threads"][0]["thread_id"])


def _text_form(client: DirectClient, thread_id: str, token: str, text: str = "hello") -> dict:
    return {
        **client.transport.common_send_fields(token),
        "thread_ids": [thread_id],
        "text": text,
    }


def _sends(emulator: EmulatorControl, client: DirectClient) -> list[dict]:
    return [r for r in emulator.requests() if r["path"] == TEXT_PATH]


def _secrets_absent(text: str, client: DirectClient) -> None:
    assert PASSWORD not in text
    for secret in client.state.secrets():
        assert secret not in text


def test_every_request_carries_the_header_family(client, emulator, thread_id) -> None:
    client.send(Text("hello"), threads=[thread_id])
    list(client.iter_inbox(max_threads=1))
    state = client.state
    log = emulator.requests()
    assert len(log) >= 4
    for request in log:
        headers = request["headers"]
        assert USER_AGENT.match(headers["User-Agent"]), headers["User-Agent"]
        assert headers["X-IG-App-ID"] == "567067343352427"
        assert headers["X-IG-Capabilities"] and headers["X-IG-Connection-Type"] == "WIFI"
        assert headers["X-IG-Device-ID"] == state.uuid
        assert headers["X-IG-Android-ID"] == state.android_id
        assert headers["X-IG-Family-Device-ID"] == state.phone_id
        assert headers["X-Pigeon-Session-Id"].startswith("UFS-")
        assert re.fullmatch(r"\d+\.\d{3}", headers["X-Pigeon-Rawclienttime"])
        assert len(headers["X-Bloks-Version-Id"]) == 64
        assert "X-IG-WWW-Claim" in headers and headers["Accept-Language"] == "en-US"
        if request["method"] == "POST":
            assert headers["Content-Type"] == FORM_TYPE
        else:
            assert "Content-Type" not in headers
    for request in log[2:]:
        headers = request["headers"]
        assert headers["Authorization"].startswith("Bearer IGT:2:")
        assert headers["IG-U-DS-USER-ID"] == headers["IG-INTENDED-USER-ID"] == str(state.user_id)
        assert headers["X-MID"] == state.mid
        assert headers["IG-U-RUR"] == state.routing["IG-U-RUR"]


def test_send_carries_the_common_fields(client, emulator, thread_id) -> None:
    (result,) = client.send(
        Text("hello"), threads=[thread_id], client_context="6800012345678901234"
    )
    assert result.status == "sent"
    (send,) = _sends(emulator, client)
    form = send["form"]
    assert form["action"] == "send_item"
    assert form["client_context"] == form["mutation_token"] == form["offline_threading_id"]
    assert form["client_context"] == "6800012345678901234"
    assert form["_uuid"] == client.state.uuid
    assert form["device_id"] == client.state.android_id
    assert form["is_shh_mode"] == "0"
    assert json.loads(form["thread_ids"]) == [thread_id]
    assert form["thread_ids"] == json.dumps([thread_id], separators=(",", ":"))


def test_form_encoding() -> None:
    body = encode_form({"a": [1, "2"], "b": True, "c": None, "d": {"x": 1}, "e": 3}).decode()
    assert body == "a=%5B1%2C%222%22%5D&b=true&d=%7B%22x%22%3A1%7D&e=3"
    signed = encode_form({"a": [1], "b": "é"}, signed=True).decode()
    assert signed == "signed_body=SIGNATURE.%7B%22a%22%3A%5B1%5D%2C%22b%22%3A%22%C3%A9%22%7D"


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("rate_limit", {"retry_after": 1}),
        ("server_error", {}),
        ("unavailable", {}),
        ("drop", {}),
        ("drop_after", {}),
    ],
)
def test_retryable_faults_are_retried_without_duplicates(
    client, emulator, thread_id, action, params
) -> None:
    emulator.add_fault("POST", TEXT_PATH, action, times=2, **params)
    (result,) = client.send(
        Text("once only"), threads=[thread_id], client_context="6800011111111111112"
    )
    assert result.status == "sent", result.error
    rows = [r for r in emulator.ledger() if r["client_context"] == "6800011111111111112"]
    assert len(rows) == 1
    assert result.item_id == rows[0]["item_id"]
    # a faulted request may be logged before its form is read; the others all carry the token
    tokens = {r["form"].get("client_context") for r in _sends(emulator, client)} - {None}
    assert tokens == {"6800011111111111112"}


def test_accepted_send_whose_answer_was_lost_is_not_duplicated(client, emulator, thread_id) -> None:
    emulator.add_fault("POST", TEXT_PATH, "drop_after", times=1)
    form = _text_form(client, thread_id, "6800022222222222222")
    answer = client.transport.api("POST", "direct_v2/threads/broadcast/text/", form=form)
    assert answer["payload"]["client_context"] == "6800022222222222222"
    assert len([r for r in emulator.ledger() if r["client_context"] == "6800022222222222222"]) == 1
    assert len(_sends(emulator, client)) == 2


def test_retries_are_bounded(client, emulator, thread_id) -> None:
    emulator.add_fault("POST", TEXT_PATH, "server_error", times=10)
    with pytest.raises(ServerError) as info:
        client.transport.api(
            "POST", "direct_v2/threads/broadcast/text/", form=_text_form(client, thread_id, "1")
        )
    assert info.value.status == 500
    assert info.value.endpoint == "direct_v2/threads/broadcast/text/"
    assert len(_sends(emulator, client)) == 3
    assert emulator.ledger() == []


def test_rate_limit_reports_retry_after(client, emulator) -> None:
    emulator.add_fault("GET", "/api/v1/direct_v2/inbox/", "rate_limit", times=5, retry_after=7)
    with pytest.raises(RateLimited) as info:
        client.transport.api("GET", "direct_v2/inbox/", retry=False)
    assert info.value.retry_after == 7
    assert info.value.status == 429
    assert "Please wait a few minutes" in str(info.value)


def test_a_slow_answer_times_out_then_succeeds_on_retry(emulator) -> None:
    client = DirectClient(
        api_url=emulator.url + "/api/v1/",
        upload_url=emulator.url + "/",
        timeout=0.2,
        retry_attempts=2,
        retry_max_wait=0.01,
    )
    client.login("airflow_demo", PASSWORD)
    emulator.add_fault("GET", "/api/v1/accounts/current_user/", "delay", times=1, seconds=1)
    assert client.current_user().username == "airflow_demo"
    emulator.add_fault("GET", "/api/v1/accounts/current_user/", "delay", times=2, seconds=1)
    with pytest.raises(RequestTimeout) as info:
        client.current_user()
    assert isinstance(info.value, NetworkError) and info.value.status is None


@pytest.mark.parametrize(
    ("action", "error"),
    [("feedback_required", FeedbackRequired), ("challenge_required", ChallengeRequired)],
)
def test_blocks_are_raised_at_once(client, emulator, thread_id, action, error, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.add_fault("POST", TEXT_PATH, action, times=5)
    with pytest.raises(error) as info:
        client.transport.api(
            "POST", "direct_v2/threads/broadcast/text/", form=_text_form(client, thread_id, "9")
        )
    assert info.value.status == 400 and info.value.message == action
    assert len(_sends(emulator, client)) == 1
    assert emulator.ledger() == []
    _secrets_absent(str(info.value) + repr(info.value.payload) + caplog.text, client)
    with pytest.raises(error) as sent:
        client.send(Text("blocked"), threads=[thread_id], recipients=[["5110000102"]])  # bob_demo
    assert sent.value.account_action and sent.value.blocks_account
    assert len(_sends(emulator, client)) == 2, "a block stops the send: nothing more is tried"
    assert emulator.ledger() == []


def test_feedback_required_keeps_the_server_fields(client, emulator, thread_id) -> None:
    emulator.add_fault("POST", TEXT_PATH, "feedback_required")
    with pytest.raises(FeedbackRequired) as info:
        client.transport.api(
            "POST", "direct_v2/threads/broadcast/text/", form=_text_form(client, thread_id, "8")
        )
    assert info.value.feedback_title == "Action Blocked"


def test_status_ok_with_an_error_title_is_an_error(client, emulator) -> None:
    emulator.add_fault("GET", "/api/v1/accounts/current_user/", "media_needs_reupload")
    with pytest.raises(MediaNeedsReupload) as info:
        client.current_user()
    assert info.value.status == 200 and "bad image input" in str(info.value)


def test_unknown_thread_is_not_found(client) -> None:
    with pytest.raises(NotFound) as info:
        client.get_thread("340282366841710300949128999999999999999")
    assert info.value.status == 404


def test_pacing_spaces_sends(monkeypatch) -> None:
    # The clock is replaced so that the test asserts on requested pauses, not on wall time.
    clock = {"now": 100.0}
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(transport_module.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(transport_module.time, "sleep", sleep)
    paced = transport_module.Transport("http://127.0.0.1:9/api/v1/", send_interval=2.0)
    paced.pace()
    clock["now"] += 0.5
    paced.pace()
    paced.pace()
    assert pauses == [1.5, 2.0]
    unpaced = transport_module.Transport("http://127.0.0.1:9/api/v1/")
    unpaced.pace()
    assert pauses == [1.5, 2.0]


def test_cookies_the_server_sets_go_back_with_later_requests(client, emulator) -> None:
    # the emulator's qe/sync/ sets a csrftoken cookie; the login's jar keeps it
    assert "csrftoken" in client.transport.cookies
    list(client.iter_inbox(max_threads=1))
    inbox = [r for r in emulator.requests() if r["path"] == "/api/v1/direct_v2/inbox/"]
    assert inbox and inbox[-1]["headers"].get("Cookie") == "***"  # present, value redacted


class _ForwardingProxy(BaseHTTPRequestHandler):
    """A plain HTTP forward proxy (no proxy runs on this machine): it records each absolute
    request URL and relays the request to its target and the answer back."""

    seen: ClassVar[list[str]] = []

    def _relay(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path, body=body, headers=headers)
        answer = upstream.getresponse()
        content = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        upstream.close()

    do_GET = do_POST = _relay

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_a_configured_proxy_carries_every_request(emulator, thread_id) -> None:
    _ForwardingProxy.seen = []
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _ForwardingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        client = DirectClient(
            api_url=emulator.url + "/api/v1/",
            upload_url=emulator.url + "/",
            proxy=f"http://127.0.0.1:{proxy.server_address[1]}",
            timeout=5,
        )
        client.login("airflow_demo", PASSWORD)
        (result,) = client.send(Text("through the proxy"), threads=[thread_id])
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.status == "sent"
    assert f"POST {emulator.url}/api/v1/accounts/login/" in _ForwardingProxy.seen
    assert f"POST {emulator.url}{TEXT_PATH}" in _ForwardingProxy.seen
    (row,) = emulator.ledger()
    assert (row["item_id"], row["fields"]["text"]) == (result.item_id, "through the proxy")
