"""Stage 2 — extract: ``SourceFile`` -> ``Page`` (decoded text), or ``SkippedFile`` with its reason.

Reading is defensive: a file that is empty, binary, too large or not decodable becomes a counted skip
with a one-line reason, never an exception that stops the run.
"""

from __future__ import annotations

import hashlib

from searchkit.models import Page, SkippedFile, SourceFile
from searchkit.sources import kind_of

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class ExtractionError(Exception):
    """A file that cannot become a page; the message is the skip reason users see."""


def read_page(source: SourceFile, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Page | SkippedFile:
    try:
        if source.size > max_bytes:
            raise ExtractionError(
                f"larger than the size cap ({_mb(source.size)} > {_mb(max_bytes)})"
            )
        try:
            with open(source.path, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise ExtractionError(f"cannot read: {exc.strerror or exc}") from None
        if len(data) > max_bytes:
            raise ExtractionError(f"larger than the size cap ({_mb(max_bytes)})")
        text, encoding = decode(data)
        kind = kind_of(source.relpath) or "text"
        digest = hashlib.sha256(data).hexdigest()
        return Page(source=source, text=text, kind=kind, encoding=encoding, digest=digest)
    except ExtractionError as exc:
        return SkippedFile(source.relpath, str(exc))


def decode(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding name). Raises ExtractionError for empty, binary or undecodable data."""
    if not data.strip():
        raise ExtractionError("empty file")
    if looks_binary(data):
        raise ExtractionError("binary file (not text)")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def looks_binary(data: bytes) -> bool:
    """A NUL byte or a high share of control characters in the first 8 KiB marks a binary file."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.1


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"
