"""P4b big photos: a 200 MP JPEG and an 80 MP RGBA PNG to an upload-ready JPEG, by our
`prepare_photo`, by instagrapi's `prepare_image` and by naive Pillow (open/resize/save, with
Pillow's pixel limit lifted so that it opens them at all); CPU time and peak RSS, each sample in
a fresh process. The photos are written by the tests' writer, tests/client/photo_fixtures.py."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from benchmarks import p4_photo
from benchmarks.context import BenchContext
from benchmarks.probe import Probe
from benchmarks.report import Row, Series, at_most
from benchmarks.side import REPO, run_side

CASE = "p4b_big_photo"
PHOTOS = {
    "big_jpeg": ("200 MP JPEG (16,320x12,240, EXIF-rotated)", "photo-200mp.jpg"),
    "big_png": ("80 MP RGBA PNG (10,328x7,744)", "photo-80mp.png"),
}
WRITER = REPO / "tests" / "client" / "photo_fixtures.py"


def make_photos(ctx: BenchContext) -> dict[str, Path]:
    """Write both photos once, each by a process of its own (encoding 200 MP takes 800 MB)."""
    paths = {}
    for kind, (_, name) in PHOTOS.items():
        path = ctx.out / "p4b" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(ctx.ours_python), str(WRITER), kind, str(path)], check=True)
        paths[kind] = path
    return paths


def naive(probe: Probe, *, path: str) -> None:
    """P4's naive Pillow open/resize/save, with Pillow's pixel limit lifted so that it opens
    these photos at all."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None
    p4_photo.naive(probe, path=path)


SIDES = {"ours": p4_photo.ours, "peer": p4_photo.peer, "naive": naive}


def run(ctx: BenchContext) -> list[Row]:
    """For each photo, alternate the three sides, one fresh process per sample."""
    paths = make_photos(ctx)
    return [row for kind, path in paths.items() for row in _photo_rows(ctx, kind, path)]


def _photo_rows(ctx: BenchContext, kind: str, path: Path) -> list[Row]:
    label = PHOTOS[kind][0]
    pythons = {"ours": ctx.ours_python, "peer": ctx.peer_python, "naive": ctx.ours_python}
    samples: dict[str, list[dict[str, Any]]] = {side: [] for side in pythons}
    failed: dict[str, str] = {}
    for _ in range(ctx.times(3)):
        for side, python in pythons.items():
            if side not in failed:
                try:
                    samples[side].append(run_side(python, CASE, side, {"path": str(path)}))
                except Exception as exc:
                    failed[side] = str(exc)[-300:]

    def series(side: str, key: str, unit: str) -> Series | None:
        values = [s[key] for s in samples[side]]
        return Series.of(values, unit) if values else None

    def note(side: str) -> str:
        return f"not measured: {failed[side]}" if side in failed else ""

    rows = []
    for key, unit, measure, goal in (
        ("cpu_seconds", "s", "CPU time", at_most(0.5, "≤ 0.5x naive")),
        ("seconds", "s", "time", None),
        ("rss_growth_mib", "MiB", "peak RSS growth", None),
    ):
        for baseline, side, side_goal in (
            ("naive Pillow open/resize/save (limit lifted)", "naive", goal),
            ("instagrapi `prepare_image` (peer venv)", "peer", None),
        ):
            rows.append(
                Row(
                    "P4b big photo",
                    f"{label} → upload JPEG, {measure}",
                    series("ours", key, unit),
                    baseline,
                    series(side, key, unit),
                    side_goal,
                    note=note("ours") or note(side),
                )
            )
    if samples["ours"]:
        growth = max(s["rss_growth_mib"] for s in samples["ours"])
        ctx.note(
            f"P4b {label}: ours {samples['ours'][0]['size']} px, accepted, worst peak RSS "
            f"growth {growth:.0f} MiB (goal ≤ 150 MB: {'met' if growth <= 143 else 'missed'})."
        )
    return rows
