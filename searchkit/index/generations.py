"""Where an index lives on disk, and how it is replaced without readers ever seeing half of it.

Layout of an index folder (``index/`` by default)::

    index/CURRENT        name of the live generation, replaced atomically (write + rename)
    index/gen-000003/    a Whoosh index plus ``searchkit.json`` (schema version, build facts) and
                         ``checksums.json`` (each file's size and SHA-256, written on publish)
    index/.lock          held (flock) by the one process that is writing

Every run writes a new generation next to the live one and publishes it by renaming CURRENT, so a
run that fails or is killed leaves the previous index in place and searchable. The lock is an
flock, which the kernel drops when its process dies: a killed run never leaves a stale lock, and
the next run removes generations that were never published.

Incremental runs are copy-on-write rather than in place: ``link_generation`` hard-links the live
generation's files into the new one (cheap: Whoosh never rewrites a segment file or TOC, it adds
new ones), and the run's deletions and additions are committed there. Updating the live folder in
place would also be atomic for Whoosh's own TOC, but not for the generation as a whole (its
``searchkit.json`` is a second file), a commit there deletes merged-away segment files under
readers that still hold the old TOC, and a run that fails after committing part of its work would
leave a mixed state. With copy-on-write, readers see either the old generation or the new one.

Damage (a CURRENT that names no generation of this folder, a ``searchkit.json`` of the wrong shape,
a segment file truncated or altered, or anything Whoosh trips on while reading one) is reported as
``IndexDamaged``: one line that says to run ``searchkit index --rebuild``. A rebuild never reads
the damaged generation: it starts a fresh one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import pickle
import re
import shutil
import struct
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from searchkit.index.schema import SCHEMA_VERSION
from searchkit.whoosh_internals import mapped_file_class

DEFAULT_INDEX = "index"
META_FILE = "searchkit.json"
CHECKSUMS_FILE = "checksums.json"
GENERATION_NAME = re.compile(r"gen-\d{6}")  # what new_generation names them (and CURRENT holds)
_KEEP_PREVIOUS = 1  # keep the generation before the live one, for readers still holding it open


class StoreError(Exception):
    """A problem with the index folder, worded for the user."""


class IndexMissing(StoreError):
    pass


class IndexBusy(StoreError):
    pass


class NoSpace(StoreError):
    """The disk filled up during a run; the half-written generation has been removed."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(
            f"no space left on device writing {os.fspath(path)}; the previous index is unchanged"
        )


class IndexDamaged(StoreError):
    """The index folder is there but cannot be trusted: one line, and what to do about it."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(
            f"the index at {path} is damaged ({what}); run `searchkit index --rebuild`"
        )
        self.what = what


# What Whoosh raises when a segment's bytes are not what it wrote: short reads (struct.error,
# EOFError), bad compressed blocks (zlib.error), stored fields that do not unpickle, tables whose
# keys or offsets are wrong (KeyError, IndexError), "Block tag error" and friends (plain
# ValueError), offsets past the end of a file (OSError EINVAL from mmap or seek).
_DAMAGE_ERRORS: tuple[type[BaseException], ...] = (
    struct.error,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    pickle.UnpicklingError,
    UnicodeDecodeError,
    OverflowError,
    MemoryError,
)


DEMO_CORPUS = "seeds"  # the bundled demo pages, indexed into DEFAULT_INDEX beside them


def user_index_path() -> Path:
    """The per-user index: the platform's data folder (``$XDG_DATA_HOME`` or ~/.local/share on
    Linux, ~/Library/Application Support on macOS, %LOCALAPPDATA% on Windows) + searchkit/index.
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "searchkit" / "index"


