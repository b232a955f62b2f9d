"""A `requests` transport adapter that sends a client's calls for the real Instagram hosts to
the emulator instead, so a peer library runs unmodified against it.

Mounted on the peer's own sessions; the URL is rewritten just before the request leaves, so
the connection pool, keep-alive and the peer's retry settings stay those of a normal adapter.
"""

from __future__ import annotations

from typing import Any

from requests import PreparedRequest, Response, Session
from requests.adapters import HTTPAdapter

REAL_HOSTS = (
    "https://i.instagram.com/",
    "https://b.i.instagram.com/",
    "https://rupload.facebook.com/",
)
LOOPBACK = ("http://127.0.0.1:", "http://localhost:")


class OffLoopback(ConnectionError):
    """A request for a host that is neither a real Instagram host nor loopback: never sent."""


class HostRewriteAdapter(HTTPAdapter):
    """Rewrites `https://<real host>/path` to `<target>/path` (target like `http://127.0.0.1:P`).

    Anything else that is not on loopback is refused, so a peer never reaches the network.
    """

    def __init__(self, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target.rstrip("/") + "/"
        self.rewritten = 0

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        """Point the request at the emulator, then send it as a plain adapter would."""
        url = request.url or ""
        for host in REAL_HOSTS:
            if url.startswith(host):
                request.url = self.target + url[len(host) :]
                request.headers.pop("Host", None)
                self.rewritten += 1
                break
        if not request.url.startswith(LOOPBACK):
            raise OffLoopback(f"not sent: {url.split('?')[0]} is not the emulator")
        return super().send(request, *args, **kwargs)


def mount(session: Session, target: str) -> HostRewriteAdapter:
    """Mount the rewriting adapter for every URL of `session`, keeping its retry policy."""
    current = session.get_adapter(REAL_HOSTS[0])
    retries = getattr(current, "max_retries", 0)
    adapter = HostRewriteAdapter(target, max_retries=retries)
    for prefix in ("https://", "http://"):
        session.mount(prefix, adapter)
    return adapter
