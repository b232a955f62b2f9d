"""P5 video upload: a 1 GiB MP4 through our `upload_video` (attachment route, chunked, resumable)
against one raw streamed `requests` POST of the same file with the same headers."""

from __future__ import annotations

import os
import shutil
import struct
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.context import BenchContext
from benchmarks.emulator_process import EmulatorProcess, airflow_env, login_headers
from benchmarks.probe import Probe
from benchmarks.report import Row, Series, at_least, at_most
from benchmarks.side import run_side

CASE = "p5_video"
CONN_ID = "bench_direct"
SIZE = int(os.environ.get("BENCH_P5_BYTES", str(1 << 30)))
MIB = 1 << 20
UPLOAD_ROUTE = "/messenger_video/"
SKIP_HEADERS = {
    "authorization",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "x-entity-name",
}


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def make_mp4(path: Path, size: int) -> Path:
    """Write (once) an MP4 of `size` bytes: ftyp, moov (mvhd, a 1280x720 H.264 video trak
    whose one sample is the mdat), mdat."""
    if path.exists() and path.stat().st_size == size:
        return path
    matrix = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, 1000, 60_000)
        + struct.pack(">IH10x", 0x10000, 0x100)
        + matrix
        + bytes(24)
        + struct.pack(">I", 2),
    )
    tkhd = _box(
        b"tkhd",
        struct.pack(">I", 3)
        + struct.pack(">IIIII", 0, 0, 1, 0, 60_000)
        + bytes(8)
        + struct.pack(">hhHH", 0, 0, 0, 0)
        + matrix
        + struct.pack(">II", 1280 << 16, 720 << 16),
    )
    hdlr = _box(b"hdlr", bytes(4) + bytes(4) + b"vide" + bytes(12) + b"Video\0")
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")

    def moov(offset: int, body: int) -> bytes:
        """The moov, its one sample (the whole mdat, one chunk at ``offset``) an H.264 one."""
        stbl = _box(
            b"stbl",
            _box(b"stsd", struct.pack(">II", 0, 1) + _box(b"avc1", bytes(8)))
            + _box(b"stsz", struct.pack(">IIII", 0, 0, 1, body))
            + _box(b"stsc", struct.pack(">IIIII", 0, 1, 1, 1, 1))
            + _box(b"stco", struct.pack(">III", 0, 1, offset)),
        )
        mdia = _box(b"mdia", hdlr + _box(b"minf", stbl))
        return _box(b"moov", mvhd + _box(b"trak", tkhd + mdia))

    head_size = len(ftyp) + len(moov(0, 0))
    body = size - head_size - 8
    head = ftyp + moov(head_size + 8, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(4 * MIB)
    with open(path.with_suffix(".part"), "wb") as handle:
        handle.write(head + struct.pack(">I4s", body + 8, b"mdat"))
        left = body
        while left:
            left -= handle.write(block[: min(left, len(block))])
    path.with_suffix(".part").rename(path)
    return path


def ours(probe: Probe, *, path: str, conn_id: str = CONN_ID) -> None:
    """`DirectHook(...).get_conn().upload_video(path)` on the default attachment route."""
    from airflow_provider_dm.hooks.direct import DirectHook

    client = DirectHook(conn_id).get_conn()
    with probe.measure():
        upload = client.upload_video(path)
    probe.extra["bytes"] = upload.bytes
    probe.extra["mib_per_s"] = upload.bytes / MIB / probe.seconds


def raw(probe: Probe, *, url: str, path: str, headers: dict[str, str]) -> None:
    """The limit: one streamed `requests.post(data=<file>)` to the same route, same headers."""
    import requests

    size = os.path.getsize(path)
    upload_id = str(int(time.time() * 1000))
    name = f"{uuid.uuid4().hex}-0-{size}-{upload_id}-{upload_id}"
    send_headers = {**headers, **login_headers(url), "X-Entity-Name": name, "Offset": "0"}
    send_headers["X-Entity-Length"] = str(size)
    with probe.measure(), open(path, "rb") as handle:
        response = requests.post(
            f"{url}{UPLOAD_ROUTE}{name}", data=handle, headers=send_headers, timeout=600
        )
        if response.status_code != 200 or "media_id" not in response.json():
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
    probe.extra["bytes"] = size
    probe.extra["mib_per_s"] = size / MIB / probe.seconds


SIDES = {"ours": ours, "raw": raw}


def run(ctx: BenchContext) -> list[Row]:
    """Alternate ours and raw on one emulator; ours goes first so raw can copy its headers."""
    from airflow_provider_dm.emulator.control import EmulatorControl

    source = str(make_mp4(ctx.out / "p5-source" / f"video-{SIZE}-avc1.mp4", SIZE))
    work = ctx.out / "p5"
    shutil.rmtree(work, ignore_errors=True)
    samples: dict[str, list[dict[str, Any]]] = {"ours": [], "raw": []}
    failed: dict[str, str] = {}
    headers: dict[str, str] | None = None
    try:
        with EmulatorProcess(work / "emulator.sqlite", "demo", python=str(ctx.ours_python)) as emu:
            control = EmulatorControl(emu.url)
            env = airflow_env(emu.url, CONN_ID, work / "airflow-home")
            for _ in range(ctx.times(9)):
                for side in ("ours", "raw"):
                    if side in failed or (side == "raw" and headers is None):
                        continue
                    emulator_cpu = _cpu_seconds(emu.pid)
                    try:
                        if side == "ours":
                            sample = run_side(
                                ctx.ours_python, CASE, side, {"path": source}, env=env
                            )
                            headers = headers or _captured_headers(control)
                        else:
                            args = {"url": emu.url, "path": source, "headers": headers}
                            sample = run_side(ctx.ours_python, CASE, side, args)
                        sample["emulator_cpu_seconds"] = _cpu_seconds(emu.pid) - emulator_cpu
                        samples[side].append(sample)
                    except Exception as exc:
                        failed[side] = str(exc)
                    _drop_uploads(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def series(side: str, key: str, unit: str) -> Series | None:
        values = [s[key] for s in samples[side]]
        return Series.of(values, unit) if values else None

    def note(side: str) -> str:
        return f"not measured: {failed[side]}" if side in failed else ""

    size = f"{SIZE / (1 << 30):.3g} GiB" if SIZE >= 1 << 30 else f"{SIZE / MIB:.0f} MiB"
    return [
        Row(
            "P5 video upload",
            f"{size} MP4, throughput",
            series("ours", "mib_per_s", "MiB/s"),
            "raw streamed `requests` POST (limit)",
            series("raw", "mib_per_s", "MiB/s"),
            at_least(0.8, "≥ 0.8x raw"),
            note=note("ours") or note("raw"),
        ),
        Row(
            "P5 video upload",
            f"{size} MP4, client CPU time",
            series("ours", "cpu_seconds", "s"),
            "raw streamed `requests` POST",
            series("raw", "cpu_seconds", "s"),
            note=note("ours") or note("raw"),
        ),
        Row(
            "P5 video upload",
            f"{size} MP4, emulator CPU time (it bounds the throughput)",
            series("ours", "emulator_cpu_seconds", "s"),
            "during the raw POST",
            series("raw", "emulator_cpu_seconds", "s"),
            note=note("ours") or note("raw"),
        ),
        Row(
            "P5 video upload",
            f"{size} MP4, peak RSS growth",
            series("ours", "rss_growth_mib", "MiB"),
            "—",
            None,
            at_most(32, "≤ 32 MB"),
            note=note("ours"),
        ),
        Row(
            "P5 video upload",
            f"{size} MP4, peak RSS growth",
            series("ours", "rss_growth_mib", "MiB"),
            "raw streamed `requests` POST",
            series("raw", "rss_growth_mib", "MiB"),
            note=note("ours") or note("raw"),
        ),
    ]


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of process `pid` so far (from /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _captured_headers(control: Any) -> dict[str, str]:
    """The headers of our client's upload POST, from the emulator's request log."""
    for entry in reversed(control.requests()):
        if entry["method"] == "POST" and entry["path"].startswith(UPLOAD_ROUTE):
            return {k: v for k, v in entry["headers"].items() if k.lower() not in SKIP_HEADERS}
    raise RuntimeError("our client made no upload POST")


def _drop_uploads(work: Path) -> None:
    """Delete received upload files between samples so 1 GiB copies do not pile up on disk."""
    for file in work.rglob("*"):
        if file.is_file() and file.stat().st_size > 64 * MIB and "sqlite" not in file.name:
            file.unlink()
