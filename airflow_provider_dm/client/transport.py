"""HTTP for the Direct protocol: one pooled keep-alive ``requests`` adapter with a cookie jar,
the app's headers (§1.3) built once per state change, form and signed bodies (§1.2),
``ig-set-*`` response headers folded into the state, typed errors (§9.1), bounded retries with
backoff, pacing."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import IO, Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.utils import get_environ_proxies
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from airflow_provider_dm.client.device import APP_ID, BLOKS_VERSION_ID, CAPABILITIES
from airflow_provider_dm.client.errors import (
    LoginRequired,
    NetworkError,
    RateLimited,
    RequestTimeout,
    ResponseError,
    error_for,
)
from airflow_provider_dm.client.proxy import check_proxy
from airflow_provider_dm.client.state import SessionState, user_id_from_bearer

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://i.instagram.com/api/v1/"
DEFAULT_UPLOAD_URL = "https://i.instagram.com/"
FORM_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"
_BODY_TYPES = (bytes, bytearray, memoryview, str)
_CONNECTION_HEADERS = {"Accept-Encoding": "gzip, deflate", "Connection": "keep-alive"}
_ROUTING = {
    "ig-set-ig-u-rur": "IG-U-RUR",
    "ig-set-ig-u-shbid": "IG-U-SHBID",
    "ig-set-ig-u-shbts": "IG-U-SHBTS",
    "ig-set-ig-u-target": "IG-U-TARGET",
    "ig-set-ig-u-direct_region_hint": "IG-U-IG-DIRECT-REGION-HINT",
    "ig-set-ig-u-ig-direct-region-hint": "IG-U-IG-DIRECT-REGION-HINT",
}


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text, the way every form field carries a list or a dict."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return compact_json(value)


def encode_form(form: dict[str, Any], *, signed: bool = False) -> bytes:
    """A form body (§1.2): lists and dicts as compact JSON strings, booleans as
    ``true``/``false``, None dropped; or, signed, ``signed_body=SIGNATURE.<compact json>``."""
    if signed:
        return urlencode({"signed_body": "SIGNATURE." + compact_json(form)}).encode("ascii")
    fields = {key: _form_value(value) for key, value in form.items() if value is not None}
    return urlencode(fields).encode("ascii")


def _ca_bundle() -> str | bool:
    """The CA bundle the environment names (as ``requests`` would read it), else True."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def _base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class Transport:
    """Sends API and upload requests for one session state and maps every failure to a typed
    error. Retryable failures (429, 5xx, dropped connections, timeouts) are retried with
    exponential backoff and jitter, bounded by ``retry_attempts`` and ``retry_total`` seconds.

    ``on_login_required``, when set, is called once when a request meets ``login_required``;
    it should log in again, after which that request is sent once more. ``budget``, when set,
    is called with a short description before every request that creates something.
    Environment proxies and CA bundle are read once here, not on every request (``verify`` may
    be a bundle path).

    Requests are prepared here and sent straight through the pooled adapter: the settings
    never change per request, and ``Session.request`` merging them again cost a sixth of the
    client's CPU per send (``make bench`` P2). Redirects are not followed; the API has none.
    """

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        upload_url: str = DEFAULT_UPLOAD_URL,
        state: SessionState | None = None,
        *,
        timeout: float = 30.0,
        proxy: str | None = None,
        verify: bool | str = True,
        send_interval: float = 0.0,
        retry_attempts: int = 4,
        retry_max_wait: float = 30.0,
        retry_total: float = 60.0,
        pool_size: int = 10,
    ) -> None:
        self.api_url = _base_url(api_url)
        self.upload_url = _base_url(upload_url)
        self.state = state if state is not None else SessionState()
        self.timeout = timeout
        self.send_interval = float(send_interval)
        self.retry_max_wait = float(retry_max_wait)
        self.on_login_required: Callable[[], None] | None = None
        self.budget: Callable[[str], None] | None = None
        self.pigeon_session_id = f"UFS-{uuid.uuid4()}-1"
        self.cookies = RequestsCookieJar()
        self._adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.verify = _ca_bundle() if verify is True else verify
        proxy = check_proxy(proxy or None)
        if proxy:
            self.proxies = {"http": proxy, "https": proxy}
        else:
            self.proxies = get_environ_proxies(self.api_url)
        self._revision = -1
        self._get_headers: dict[str, str] = {}
        self._post_headers: dict[str, str] = {}
        self._minimal_headers: dict[str, str] = {}
        self._last_send: float | None = None
        self._pace_lock = threading.Lock()
        self._login_lock = threading.Lock()
        self._local = threading.local()
        self._backoff = wait_exponential_jitter(
            multiplier=min(0.5, self.retry_max_wait),
            max=self.retry_max_wait,
            jitter=min(0.5, self.retry_max_wait),
        )
        self._retrying = Retrying(
            retry=retry_if_exception(lambda exc: getattr(exc, "retryable", False)),
            stop=stop_after_attempt(max(1, retry_attempts)) | stop_before_delay(retry_total),
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._adapter.close()

    def api(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        form: dict[str, Any] | None = None,
        signed: bool = False,
        retry: bool = True,
    ) -> dict[str, Any]:
        """Call ``endpoint`` (relative to ``api_url``) and return its JSON; raise a typed error
        for any failure (a ``status: fail`` body whatever the HTTP status, 202 included)."""
        url = self.api_url + endpoint.lstrip("/")
        body = encode_form(form, signed=signed) if form is not None else None

        def call() -> dict[str, Any]:
            headers = self._headers(with_form=body is not None)
            return self._exchange(method, url, endpoint, params, body, headers)

        return self._authenticated(call, retry=retry)

    def upload(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        data: bytes | Iterable[bytes] | IO[bytes] | None = None,
        params: dict[str, Any] | None = None,
        retry: bool = True,
        minimal_headers: bool = False,
    ) -> dict[str, Any]:
        """Call an upload path (relative to ``upload_url``) with raw ``data``. An iterable or
        file body cannot be replayed, so it is never retried nor re-sent after a new login.
        ``minimal_headers`` sends only the §7.4 set (auth, user ids, machine id, user agent)."""
        url = self.upload_url + path.lstrip("/")
        replayable = data is None or isinstance(data, _BODY_TYPES)

        def call() -> dict[str, Any]:
            base = self._minimal() if minimal_headers else self._headers(with_form=False)
            return self._exchange(method, url, path, params, data, {**base, **headers})

        if not replayable:
            return call()
        return self._authenticated(call, retry=retry)

    def retried(self, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run ``call`` (requests made with ``retry=False``) under this transport's retry
        policy, for a caller that must act between attempts (e.g. look before sending again)."""
        return self._retrying(call)

    def before_create(self, what: str) -> None:
        """Called before every request that creates something on the account (each send, each
        upload): keeps ``send_interval`` spacing, then takes a token from ``budget`` (which may
        wait, or raise to stop the request) when one is set."""
        self.pace()
        if self.budget is not None:
            self.budget(what)

    def pace(self) -> None:
        """Sleep so that sends are at least ``send_interval`` seconds apart (0: no-op)."""
        if self.send_interval <= 0:
            return
        with self._pace_lock:
            now = time.monotonic()
            if self._last_send is not None:
                wait = self._last_send + self.send_interval - now
                if wait > 0:
                    time.sleep(wait)
                    now += wait
            self._last_send = now

    def common_send_fields(self, client_context: str) -> dict[str, str]:
        """The §6.1 fields every broadcast carries; the token goes in all three token fields."""
        return {
            "action": "send_item",
            "client_context": client_context,
            "mutation_token": client_context,
            "offline_threading_id": client_context,
            "_uuid": self.state.uuid,
            "device_id": self.state.android_id,
            "is_shh_mode": "0",
        }

    def _authenticated(self, call: Callable[[], dict[str, Any]], *, retry: bool) -> dict[str, Any]:
        attempt = (lambda: self._retrying(call)) if retry else call
        bearer = self.state.authorization
        try:
            return attempt()
        except LoginRequired:
            if self.on_login_required is None or getattr(self._local, "relogging", False):
                raise
            with self._login_lock:
                if self.state.authorization == bearer:
                    log.info("session expired; logging in again")
                    self._local.relogging = True
                    try:
                        self.on_login_required()
                    finally:
                        self._local.relogging = False
            return attempt()

    def _exchange(
        self,
        method: str,
        url: str,
        endpoint: str,
        params: dict[str, Any] | None,
        data: Any,
        headers: dict[str, str],
    ) -> dict[str, Any]:
        cookies = self.cookies
        try:
            request = requests.PreparedRequest()
            request.prepare(
                method=method, url=url, headers=headers, data=data, params=params, cookies=cookies
            )
            response = self._adapter.send(
                request, timeout=self.timeout, verify=self.verify, proxies=self.proxies
            )
            extract_cookies_to_jar(cookies, request, response.raw)
        except requests.Timeout as exc:
            raise RequestTimeout(f"no answer within {self.timeout} s", endpoint=endpoint) from exc
        except requests.RequestException as exc:
            raise NetworkError(
                f"connection failed ({type(exc).__name__})", endpoint=endpoint
            ) from exc
        self._absorb(response.headers)
        status = response.status_code
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if 200 <= status < 300 and not response.content:
                body = {"status": "ok"}
            elif 200 <= status < 300:
                raise ResponseError("the answer is not JSON", status=status, endpoint=endpoint)
            else:
                snippet = response.text[:200].strip() if response.content else ""
                body = {"message": snippet or f"HTTP {status}", "status": "fail"}
        error = error_for(status, body, endpoint, response.headers)
        if error is not None:
            raise error
        return body

    def _absorb(self, headers: Any) -> None:
        """Fold the ``ig-set-*`` response headers into the state (§1.4)."""
        state = self.state
        for name, value in headers.items():
            key = name.lower()
            if not key.startswith(("ig-set-", "x-ig-set-")):
                continue
            if key == "ig-set-authorization":
                if value and not value.endswith(":") and value != state.authorization:
                    state.authorization = value
                    pk = user_id_from_bearer(value)
                    if pk is not None and pk != state.user_id:
                        state.user_id = pk
            elif key == "ig-set-x-mid":
                if value != state.mid:
                    state.mid = value
            elif key == "ig-set-ig-u-ds-user-id":
                if value.isdigit() and int(value) != state.user_id:
                    state.user_id = int(value)
            elif key in ("ig-set-www-claim", "x-ig-set-www-claim"):
                if value and value != state.www_claim:
                    state.www_claim = value
            elif key == "ig-set-password-encryption-key-id":
                if value.isdigit() and int(value) != state.password_key_id:
                    state.password_key_id = int(value)
            elif key == "ig-set-password-encryption-pub-key":
                if value != state.password_public_key:
                    state.password_public_key = value
            elif key in _ROUTING and state.routing.get(_ROUTING[key]) != value:
                state.routing = {**state.routing, _ROUTING[key]: value}

    def _headers(self, *, with_form: bool) -> dict[str, str]:
        if self.state.revision != self._revision:
            self._rebuild()
        base = self._post_headers if with_form else self._get_headers
        return {**base, "X-Pigeon-Rawclienttime": f"{time.time():.3f}"}

    def _minimal(self) -> dict[str, str]:
        if self.state.revision != self._revision:
            self._rebuild()
        return self._minimal_headers

    def _rebuild(self) -> None:
        """Recompute the cached header sets from the state (only when it changed)."""
        state = self.state
        revision = state.revision
        user = str(state.user_id) if state.user_id is not None else "0"
        device = state.device_profile
        locale = device.locale
        headers = {
            "User-Agent": state.user_agent,
            "X-IG-App-ID": APP_ID,
            "X-IG-Capabilities": CAPABILITIES,
            "X-IG-Connection-Type": "WIFI",
            "X-IG-Device-ID": state.uuid,
            "X-IG-Android-ID": state.android_id,
            "X-IG-Family-Device-ID": state.phone_id,
            "X-IG-App-Locale": locale,
            "X-IG-Device-Locale": locale,
            "X-IG-Mapped-Locale": locale,
            "Accept-Language": locale.replace("_", "-"),
            "X-IG-Timezone-Offset": str(device.timezone_offset),
            "X-IG-WWW-Claim": state.www_claim or "0",
            "X-Bloks-Version-Id": BLOKS_VERSION_ID,
            "X-Bloks-Is-Layout-RTL": "false",
            "X-Pigeon-Session-Id": self.pigeon_session_id,
            "X-IG-Bandwidth-Speed-KBPS": "-1.000",
            "X-IG-Bandwidth-TotalBytes-B": "0",
            "X-IG-Bandwidth-TotalTime-MS": "0",
            "X-FB-HTTP-Engine": "Liger",
            "X-FB-Client-IP": "True",
            "X-FB-Server-Cluster": "True",
            "IG-INTENDED-USER-ID": user,
        }
        minimal = {
            **_CONNECTION_HEADERS,
            "User-Agent": state.user_agent,
            "IG-INTENDED-USER-ID": user,
        }
        if state.mid:
            headers["X-MID"] = minimal["X-MID"] = state.mid
        if state.authorization:
            headers["Authorization"] = minimal["Authorization"] = state.authorization
            headers["IG-U-DS-USER-ID"] = minimal["IG-U-DS-USER-ID"] = user
        headers.update(state.routing)
        headers.update(_CONNECTION_HEADERS)
        if "IG-U-RUR" in state.routing:
            minimal["IG-U-RUR"] = state.routing["IG-U-RUR"]
        self._get_headers = headers
        self._post_headers = {**headers, "Content-Type": FORM_TYPE}
        self._minimal_headers = minimal
        self._revision = revision

    def _wait(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(error.retry_after, self.retry_max_wait)
        return self._backoff(retry_state)

    @staticmethod
    def _log_retry(retry_state: RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        log.warning(
            "attempt %d failed: %s; retrying in %.2f s", retry_state.attempt_number, error, wait
        )