def default_index_path() -> Path:
    """The index a command uses when none is named (``--index`` / ``SEARCHKIT_INDEX``).

    The user's own index (``user_index_path``) once it exists, from any folder; before that, in a
    folder holding the demo (``seeds/``, or an ``index/`` already built), that ``index/``; else
    the user's index, to be built.

    Why not ``index/`` in the current folder always, as before: run anywhere else, `search` said
    "no index at index", and a user's folders went into the demo index beside the seeds.
    """
    named = os.environ.get("SEARCHKIT_INDEX")
    if named:
        return Path(named)
    user = user_index_path()
    if (user / "CURRENT").exists():
        return user
    if Path(DEMO_CORPUS).is_dir() or (Path(DEFAULT_INDEX) / "CURRENT").exists():
        return Path(DEFAULT_INDEX)
    return user


class IndexStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_index_path()

    # --- reading -------------------------------------------------------------------------------

    def current(self) -> Path | None:
        """The live generation's folder, or None when nothing was ever published here.

        CURRENT must hold a plain generation name (``gen-NNNNNN``) whose folder is in this index
        folder, a real folder (not a link) with its ``searchkit.json``; anything else — garbage,
        ``gen-000001/../../other/gen-000001``, a generation that is gone — is ``IndexDamaged``,
        never a way to serve some other folder's index.
        """
        name = None
        for _ in range(3):
            name = self._read_pointer()
            if name is None:
                return None
            gen = self.path / name
            if not gen.is_symlink() and (gen / META_FILE).is_file():
                return gen
            if self._read_pointer() == name:  # not a publish that raced this read: damage
                break
        raise IndexDamaged(self.path, f"CURRENT names {name}, which is not a generation here")

    def _read_pointer(self) -> str | None:
        try:
            raw = (self.path / "CURRENT").read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except IsADirectoryError:
            raise IndexDamaged(self.path, "CURRENT is a folder") from None
        except OSError as exc:
            raise StoreError(f"cannot read {self.path / 'CURRENT'}: {exc.strerror}") from None
        name = raw.decode("ascii", errors="backslashreplace").strip()
        if not GENERATION_NAME.fullmatch(name):
            shown = name[:40].encode("unicode_escape").decode("ascii").replace("\\\\", "\\")
            raise IndexDamaged(self.path, f"CURRENT holds '{shown}', not a generation name")
        return name

    def exists(self) -> bool:
        return self.current() is not None

    def meta(self) -> dict[str, Any]:
        gen = self._require()
        try:
            meta = json.loads((gen / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexDamaged(self.path, f"{gen.name}/{META_FILE}: {exc}") from None
        problem = _meta_problem(meta)
        if problem:
            raise IndexDamaged(self.path, f"{gen.name}/{META_FILE}: {problem}")
        return meta

    def is_current_schema(self) -> bool:
        return self.exists() and self.meta().get("schema_version") == SCHEMA_VERSION

    def open(self):  # -> whoosh.index.Index
        from whoosh import index as whoosh_index

        _map_segment_files_without_copying()
        gen = self._require()
        if self.meta().get("schema_version") != SCHEMA_VERSION:
            raise StoreError(
                f"the index at {self.path} was built by another searchkit version; "
                "rebuild it with `searchkit index --rebuild`"
            )
        problem = verify_checksums(gen)
        if problem:
            raise IndexDamaged(self.path, problem)
        try:
            return whoosh_index.open_dir(str(gen))
        except Exception as exc:  # Whoosh raises several types for unreadable indexes
            raise IndexDamaged(self.path, f"Whoosh cannot open {gen.name}: {_describe(exc)}") from None

    @contextlib.contextmanager
    def reporting_damage(self) -> Iterator[None]:
        """Turn what Whoosh raises while reading a damaged segment into ``IndexDamaged``.

        Wraps the reads (opening, searching, fetching stored fields), not the query parsing:
        ``QueryError`` and ``ArticleNotFound`` pass through as they are.
        """
        try:
            yield
        except StoreError:
            raise
        except _DAMAGE_ERRORS as exc:
            raise IndexDamaged(self.path, _describe(exc)) from exc
        except ValueError as exc:
            if type(exc) is not ValueError:  # QueryError and other meaningful subclasses
                raise
            raise IndexDamaged(self.path, _describe(exc)) from exc
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EIO, errno.EFAULT):
                raise
            raise IndexDamaged(self.path, _describe(exc)) from exc

    def _require(self) -> Path:
        gen = self.current()
        if gen is None:
            raise IndexMissing(
                f"no index at {self.path}; build one with `searchkit index PATH` (e.g. seeds/)"
            )
        return gen

    # --- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self, *, wait: bool = True, on_wait=None) -> Iterator[None]:
        """Hold the writer lock. With ``wait`` False, raise IndexBusy if another process holds it."""
        self._check_writable_folder()
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        _LOCK_FDS.add(fd)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                if not wait:
                    raise IndexBusy(
                        f"another indexing run{f' (pid {holder})' if holder else ''} "
                        f"is writing {self.path}; try again when it has finished"
                    ) from None
                if on_wait is not None:
                    on_wait(holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            self._remove_unpublished()
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            _LOCK_FDS.discard(fd)
            os.close(fd)

    def new_generation(self) -> Path:
        """A fresh, empty generation folder (call while holding the lock)."""
        numbers = [_gen_number(p.name) for p in self.path.glob("gen-*")]
        gen = self.path / f"gen-{max(numbers, default=0) + 1:06d}"
        gen.mkdir()
        return gen

    def write_meta(self, gen: Path, meta: dict[str, Any]) -> None:
        meta = {"schema_version": SCHEMA_VERSION, **meta}
        _atomic_write(gen / META_FILE, json.dumps(meta, indent=2, sort_keys=True))

    def publish(self, gen: Path) -> None:
        """Make ``gen`` the live generation (atomic), then drop generations nobody needs."""
        write_checksums(gen, previous=self.current_or_none())
        _fsync_tree(gen)
        _atomic_write(self.path / "CURRENT", gen.name + "\n")
        keep = sorted(self.path.glob("gen-*"), key=lambda p: _gen_number(p.name))
        for old in keep[: -(1 + _KEEP_PREVIOUS)]:
            shutil.rmtree(old, ignore_errors=True)

    def current_or_none(self) -> Path | None:
        """``current()``, or None when there is none or CURRENT is damaged (for writers)."""
        try:
            return self.current()
        except StoreError:
            return None

    def discard(self, gen: Path) -> None:
        """Remove ``gen``, a generation a failed run wrote, unless it was published after all."""
        if self.current_or_none() != gen:
            shutil.rmtree(gen, ignore_errors=True)

    @contextlib.contextmanager
    def writing_generation(self, gen: Path) -> Iterator[None]:
        """Around the writing of ``gen``: on failure it is removed (see ``discard``), and a full
        disk is ``NoSpace``, one line, instead of the OSError of whichever write hit it."""
        try:
            yield
        except BaseException as exc:
            self.discard(gen)
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                raise NoSpace(exc.filename or gen) from exc
            raise

    def _remove_unpublished(self) -> None:
        """Generations newer than the live one belong to runs that died before publishing.

        Also removes the ``.CURRENT.*.tmp`` files of runs killed while writing CURRENT: only the
        writer that holds the lock writes CURRENT, and this one (which holds it now) has not begun
        to, so every such file is a dead writer's. When CURRENT is damaged, which generation is
        live is unknown: none is removed (``publish`` prunes them once a new one is live).
        """
        for tmp in self.path.glob(".CURRENT.*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
        try:
            live = self.current()
        except StoreError:
            return
        live_number = _gen_number(live.name) if live else 0
        for gen in self.path.glob("gen-*"):
            if _gen_number(gen.name) > live_number:
                shutil.rmtree(gen, ignore_errors=True)

    def _check_writable_folder(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"{self.path} is a file, not an index folder")
        if self.path.is_dir() and not (self.path / "CURRENT").exists():
            foreign = [p.name for p in self.path.iterdir() if not p.name.startswith(("gen-", "."))]
            if foreign:
                raise StoreError(
                    f"{self.path} holds other files ({', '.join(sorted(foreign)[:3])}); "
                    "choose an empty folder for the index"
                )


def link_generation(live: Path, gen: Path) -> None:
    """Fill the empty generation ``gen`` with the files of ``live``, hard-linked (copy-on-write).

    Whoosh never modifies a segment file or a TOC once written — a commit adds new files and a new
    TOC — so the two generations can share them: writing into ``gen`` leaves ``live`` untouched.
    Whoosh's lock file, our metadata and checksums are not shared. Falls back to copying where the file system
    has no hard links.
    """
    for path in live.iterdir():
        if not path.is_file() or path.name in (META_FILE, CHECKSUMS_FILE) or "LOCK" in path.name:
            continue
        if path.name.startswith(".") or path.name.endswith(".tmp"):
            continue
        target = gen / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def _gen_number(name: str) -> int:
    try:
        return int(name.removeprefix("gen-"))
    except ValueError:
        return 0


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""


# The lock file descriptors this process holds. A forked process (a reading worker, the writer's
# helper) shares the open file, and with it the flock, for as long as it keeps its copy: it closes
# that copy right after the fork — only closes it, since unlocking would unlock the run too.
# O_CLOEXEC does the same for a program started with exec.
_LOCK_FDS: set[int] = set()


def _close_lock_fds_after_fork() -> None:
    for fd in _LOCK_FDS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _LOCK_FDS.clear()


os.register_at_fork(after_in_child=_close_lock_fds_after_fork)


def _fsync_tree(folder: Path) -> None:
    """Flush a generation's files to disk before CURRENT points at it (Whoosh itself does not)."""
    for path in folder.iterdir():
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- searchkit.json's shape ---------------------------------------------------------------------

_STR_LIST = "a list of strings"


def _meta_problem(meta: Any) -> str | None:
    """What is wrong with the shape of a ``searchkit.json``, or None. Only the keys searchkit
    reads are checked; any of them may be missing (older indexes lack some)."""
    if not isinstance(meta, dict):
        return f"a JSON {type(meta).__name__}, not an object"

    def is_str_list(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    def is_int(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    checks: dict[str, tuple[Any, str]] = {
        "schema_version": (is_int, "an integer"),
        "built_at": (lambda v: isinstance(v, str), "a string"),
        "roots": (is_str_list, _STR_LIST),
        "root_labels": (
            lambda v: isinstance(v, list)
            and all(
                isinstance(r, dict) and isinstance(r.get("path"), str)
                and isinstance(r.get("label"), str)
                for r in v
            ),
            "a list of {path, label} objects",
        ),
        "options": (
            lambda v: v is None
            or (
                isinstance(v, dict)
                and all(k not in v or v[k] is None or is_str_list(v[k]) for k in ("include", "exclude"))
                and (v.get("max_bytes") is None or is_int(v.get("max_bytes")))
            ),
            "an object of include, exclude and max_bytes",
        ),
        "skipped": (
            lambda v: isinstance(v, list)
            and all(isinstance(s, dict) and isinstance(s.get("source"), str) for s in v),
            "a list of {source, reason} objects",
        ),
        "threshold": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    }
    for key in ("files", "articles", "distinct_articles", "duplicate_clusters"):
        checks[key] = (is_int, "an integer")
    for key, (ok, wanted) in checks.items():
        if key in meta and not ok(meta[key]):
            return f"{key} is not {wanted}"
    return None


# --- checksums of a generation's files ------------------------------------------------------------

# Generations up to this size are hashed in full on every open; larger ones have every file's size
# checked and only their small files (under _SMALL_FILE: the TOC, searchkit.json) hashed. Measured
# (warm cache): SHA-256 reads about 600 MB/s here (BLAKE2b 270 MB/s, hence SHA-256); the seed index
# (1.7 MB) verifies in full in 2.5 ms, against 30 ms to open it; a 3,000-article index (47 MB)
# would take about 80 ms in full, four times its 19 ms open, on every `searchkit search`, while its
# sizes-only check takes 0.2 ms. 16 MB (about 27 ms) keeps the full check below an open's cost.
# Writing the checksums on publish costs 4 ms (seeds) and 110 ms (3,000 articles), once per run,
# and an incremental run reuses the hashes of the segment files it hard-linked.
FULL_HASH_BYTES = 16 << 20
_SMALL_FILE = 1 << 20


def _checked_files(gen: Path) -> list[Path]:
    """The files a generation's checksums cover: Whoosh's (segments, TOC) and searchkit.json."""
    return sorted(
        p
        for p in gen.iterdir()
        if p.is_file()
        and p.name != CHECKSUMS_FILE
        and "LOCK" not in p.name
        and not p.name.startswith(".")
        and not p.name.endswith(".tmp")
    )


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def write_checksums(gen: Path, previous: Path | None = None) -> None:
    """Write ``checksums.json``: each file's size and SHA-256, so that a truncated or altered file
    is found on open, before Whoosh trips on it. Files hard-linked from ``previous`` (the live
    generation: incremental runs link its segments) reuse its hashes instead of reading them."""
    known: dict[str, list[Any]] = {}
    if previous is not None:
        known = _read_checksums(previous) or {}
    files: dict[str, list[Any]] = {}
    for path in _checked_files(gen):
        st = path.stat()
        old = known.get(path.name)
        digest = None
        if old is not None and previous is not None and old[0] == st.st_size:
            with contextlib.suppress(OSError):
                if os.stat(previous / path.name).st_ino == st.st_ino:
                    digest = old[1]
        files[path.name] = [st.st_size, digest or _sha256(path)]
    _atomic_write(gen / CHECKSUMS_FILE, json.dumps({"sha256": files}, indent=0, sort_keys=True))


def _read_checksums(gen: Path) -> dict[str, list[Any]] | None:
    try:
        data = json.loads((gen / CHECKSUMS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    table = data.get("sha256") if isinstance(data, dict) else None
    return table if isinstance(table, dict) else {}


def verify_checksums(gen: Path) -> str | None:
    """What is wrong with ``gen``'s files against its ``checksums.json``, or None.

    Sizes are always checked (one stat each); hashes in full when the generation is at most
    ``FULL_HASH_BYTES``, else only for files under ``_SMALL_FILE`` (see there why). A generation
    written before checksums existed has none, and is not checked.
    """
    table = _read_checksums(gen)
    if table is None:
        return None
    if not table:
        return f"{gen.name}/{CHECKSUMS_FILE} is unreadable"
    sizes: dict[str, int] = {}
    for name, entry in table.items():
        if not (
            isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)
            and isinstance(entry[1], str)
        ) or "/" in name or name.startswith("."):
            return f"{gen.name}/{CHECKSUMS_FILE} is malformed"
        try:
            size = (gen / name).stat().st_size
        except FileNotFoundError:
            return f"{gen.name}/{name} is missing"
        if size != entry[0]:
            return f"{gen.name}/{name} is {size} bytes, not the {entry[0]} written"
        sizes[name] = size
    hash_all = sum(sizes.values()) <= FULL_HASH_BYTES
    for name, size in sizes.items():
        if (hash_all or size <= _SMALL_FILE) and _sha256(gen / name) != table[name][1]:
            return f"{gen.name}/{name} is not the file written (its SHA-256 differs)"
    return None


def _map_segment_files_without_copying() -> None:
    """Make Whoosh read a segment's files straight from its memory map, without a copy of each.

    Whoosh maps a segment's compound file and hands out each file in it as a ``BufferFile``, whose
    constructor copies the whole file into a ``BytesIO`` — the postings and term files included,
    hundreds of MB at 100,000 articles — although its reads (``get``, ``get_array``) use the map.
    Opening an index of 100,000 articles spent 0.75 s and as much memory as the files on those
    copies. ``MappedFile`` (``whoosh_internals.mapped_file_class``) makes the ``BytesIO`` only if
    a sequential read asks for it.
    """
    from whoosh.filedb import compound

    if compound.BufferFile is not mapped_file_class():
        compound.BufferFile = mapped_file_class()
