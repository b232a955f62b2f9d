"""P5b video transcode: a 30 s 1080p HEVC/AAC clip (made by this script with PyAV) to the
H.264/AAC Direct takes, by our `prepare_video(transcode=True)` and by a plain PyAV loop with the
same encoder settings (decode, `frame.reformat` to 1280x720, encode), each in a fresh process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.context import BenchContext
from benchmarks.probe import Probe
from benchmarks.report import Row, Series, at_most
from benchmarks.side import run_side

CASE = "p5b_transcode"
SECONDS = 30
FPS = 30
SIZE = (1920, 1080)
OUT_SIZE = (1280, 720)
X264 = {"preset": "veryfast", "crf": "23", "maxrate": "3500000", "bufsize": "7000000"}


def make_clip(path: Path) -> Path:
    """Write (once) the 30 s 1080p HEVC clip: a smooth textured background with a box moving
    across it (x265 `ultrafast`; moving full-frame noise made it take many minutes), a tone."""
    if path.exists():
        return path
    import math
    import struct

    import av
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    small = (SIZE[0] // 8, SIZE[1] // 8)
    background = Image.effect_noise(small, 60).convert("RGB").resize(SIZE, Image.BILINEAR)
    part = path.with_suffix(".part")
    with av.open(str(part), "w", format="mp4") as out:
        video = out.add_stream("libx265", rate=FPS)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.options = {"preset": "ultrafast", "x265-params": "log-level=error"}
        video.codec_context.codec_tag = "hvc1"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for index in range(SECONDS * FPS):
            image = background.copy()
            left = index * 4 % (SIZE[0] - 320)
            ImageDraw.Draw(image).rectangle((left, 380, left + 320, 700), fill=(255, 200, 0))
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        block = 1024
        for start in range(0, SECONDS * 48000, block):
            wave = [
                round(8000 * math.sin(2 * math.pi * 440 * (start + i) / 48000))
                for i in range(block)
            ]
            frame = av.AudioFrame(format="s16", layout="stereo", samples=block)
            frame.planes[0].update(struct.pack(f"<{2 * block}h", *(s for s in wave for _ in "lr")))
            frame.sample_rate, frame.pts = 48000, start
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    part.rename(path)
    return path


def ours(probe: Probe, *, path: str, workdir: str) -> None:
    """`prepare_video(path, transcode=True)`: checks, then the streamed transcode."""
    from airflow_provider_dm.client.transcode import prepare_video

    with probe.measure():
        video = prepare_video(path, transcode=True, workdir=workdir)
    probe.extra.update(out_bytes=video.info.bytes, size=[video.info.width, video.info.height])
    video.discard()


def plain(probe: Probe, *, path: str, workdir: str) -> None:
    """Plain PyAV: decode every packet, `reformat` each frame to 1280x720, encode with the same
    x264 options and AAC 128k, moov first."""
    import av

    target = Path(workdir) / "plain.mp4"
    with (
        probe.measure(),
        av.open(path) as given,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        vin, ain = given.streams.video[0], given.streams.audio[0]
        vin.thread_type = "AUTO"
        vout = out.add_stream("libx264", rate=vin.average_rate, options=X264)
        vout.width, vout.height, vout.pix_fmt = *OUT_SIZE, "yuv420p"
        aout = out.add_stream("aac", rate=ain.rate)
        aout.layout, aout.bit_rate = "stereo", 128_000
        for packet in given.demux(vin, ain):
            for frame in packet.decode():
                if packet.stream is vin:
                    small = frame.reformat(*OUT_SIZE, format="yuv420p")
                    small.pts, small.time_base = frame.pts, frame.time_base
                    out.mux(vout.encode(small))
                else:
                    out.mux(aout.encode(frame))
        out.mux(vout.encode(None))
        out.mux(aout.encode(None))
    probe.extra.update(out_bytes=target.stat().st_size, size=list(OUT_SIZE))
    target.unlink()


SIDES = {"ours": ours, "plain": plain}


def run(ctx: BenchContext) -> list[Row]:
    """Alternate ours and plain, one fresh process per sample."""
    path = str(make_clip(ctx.out / "p5b" / "hevc-30s-1080p.mp4"))
    workdir = ctx.out / "p5b" / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    samples: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    failed: dict[str, str] = {}
    for _ in range(ctx.times(3)):
        for side in SIDES:
            if side not in failed:
                try:
                    args = {"path": path, "workdir": str(workdir)}
                    samples[side].append(run_side(ctx.ours_python, CASE, side, args))
                except Exception as exc:
                    failed[side] = str(exc)

    def series(side: str, key: str, unit: str) -> Series | None:
        values = [s[key] for s in samples[side]]
        return Series.of(values, unit) if values else None

    note = "; ".join(f"{side} not measured: {why}" for side, why in failed.items())
    rows = [
        Row(
            "P5b video transcode",
            "30 s 1080p HEVC → 720p H.264/AAC, time",
            series("ours", "seconds", "s"),
            "plain PyAV decode/reformat/encode loop",
            series("plain", "seconds", "s"),
            at_most(1.1, "≤ 1.1x plain PyAV"),
            note=note,
        ),
        Row(
            "P5b video transcode",
            "30 s 1080p HEVC → 720p H.264/AAC, CPU time",
            series("ours", "cpu_seconds", "s"),
            "plain PyAV decode/reformat/encode loop",
            series("plain", "cpu_seconds", "s"),
            note=note,
        ),
        Row(
            "P5b video transcode",
            "30 s 1080p HEVC → 720p H.264/AAC, peak RSS growth",
            series("ours", "rss_growth_mib", "MiB"),
            "plain PyAV decode/reformat/encode loop",
            series("plain", "rss_growth_mib", "MiB"),
            at_most(1.5, "≤ 1.5x plain PyAV"),
            note=note,
        ),
    ]
    if samples["ours"] and samples["plain"]:
        ctx.note(
            f"P5b outputs: ours {samples['ours'][0]['size']} px, "
            f"{samples['ours'][0]['out_bytes']:,} B; plain {samples['plain'][0]['size']} px, "
            f"{samples['plain'][0]['out_bytes']:,} B (x264 {X264['preset']}, CRF "
            f"{X264['crf']}, maxrate 3.5 Mb/s, AAC 128k, both)."
        )
    return rows
