"""Uploads (§7): classic `rupload_igphoto` / `rupload_igvideo`, `media/upload_finish/` with its
202s, and the 2026 `messenger_image` / `messenger_video` / `messenger_audio` routes (§7.4).

Bodies are streamed to a file next to the database in 1 MiB pieces, so a 1 GiB upload costs
no memory. The bytes received so far are the file's size: that is the resume offset a `GET`
reports and the `Offset` a `POST` must start at. An upload is complete when it holds
`X-Entity-Length` bytes; then the content is checked (JPEG magic, MP4 `ftyp` box).
"""

from __future__ import annotations

import json
import re
import sqlite3
import struct
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from airflow_provider_dm.emulator import fields
from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.wire import (
    TRANSCODE_PENDING,
    DropConnection,
    JsonDict,
    Request,
    Response,
    bad_request,
    ok,
    read_chunks,
)

NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
MEDIA_ID_BASE = 100_000_000_000_000  # 15 digits: messenger media ids stay below 2**53
KINDS = {"messenger_image": "photo", "messenger_audio": "voice", "rupload_igphoto": "photo"}


def _int_header(req: Request, name: str, *, default: int | None = None) -> int:
    value = req.header(name)
    if value is None or value.strip() == "":
        if default is None:
            raise bad_request(f"Missing header: {name}")
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"Invalid {name}: {value!r} is not an integer") from None
    if number < 0:
        raise bad_request(f"Invalid {name}: {number} is negative")
    return number


def _rupload_params(req: Request, *, required: bool) -> JsonDict:
    raw = req.header("X-Instagram-Rupload-Params")
    if raw is None:
        if required:
            raise bad_request("Missing header: X-Instagram-Rupload-Params")
        return {}
    try:
        params = json.loads(raw)
    except ValueError:
        raise bad_request("Invalid X-Instagram-Rupload-Params: not valid JSON") from None
    if not isinstance(params, dict):
        raise bad_request("Invalid X-Instagram-Rupload-Params: expected a JSON object")
    return params


def _path(ctx: EmulatorState, route: str, name: str) -> Path:
    return ctx.store.upload_dir / f"{route}-{name}"


def _name(req: Request) -> str:
    name = req.params["name"]
    if not NAME.match(name):
        raise bad_request("Invalid upload name: use letters, digits, '.', '_' or '-'")
    entity = req.header("X-Entity-Name")
    if entity is None:
        raise bad_request("Missing header: X-Entity-Name")
    if entity != name:
        raise bad_request(f"Invalid X-Entity-Name: {entity!r} differs from the URL name {name!r}")
    return name


def _row(ctx: EmulatorState, name: str) -> sqlite3.Row | None:
    return ctx.store.db.execute("SELECT * FROM uploads WHERE name = ?", (name,)).fetchone()


def starts_upload(ctx: EmulatorState, req: Request) -> bool:
    """Whether an upload `POST` starts a new upload name: the one the send limits count, so
    an upload resumed in pieces counts once."""
    with ctx.store.lock:
        return _row(ctx, req.params["name"]) is None


def handle_offset(ctx: EmulatorState, req: Request) -> Response:
    """`GET rupload_igvideo/{name}` and `messenger_video/{name}`: the resume offset."""
    name = req.params["name"]
    if not NAME.match(name):
        raise bad_request("Invalid upload name: use letters, digits, '.', '_' or '-'")
    with ctx.store.lock:
        row = _row(ctx, name)
    path = _path(ctx, req.params["route"], name)
    offset = path.stat().st_size if row is not None and path.exists() else 0
    return ok(offset=offset)


def _metadata(req: Request, route: str) -> JsonDict:
    """Upload id, kind and sizes from the rupload params, per route."""
    required = route.startswith("rupload_")
    params = _rupload_params(req, required=required)
    upload_id = params.get("upload_id")
    if upload_id is not None and not str(upload_id).isdigit():
        raise bad_request("Invalid X-Instagram-Rupload-Params: upload_id must be numeric")
    if required and upload_id is None:
        raise bad_request("Invalid X-Instagram-Rupload-Params: upload_id is missing")
    meta: JsonDict = {
        "upload_id": str(upload_id) if upload_id is not None else None,
        "params": params,
        "kind": KINDS.get(route, "video"),
        "duration_ms": None,
        "width": None,
        "height": None,
    }
    if route == "rupload_igvideo":
        media_type = str(params.get("media_type", "2"))
        if media_type not in ("2", "11"):
            raise bad_request(f"Invalid media_type: {media_type!r} (use 2 for video, 11 for voice)")
        meta["kind"] = "voice" if media_type == "11" else "video"
        needed = ["upload_media_duration_ms"]
        if media_type == "2":
            needed += ["upload_media_width", "upload_media_height"]
        for key in needed:
            if not str(params.get(key, "")).isdigit():
                raise bad_request(f"Invalid X-Instagram-Rupload-Params: {key} is missing")
        meta["duration_ms"] = int(params["upload_media_duration_ms"])
        if media_type == "2":
            meta["width"] = int(params["upload_media_width"])
            meta["height"] = int(params["upload_media_height"])
    return meta


