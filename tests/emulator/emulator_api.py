"""Test helpers for the emulator: an API session with the protocol's headers, media bytes."""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import requests
from PIL import Image

HEADERS = {
    "User-Agent": "Instagram 428.0.0.47.67 Android (34/14; 480dpi; 1344x2992; Google; Pixel 8)",
    "X-IG-App-ID": "567067343352427",
}


class Api:
    """A `requests` session against the emulator's `/api/v1/` with the protocol's headers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers.update(HEADERS)

    def get(self, endpoint: str, **kw: Any) -> requests.Response:
        """GET `/api/v1/{endpoint}`."""
        return self.session.get(f"{self.url}/api/v1/{endpoint}", timeout=10, **kw)

    def post(self, endpoint: str, data: dict | None = None, **kw: Any) -> requests.Response:
        """POST a form to `/api/v1/{endpoint}`."""
        return self.session.post(f"{self.url}/api/v1/{endpoint}", data=data, timeout=10, **kw)

    def signed(self, endpoint: str, fields: dict, **kw: Any) -> requests.Response:
        """POST a signed body (`signed_body=SIGNATURE.{json}`)."""
        body = {"signed_body": "SIGNATURE." + json.dumps(fields, separators=(",", ":"))}
        return self.post(endpoint, body, **kw)

    def upload(self, method: str, path: str, **kw: Any) -> requests.Response:
        """A request on an upload route (`/rupload_igphoto/...`, `/messenger_video/...`)."""
        return self.session.request(method, f"{self.url}/{path}", timeout=10, **kw)

    def login(self, username: str = "airflow_demo", password: str = "demo-password") -> Api:
        """Log in with a plain `#PWD_INSTAGRAM:0:` password and keep the bearer token."""
        response = self.signed(
            "accounts/login/",
            {"username": username, "enc_password": f"#PWD_INSTAGRAM:0:1700000000:{password}"},
        )
        assert response.status_code == 200, response.text
        self.session.headers["Authorization"] = response.headers["ig-set-authorization"]
        return self

    def send(self, kind: str, fields: dict, thread_id: str | None = None, **kw: Any):
        """POST `direct_v2/threads/broadcast/{kind}/` to one thread."""
        data = dict(fields)
        if thread_id is not None:
            data["thread_ids"] = json.dumps([thread_id])
        return self.post(f"direct_v2/threads/broadcast/{kind}/", data, **kw)


def jpeg(width: int = 64, height: int = 48) -> bytes:
    """A small real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def mp4(size: int = 4096) -> bytes:
    """Bytes that start like an MP4 (an `ftyp` box), padded to `size`."""
    box = struct.pack(">I", 24) + b"ftypisom" + b"\0\0\2\0" + b"isomiso2"
    return box + b"\0" * (size - len(box))
