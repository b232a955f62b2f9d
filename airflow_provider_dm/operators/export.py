"""What the fetch operators share: parsing ``since``, an atomic JSON Lines export to a local
path or an ``ObjectStoragePath`` URL, and a progress log that speaks every few seconds.

Atomicity: the lines go to a temporary file (or object) next to the target, which is renamed
onto the target only once every line is written; on any failure the temporary is deleted, so
a reader never sees a partial export. Locally the rename is ``os.replace``; on object storage
it is the store's move (a copy then delete on S3/GCS, whose objects appear whole or not at all).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

PROGRESS_EVERY = 5.0
_NONE_TEXTS = ("", "none", "null")
# Kernel and device trees: never a place for an export.
_SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


def parse_since(value: Any, field: str = "since") -> datetime | None:
    """A rendered ``since``: a datetime, an ISO-8601 string (naive means UTC) or empty/None."""
    if value is None or isinstance(value, datetime):
        return _aware(value) if value is not None else None
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _NONE_TEXTS:
            return None
        try:
            return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            raise ValueError(f"{field}: must be an ISO-8601 date-time, got {value!r}") from None
    raise ValueError(f"{field}: must be a datetime or an ISO-8601 string, got {value!r}")


def output_path_value(value: Any) -> str | None:
    """A rendered ``output_path``: None when empty, else the path or URL, checked to be a
    writable file place before the export starts (``ValueError`` naming ``output_path``)."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"output_path: must be a path or URL, got {type(value).__name__}")
    text = str(value).strip()
    if text.lower() in _NONE_TEXTS:
        return None
    if "\x00" in text:
        raise ValueError("output_path: holds a NUL character")
    if not is_url(text):
        check_local_target(Path(text).expanduser())
    return text


def check_local_target(target: Path) -> None:
    """Refuse a local export target that is a directory, lies in /proc, /sys or /dev, or
    whose folder (or nearest existing ancestor) this process cannot write."""
    resolved = target.resolve()
    for tree in _SYSTEM_TREES:
        if resolved == tree or tree in resolved.parents:
            raise ValueError(f"output_path: {str(target)!r} is in {tree}, not a place for files")
    if target.is_dir():
        raise ValueError(f"output_path: {str(target)!r} is a directory; name a file in it")
    if target.exists() and not os.access(target, os.W_OK):
        raise ValueError(f"output_path: {str(target)!r} is not writable")
    folder = resolved.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ValueError(f"output_path: {str(folder)!r} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"output_path: the folder {str(folder)!r} is not writable")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """An ISO-8601 UTC string, or None."""
    return moment.astimezone(timezone.utc).isoformat() if moment is not None else None


def is_url(path: str) -> bool:
    """True for a URL with a scheme (``s3://…``, ``file://…``), False for a plain local path."""
    return "://" in path


class Progress:
    """Logs ``what`` counts at most every ``every`` seconds, and once at the end."""

    def __init__(self, log: logging.Logger, what: str, every: float = PROGRESS_EVERY) -> None:
        self.log, self.what, self.every = log, what, every
        self.started = self.last = time.monotonic()

    def tick(self, pages: int, count: int) -> None:
        """Log if the last line is at least ``every`` seconds old."""
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line(pages, count)

    def done(self, pages: int, count: int) -> None:
        """The closing line."""
        self._line(pages, count)

    def _line(self, pages: int, count: int) -> None:
        elapsed = time.monotonic() - self.started
        self.log.info("%d pages, %d %s so far (%.1f s)", pages, count, self.what, elapsed)


@contextmanager
def atomic_jsonl(path: str) -> Iterator[JsonLinesWriter]:
    """Write JSON Lines to a temporary next to ``path`` and move it onto ``path`` on success."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"output_path: must be a non-empty path or URL, got {path!r}")
    if is_url(path):
        from airflow.sdk import ObjectStoragePath

        target: Any = ObjectStoragePath(path)
    else:
        target = Path(path).expanduser()
    temp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with temp.open("w", encoding="utf-8") as handle:
            writer = JsonLinesWriter(handle)
            yield writer
        if isinstance(target, Path):
            os.replace(temp, target)
        else:
            temp.rename(target)
    except BaseException:
        _remove(temp)
        raise


def _remove(temp: Any) -> None:
    try:
        if temp.exists():
            temp.unlink()
    except OSError:
        logging.getLogger(__name__).warning("could not remove the temporary export %s", temp)


class JsonLinesWriter:
    """One JSON object per line; counts what it wrote."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""
        self._handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        self._handle.write("\n")
        self.count += 1


def collect(
    entries: Any,
    *,
    output_path: str | None,
    summary: Any,
    limit: int,
    what: str,
    log: logging.Logger,
) -> tuple[list[dict[str, Any]] | None, int]:
    """Walk ``entries`` (a client ``Listing``) once, page by page.

    With ``output_path``, each entry's summary plus its raw payload (``"raw"``) is streamed to
    the export and nothing is kept (returns ``(None, count)``). Without it, ``summary(entry)``
    is collected, and more than ``limit`` entries raise ``ValueError`` naming ``output_path``.
    """
    progress = Progress(log, what)
    if output_path is not None:
        with atomic_jsonl(output_path) as writer:
            for entry in entries:
                writer.write({**summary(entry), "raw": entry.raw})
                progress.tick(entries.pages, writer.count)
        progress.done(entries.pages, writer.count)
        return None, writer.count
    summaries: list[dict[str, Any]] = []
    for entry in entries:
        if len(summaries) >= limit:
            raise ValueError(
                f"output_path: more than {limit} {what} is too much for XCom; set output_path "
                f"to export them as JSON Lines (or lower the count with a max_* argument)"
            )
        summaries.append(summary(entry))
        progress.tick(entries.pages, len(summaries))
    progress.done(entries.pages, len(summaries))
    return summaries, len(summaries)