def _box(handle: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """(payload start, end) of the first box of type `kind` in `[start, end)`."""
    position = start
    while position + 8 <= end:
        handle.seek(position)
        size, found = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", handle.read(8))[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return None
        if found == kind:
            return position + header, position + size
        position += size
    return None


def _movie_duration_ms(path: Path) -> int | None:
    """The duration in the `moov/mvhd` box of an MP4/M4A, or None when it has none."""
    with path.open("rb") as handle:
        moov = _box(handle, 0, path.stat().st_size, b"moov")
        mvhd = _box(handle, *moov, b"mvhd") if moov else None
        if mvhd is None:
            return None
        handle.seek(mvhd[0])
        version = handle.read(4)[0]
        handle.seek(mvhd[0] + (20 if version == 1 else 12))
        fields_ = ">IQ" if version == 1 else ">II"
        timescale, duration = struct.unpack(fields_, handle.read(struct.calcsize(fields_)))
    return round(duration * 1000 / timescale) if timescale else None


def _check_content(path: Path, kind: str) -> tuple[int | None, int | None, int | None]:
    """Check the magic of a complete upload; return (width, height) of a photo and the
    duration of a voice message (from its movie header; a `messenger_audio` upload declares
    none)."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if kind == "photo":
        if head[:2] != b"\xff\xd8":
            raise bad_request("Invalid image: not a JPEG (the body must start with FF D8)")
        try:
            with Image.open(path) as image:
                return (*image.size, None)
        except Exception:
            raise bad_request("Invalid image: cannot read the JPEG dimensions") from None
    if head[4:8] != b"ftyp":
        what = "audio: not an M4A" if kind == "voice" else "video: not an MP4"
        raise bad_request(f"Invalid {what} (no ftyp box at the start)")
    if kind == "voice":
        return None, None, _movie_duration_ms(path)
    return None, None, None


def handle_upload(ctx: EmulatorState, req: Request) -> Response:
    """`POST` on any upload route: append the body at `Offset`, complete at the entity length."""
    route = req.params["route"]
    name = _name(req)
    total = _int_header(req, "X-Entity-Length")
    offset_header = "Segment-Start-Offset" if req.header("Offset") is None else "Offset"
    offset = _int_header(req, offset_header, default=0)
    meta = _metadata(req, route)
    path = _path(ctx, route, name)
    with ctx.store.transaction() as db:
        row = _row(ctx, name)
        if row is not None and row["complete"]:
            raise bad_request(f"Invalid upload name: {name} is already complete")
        received = path.stat().st_size if row is not None and path.exists() else 0
        if offset != received:
            raise bad_request(f"Invalid Offset: got {offset}, expected {received}")
        if offset > total:
            raise bad_request(f"Invalid Offset: {offset} is beyond X-Entity-Length {total}")
        if row is None:
            db.execute(
                "INSERT INTO uploads (name, route, kind, owner_pk, upload_id, total, width,"
                " height, duration_ms, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    route,
                    meta["kind"],
                    req.viewer,
                    meta["upload_id"],
                    total,
                    meta["width"],
                    meta["height"],
                    meta["duration_ms"],
                    json.dumps(meta["params"]),
                ),
            )
            path.write_bytes(b"")
    received = _receive(req, path, offset, total)
    with ctx.store.transaction() as db:
        db.execute("UPDATE uploads SET received = ? WHERE name = ?", (received, name))
        if received < total:
            return ok(offset=received)
        try:
            width, height, duration_ms = _check_content(path, meta["kind"])
        except Exception:
            db.execute("DELETE FROM uploads WHERE name = ?", (name,))
            path.unlink(missing_ok=True)
            raise
        media_id = None
        if route.startswith("messenger_"):
            media_id = str(ctx.store.next_counter("media_counter", MEDIA_ID_BASE))
        db.execute(
            "UPDATE uploads SET complete = 1, media_id = ?, width = coalesce(?, width),"
            " height = coalesce(?, height), duration_ms = coalesce(duration_ms, ?)"
            " WHERE name = ?",
            (media_id, width, height, duration_ms, name),
        )
    if media_id is not None:
        body: JsonDict = {"media_id": int(media_id)}
        if route == "messenger_video":
            body["id"] = 0
        return ok(**body)
    return ok(upload_id=meta["upload_id"], xsharing_nonces={})


def _receive(req: Request, path: Path, offset: int, total: int) -> int:
    """Append the body to `path`; honour a `drop` fault with `after_bytes`; return the size."""
    drop_after = req.drop_after_bytes
    assert req.body is not None
    written = 0
    limit = total - offset
    with path.open("ab") as handle:
        for piece in read_chunks(req.body, req.body_length, req.chunked):
            if drop_after is not None and written + len(piece) >= drop_after:
                handle.write(piece[: max(0, drop_after - written)])
                handle.flush()
                raise DropConnection()
            if written + len(piece) > limit:
                raise bad_request(f"Invalid X-Entity-Length: the body goes beyond {total} bytes")
            handle.write(piece)
            written += len(piece)
    if drop_after is not None:
        raise DropConnection()
    return offset + written


def handle_upload_finish(ctx: EmulatorState, req: Request) -> Response:
    """`media/upload_finish/`: photos finish at once; videos answer 202 for the first K calls."""
    upload_id = fields.digits(req.form, "upload_id")
    row = ctx.store.db.execute(
        "SELECT * FROM uploads WHERE upload_id = ? AND owner_pk = ? AND route LIKE 'rupload_%'"
        " ORDER BY complete DESC LIMIT 1",
        (upload_id, req.viewer),
    ).fetchone()
    if row is None:
        raise bad_request(f"Invalid upload_id: no upload {upload_id}")
    if not row["complete"]:
        raise bad_request(
            f"Invalid upload_id: upload {upload_id} is incomplete ({row['received']} of"
            f" {row['total']} bytes)"
        )
    calls = row["finish_calls"] + 1
    ctx.store.db.execute("UPDATE uploads SET finish_calls = ? WHERE name = ?", (calls, row["name"]))
    if row["kind"] != "photo" and calls <= ctx.transcode_polls:
        return Response(dict(TRANSCODE_PENDING), 202)
    ctx.store.db.execute("UPDATE uploads SET transcoded = 1 WHERE name = ?", (row["name"],))
    return ok(upload_id=upload_id)
