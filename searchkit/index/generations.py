"""Where an index lives on disk, and how it is replaced without readers ever seeing half of it.

Layout of an index folder (``index/`` by default)::

    index/CURRENT        name of the live generation, replaced atomically (write + rename)
    index/gen-000003/    a Whoosh index plus ``searchkit.json`` (schema version, build facts)
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
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from searchkit.index.schema import SCHEMA_VERSION
from searchkit.whoosh_internals import mapped_file_class

DEFAULT_INDEX = "index"
META_FILE = "searchkit.json"
_KEEP_PREVIOUS = 1  # keep the generation before the live one, for readers still holding it open


class StoreError(Exception):
    """A problem with the index folder, worded for the user."""


class IndexMissing(StoreError):
    pass


class IndexBusy(StoreError):
    pass


def default_index_path() -> Path:
    return Path(os.environ.get("SEARCHKIT_INDEX") or DEFAULT_INDEX)


class IndexStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_index_path()

    # --- reading -------------------------------------------------------------------------------

    def current(self) -> Path | None:
        """The live generation's folder, or None when there is no usable index here."""
        try:
            name = (self.path / "CURRENT").read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {self.path / 'CURRENT'}: {exc.strerror}") from None
        gen = self.path / name
        if not name.startswith("gen-") or not (gen / META_FILE).is_file():
            return None
        return gen

    def exists(self) -> bool:
        return self.current() is not None

    def meta(self) -> dict[str, Any]:
        gen = self._require()
        try:
            return json.loads((gen / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"the index at {self.path} is damaged ({exc}); rebuild it") from None

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
        try:
            return whoosh_index.open_dir(str(gen))
        except Exception as exc:  # Whoosh raises several types for unreadable indexes
            raise StoreError(
                f"the index at {self.path} cannot be opened ({exc}); rebuild it"
            ) from None

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
        _fsync_tree(gen)
        _atomic_write(self.path / "CURRENT", gen.name + "\n")
        keep = sorted(self.path.glob("gen-*"), key=lambda p: _gen_number(p.name))
        for old in keep[: -(1 + _KEEP_PREVIOUS)]:
            shutil.rmtree(old, ignore_errors=True)

    def _remove_unpublished(self) -> None:
        """Generations newer than the live one belong to runs that died before publishing."""
        live = self.current()
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
    Whoosh's lock file and our metadata are not shared. Falls back to copying where the file system
    has no hard links.
    """
    for path in live.iterdir():
        if not path.is_file() or path.name == META_FILE or "LOCK" in path.name:
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
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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
