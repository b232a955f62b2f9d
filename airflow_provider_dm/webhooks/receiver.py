"""A small reference webhook receiver: answers Meta's verification request, checks each
delivery's signature and posts its messaging events (echoes of our own sends left out) as
one Airflow asset event.

    DM_WEBHOOK_APP_SECRET=... DM_WEBHOOK_VERIFY_TOKEN=... AIRFLOW_API_TOKEN=... \\
        python -m airflow_provider_dm.webhooks.receiver --port 8099 \\
        --airflow-url http://127.0.0.1:8080 --asset instagram_messaging_webhook

Put it behind a TLS-terminating proxy (Meta calls only valid https URLs). A delivery that
cannot be passed on is answered 500, so that Meta delivers it again (for up to 36 hours):
the DAG dedupes on ``mid``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from airflow_provider_dm.webhooks.asset_events import AssetEventPoster
from airflow_provider_dm.webhooks.payload import messaging_events
from airflow_provider_dm.webhooks.signature import HEADER, SignatureMismatch, verify_signature

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20


class WebhookServer(ThreadingHTTPServer):
    """The receiver: its settings travel with the server to each request handler."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        app_secret: str,
        verify_token: str,
        poster: AssetEventPoster,
    ) -> None:
        super().__init__(address, WebhookHandler)
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.poster = poster


class WebhookHandler(BaseHTTPRequestHandler):
    """GET: the subscription check; POST: one delivery."""

    server: WebhookServer

    def do_GET(self) -> None:
        """Echo ``hub.challenge`` when ``hub.verify_token`` is ours."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        if (
            query.get("hub.mode") == "subscribe"
            and query.get("hub.verify_token") == self.server.verify_token
        ):
            self._answer(200, query.get("hub.challenge", "").encode())
        else:
            self._answer(403, b"verification failed")

    def do_POST(self) -> None:
        """Check the signature on the raw body, then post the events as one asset event."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(413, b"too large")
            return
        body = self.rfile.read(length)
        try:
            verify_signature(body, self.headers.get(HEADER), self.server.app_secret)
        except SignatureMismatch as exc:
            log.warning("refused a delivery: %s", exc)
            self._answer(403, str(exc).encode())
            return
        try:
            payload = json.loads(body)
        except ValueError:
            self._answer(400, b"not JSON")
            return
        events = [e for e in messaging_events(payload) if not e["is_echo"]]
        if events:
            try:
                self.server.poster.post({"events": events})
            except Exception as exc:  # Meta delivers again after a non-200 answer
                log.error("could not post the asset event: %s", exc)
                self._answer(500, b"try again")
                return
        self._answer(200, b"EVENT_RECEIVED")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Requests go to the logger, not to stderr."""
        log.info(format, *args)


def main(argv: list[str] | None = None) -> None:
    """Run the receiver until interrupted; secrets come from the environment."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--airflow-url", required=True)
    parser.add_argument("--asset", default="instagram_messaging_webhook")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    poster = AssetEventPoster(args.airflow_url, os.environ["AIRFLOW_API_TOKEN"], args.asset)
    server = WebhookServer(
        (args.host, args.port),
        app_secret=os.environ["DM_WEBHOOK_APP_SECRET"],
        verify_token=os.environ["DM_WEBHOOK_VERIFY_TOKEN"],
        poster=poster,
    )
    log.info("listening on http://%s:%d", args.host, server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
