"""P4 photo prep: a 24 MP JPEG (EXIF-rotated) to an upload-ready JPEG, by our `prepare_photo`,
by instagrapi's `prepare_image` (as its `direct_send_photo` calls it), and by naive Pillow."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from benchmarks.context import BenchContext
from benchmarks.probe import Probe
from benchmarks.report import Row, Series, at_most
from benchmarks.side import run_side

CASE = "p4_photo"
SIZE = (6000, 4000)
QUALITY = 70
MAX_SIDE = 1080


def make_photo(path: Path) -> Path:
    """Write the 24 MP test photo once: noise and gradients, EXIF orientation 6 (rotate 90°)."""
    if path.exists():
        return path
    from PIL import Image

    noise = Image.effect_noise(SIZE, 48)
    horizontal = Image.linear_gradient("L").rotate(90).resize(SIZE)
    vertical = Image.linear_gradient("L").resize(SIZE)
    image = Image.merge("RGB", (noise, horizontal, vertical))
    exif = Image.Exif()
    exif[0x0112] = 6
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=90, exif=exif)
    return path


def ours(probe: Probe, *, path: str) -> None:
    """`airflow_provider_dm.client.media.prepare_photo(path)` with its defaults."""
    from airflow_provider_dm.client.media import prepare_photo

    with probe.measure():
        photo = prepare_photo(path)
    probe.extra.update(out_bytes=len(photo.jpeg), size=[photo.width, photo.height])


def peer(probe: Probe, *, path: str) -> None:
    """instagrapi's `prepare_image(path, max_side=1080)`, the call its photo sends make."""
    from instagrapi.image_util import prepare_image

    with probe.measure():
        data, size = prepare_image(path, max_side=MAX_SIDE)
    probe.extra.update(out_bytes=len(data), size=list(size))


def naive(probe: Probe, *, path: str) -> None:
    """Naive Pillow: open, resize to a long side of 1080, save as JPEG."""
    from PIL import Image

    with probe.measure():
        image = Image.open(path)
        scale = MAX_SIDE / max(image.size)
        small = image.resize((round(image.width * scale), round(image.height * scale)))
        out = io.BytesIO()
        small.convert("RGB").save(out, "JPEG", quality=QUALITY)
    probe.extra.update(out_bytes=out.tell(), size=list(small.size))


SIDES = {"ours": ours, "peer": peer, "naive": naive}


def run(ctx: BenchContext) -> list[Row]:
    """Alternate the three, one fresh process per sample (so peak RSS is each side's own)."""
    path = str(make_photo(ctx.out / "p4" / "photo-24mp.jpg"))
    pythons = {"ours": ctx.ours_python, "peer": ctx.peer_python, "naive": ctx.ours_python}
    samples: dict[str, list[dict[str, Any]]] = {side: [] for side in pythons}
    failed: dict[str, str] = {}
    for _ in range(ctx.times(9)):
        for side, python in pythons.items():
            if side not in failed:
                try:
                    samples[side].append(run_side(python, CASE, side, {"path": path}))
                except Exception as exc:
                    failed[side] = str(exc)

    def series(side: str, key: str, unit: str) -> Series | None:
        values = [s[key] for s in samples[side]]
        return Series.of(values, unit) if values else None

    def note(side: str) -> str:
        return f"not measured: {failed[side]}" if side in failed else ""

    rows = []
    for key, unit, measure in (
        ("seconds", "s", "24 MP JPEG → upload JPEG, time"),
        ("cpu_seconds", "s", "24 MP JPEG → upload JPEG, CPU time"),
        ("rss_growth_mib", "MiB", "24 MP JPEG → upload JPEG, peak RSS growth"),
    ):
        rows.append(
            Row(
                "P4 photo prep",
                measure,
                series("ours", key, unit),
                "instagrapi `prepare_image` (peer venv)",
                series("peer", key, unit),
                None if key == "cpu_seconds" else at_most(0.5, "≤ 0.5x instagrapi"),
                note=note("ours") or note("peer"),
            )
        )
        rows.append(
            Row(
                "P4 photo prep",
                measure,
                series("ours", key, unit),
                "naive Pillow open/resize/save",
                series("naive", key, unit),
                note=note("ours") or note("naive"),
            )
        )
    if samples["ours"] and samples["peer"]:
        ctx.note(
            "P4 outputs: ours "
            f"{samples['ours'][0]['size']} px, {samples['ours'][0]['out_bytes']:,} B (EXIF "
            f"orientation applied); instagrapi {samples['peer'][0]['size']} px, "
            f"{samples['peer'][0]['out_bytes']:,} B (orientation not applied); naive "
            f"{samples['naive'][0]['size'] if samples['naive'] else '?'} px. instagrapi 3.2.2 "
            "needs Pillow ≥ 13, ours is pinned to 12.3: the peer side runs on Pillow 13."
        )
    return rows
