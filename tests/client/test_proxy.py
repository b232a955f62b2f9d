"""Every request and upload goes through the connection's proxy: real local proxies (HTTP,
SOCKS5 with local and with remote name resolution, each wanting a user and password) relay
the client to the emulator, which is reachable only through them, so a request that bypassed
the proxy would fail. Proxy credentials never show in errors; bad proxy URLs are refused
before any request."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from local_proxies import HIDDEN_ADDRESS, HIDDEN_NAME, LocalProxy, tls_context
from PIL import Image

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.errors import DirectError, InvalidInput, NetworkError
from airflow_provider_dm.client.items import Photo
from airflow_provider_dm.client.proxy import check_proxy, masked_proxy
from airflow_provider_dm.emulator.control import EmulatorControl

SECRET = "pr0xy-s3cret"


def _client(emulator: EmulatorControl, host: str, proxy: str | None, **kwargs) -> DirectClient:
    port = emulator.url.rsplit(":", 1)[1]
    return DirectClient(
        api_url=f"http://{host}:{port}/api/v1/",
        upload_url=f"http://{host}:{port}/",
        proxy=proxy,
        **kwargs,
    )


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_emulator_is_unreachable_without_the_proxy(emulator) -> None:
    client = _client(emulator, HIDDEN_ADDRESS, None, retry_attempts=1)
    with pytest.raises(NetworkError):
        client.login("airflow_demo", "demo-password")


@pytest.mark.parametrize(
    ("scheme", "kind", "host", "named_as"),
    [
        ("http", "http", HIDDEN_ADDRESS, "forward"),
        ("socks5", "socks5", HIDDEN_ADDRESS, "ipv4"),
        ("socks5h", "socks5", HIDDEN_NAME, "domain"),
    ],
)
def test_requests_and_uploads_go_through_the_proxy(emulator, scheme, kind, host, named_as):
    thread = str(emulator.seed()["threads"][0]["thread_id"])
    with LocalProxy(kind) as proxy:
        client = _client(emulator, host, proxy.url(scheme))
        client.login("airflow_demo", "demo-password")
        assert list(client.iter_inbox(max_threads=2))
        upload = client.upload_photo(_jpeg())
        (result,) = client.send(Photo.from_upload(upload), threads=[thread])
        client.close()
    assert result.status == "sent", result
    assert [row["kind"] for row in emulator.ledger()] == ["photo_attachment"]
    relayed = proxy.log.relayed
    assert relayed, "nothing went through the proxy"
    assert {(r.host, r.how) for r in relayed} == {(host, named_as)}
    served = emulator.requests()
    assert any("/messenger_image/" in r["path"] for r in served)
    if kind == "http":
        # The HTTP proxy relays one request per connection: it saw each one.
        paths = [r.first_line.split(" ")[1].split("?")[0] for r in relayed]
        assert sorted(p.split(":", 2)[2].split("/", 1)[1] for p in paths) == sorted(
            r["path"].lstrip("/") for r in served
        )


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_an_https_proxy_is_spoken_to_over_tls(emulator, tmp_path) -> None:
    # requests verifies an https:// proxy's certificate only for https:// targets (with the
    # client's CA bundle); the emulator speaks plain HTTP, so this self-signed one passes.
    with LocalProxy("https", tls=tls_context(tmp_path)) as proxy:
        client = _client(emulator, HIDDEN_ADDRESS, proxy.url("https"))
        client.login("airflow_demo", "demo-password")
        upload = client.upload_photo(_jpeg())
        client.close()
    assert upload.media_id
    relayed = proxy.log.relayed
    assert len(relayed) == len(emulator.requests()) >= 3
    assert {(r.host, r.how) for r in relayed} == {(HIDDEN_ADDRESS, "forward")}


@pytest.mark.parametrize(("scheme", "kind"), [("http", "http"), ("socks5", "socks5")])
def test_a_refused_proxy_login_never_shows_the_credentials(emulator, caplog, scheme, kind):
    caplog.set_level(logging.DEBUG)
    with LocalProxy(kind) as proxy:
        client = _client(emulator, HIDDEN_ADDRESS, proxy.url(scheme, password="wr0ng-s3cret"))
        client.transport.retry_max_wait = 0.01
        with pytest.raises(DirectError) as caught:
            client.login("airflow_demo", "demo-password")
    assert proxy.log.refused >= 1
    assert proxy.log.relayed == []
    for text in (str(caught.value), repr(caught.value), caplog.text):
        assert "wr0ng-s3cret" not in text
        assert "proxy-user" not in text


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://u:pw@proxy:21", "must start with http://"),
        ("socks4://proxy:1080", "must start with"),
        ("http://u:pw@proxy", "must name a host and a port"),
        ("http://u:pw@proxy:99999", "bad port"),
        ("http://u:pw@proxy:3128/path", "scheme://[user:password@]host:port"),
        ("  ", "must be a proxy URL"),
    ],
)
def test_bad_proxy_urls_are_refused_naming_the_field(url, words) -> None:
    with pytest.raises(InvalidInput) as caught:
        DirectClient(api_url="http://127.0.0.1:9/api/v1/", proxy=url)
    assert caught.value.field == "proxy"
    assert words in str(caught.value)
    assert "pw" not in str(caught.value).replace("password", "")


def test_a_socks_url_without_pysocks_names_the_extra(monkeypatch) -> None:
    # PySocks is installed here (the socks extra); a None entry in sys.modules is how Python
    # itself reports a module as absent, which is the one thing this test must fake.
    monkeypatch.setitem(sys.modules, "socks", None)
    for scheme in ("socks5", "socks5h"):
        with pytest.raises(InvalidInput, match=r"install airflow-provider-dm\[socks\]"):
            check_proxy(f"{scheme}://u:{SECRET}@127.0.0.1:1080")
    assert check_proxy(f"http://u:{SECRET}@127.0.0.1:3128")


def test_masked_proxy_hides_user_and_password() -> None:
    assert masked_proxy(f"socks5h://u:{SECRET}@proxy:1080") == "socks5h://***@proxy:1080"
    assert masked_proxy("http://proxy:3128") == "http://proxy:3128"
    assert json.dumps(masked_proxy(f"http://u%40x:{SECRET}@p:1")).count(SECRET) == 0
