"""Stage 2 — extract: ``SourceFile`` -> ``Page`` (decoded text), or ``SkippedFile`` with its reason.

Reading is defensive: a file that is empty, binary, too large or not decodable becomes a counted skip
with a one-line reason, never an exception that stops the run. Files that are not UTF-8 are decoded
with the encoding the page declares (HTML) or the one charset-normalizer detects (see ``decode``).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat

from searchkit.ingest.discover import inside, kind_of, too_large
from searchkit.models import Page, SkippedFile, SourceFile
from searchkit.terminal import strip_sequences

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# Magic numbers of common binary formats that happen to carry a text extension.
_MAGIC = (b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"\x7fELF")
# Control characters that text does not hold (tab, newlines, form feed are fine).
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{2,40})""", re.I
)


class ExtractionError(Exception):
    """A file that cannot become a page; the message is the skip reason users see."""


def read_page(source: SourceFile, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Page | SkippedFile:
    try:
        return page_from_bytes(source, read_bytes(source, max_bytes))
    except ExtractionError as exc:
        return SkippedFile(source.relpath, str(exc))


def read_bytes(source: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, or ExtractionError when it cannot be read or is over the size cap.

    The file can change between discovery and now, so nothing discovery saw is trusted: the size
    is checked again (before and after reading); the path is opened without following a link and
    without blocking (a FIFO swapped in would otherwise hang the run, a link to ``/etc/passwd``
    would be indexed), and what was opened must be a regular file that is still inside its root.
    Anything else is a skip: "changed while indexing: now a FIFO".
    """
    if source.size > max_bytes:
        raise ExtractionError(too_large(source.size, max_bytes))
    try:
        fd = os.open(source.path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in _LINK_ERRNOS and os.path.islink(source.path):
            raise ExtractionError(f"{_CHANGED}: now a symlink") from None
        raise ExtractionError(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ExtractionError(f"{_CHANGED}: now {_file_type(st.st_mode)}")
        if source.root and not _opened_inside(fd, source.path, st, source.root):
            raise ExtractionError(f"{_CHANGED}: now outside the indexed folder")
        if st.st_size > max_bytes:
            raise ExtractionError(too_large(st.st_size, max_bytes))
        os.set_blocking(fd, True)
        with open(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ExtractionError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ExtractionError(too_large(len(data), max_bytes))
    return data


_CHANGED = "changed while indexing"
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# What open(O_NOFOLLOW) fails with on a link: ELOOP (Linux, macOS), EMLINK (FreeBSD), EFTYPE (NetBSD).
_LINK_ERRNOS = {errno.ELOOP, errno.EMLINK, getattr(errno, "EFTYPE", errno.ELOOP)}


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _opened_inside(fd: int, path: str, st: os.stat_result, root: str) -> bool:
    """The file open as ``fd`` lies inside ``root``: by the path the kernel has for the open file
    (Linux's /proc), else by ``path``'s real path, provided that still names the same file."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        real = os.path.realpath(path)
        try:
            now = os.stat(real, follow_symlinks=False)
        except OSError:
            return False
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return False
    return inside(real, root)


def page_from_bytes(source: SourceFile, data: bytes, *, digest: str | None = None) -> Page:
    kind = kind_of(source.relpath) or "text"
    text, encoding = decode(data, html=kind == "html")
    text = strip_sequences(text)  # terminal escapes in a scraped page are never article text
    digest = digest or hashlib.sha256(data).hexdigest()
    return Page(source=source, text=text, kind=kind, encoding=encoding, digest=digest)


def decode(data: bytes, *, html: bool = False) -> tuple[str, str]:
    """Bytes -> (text, encoding name). Raises ExtractionError for empty, binary or undecodable data.

    The order: a byte-order mark; UTF-16 without one (see ``_utf16_without_bom``); valid UTF-8; UTF-8 with a few damaged bytes (replaced, so one bad
    byte does not turn a whole file into mojibake); the charset an HTML page declares; a guess by
    charset-normalizer. Stray NUL bytes in an otherwise textual file are dropped.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _clean(data.decode(codec)), codec.removesuffix("-sig")
            except UnicodeDecodeError:
                break
    if not data.strip():
        raise ExtractionError("empty file")
    wide = _utf16_without_bom(data)
    if wide is not None:
        return wide
    if looks_binary(data):
        raise ExtractionError("binary file (not text)")
    data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if _mostly_utf8(data):
        return data.decode("utf-8", errors="replace"), "utf-8 (damaged bytes replaced)"
    if html:
        declared = _declared_charset(data)
        if declared is not None:
            try:
                return data.decode(declared), declared
            except (UnicodeDecodeError, LookupError):
                pass
    guessed = _guess(data)
    if guessed is None:
        raise ExtractionError(
            f"cannot tell the text encoding (not UTF-8: byte 0x{data[first_bad]:02x} "
            f"at offset {first_bad})"
        )
    return guessed


def looks_binary(data: bytes) -> bool:
    """A known binary signature, or a high share of control characters in the first 8 KiB."""
    head = data[:8192]
    if head.startswith(_MAGIC):
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > len(head) * 0.1


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text that has no byte-order mark (which ``looks_binary`` takes for binary, since
    it is full of NUL bytes): in the first KB, the high byte of most characters is NUL — the odd
    bytes for little-endian, the even ones for big-endian — and the other half has next to none;
    the whole file decodes, and what it decodes to is nearly all printable text."""
    if len(data) < 4 or len(data) % 2:
        return None
    head = data[:1024]
    half = len(head) // 2
    even_nuls, odd_nuls = head[0::2].count(0), head[1::2].count(0)
    if odd_nuls >= half * 0.3 and even_nuls <= half * 0.05:
        codec = "utf-16-le"
    elif even_nuls >= half * 0.3 and odd_nuls <= half * 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    sample = text[:4096]
    printable = sum(1 for ch in sample if ch.isprintable() or ch in "\t\n\r\f")
    if printable < len(sample) * 0.95:
        return None
    return _clean(text), codec


def _clean(text: str) -> str:
    return text.replace("\x00", "")


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 text with a few damaged bytes: many valid multi-byte sequences, few invalid bytes."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    multibyte = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return multibyte > 0 and invalid * 4 <= multibyte and invalid <= len(data) * 0.01


def _declared_charset(data: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(data[:4096])
    if match is None:
        return None
    import codecs

    name = match.group(1).decode("ascii").lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # Browsers read latin-1 and ascii declarations as windows-1252 (the WHATWG encoding standard).
    return "cp1252" if codec in ("iso8859-1", "latin-1", "ascii") else codec


def _guess(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes
    from charset_normalizer.utils import is_multi_byte_encoding

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    encoding = best.encoding
    if not is_multi_byte_encoding(encoding):
        # charset-normalizer often names a DOS code page (cp850, cp775) for Western text; the
        # legacy encoding such files really use is windows-1252, so prefer it for Latin text.
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if western is not None and _mostly_latin(text):
            return western, "cp1252"
    return _clean(text), encoding


def _mostly_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha() and ord(ch) > 127]
    latin = sum(1 for ch in letters if 0xC0 <= ord(ch) <= 0x24F)
    return not letters or latin * 2 > len(letters)
