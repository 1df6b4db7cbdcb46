"""Stage 1 — discover: the roots a user indexes -> ``SourceFile`` records (and ``SkippedFile`` ones).

A root is a file or a folder. Folders are walked recursively in a stable (sorted) order:
- hidden entries (dot files, ``.git``, ``.svn``, …) and other VCS/tool folders are passed over;
- symlinks are never followed out of the root: a link to a file outside it is a counted skip, and a
  link inside it is passed over because its target is reached through its real path anyway (so a
  file is never read twice and no link loop can trap the walk);
- ``include`` / ``exclude`` globs filter by the path below the root (``drafts/*``) or by the file
  name (``*.draft.md``); an excluded folder is not walked at all;
- files larger than the size cap are skipped by their size alone, without being read.

Every file gets a ``relpath``: its root's label (the root folder's name, or a longer path when two
roots share a name) followed by its path inside the root. The relpath is what users see and what an
article id is derived from, so it must not change between runs.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from searchkit.models import SkippedFile, SourceFile

# Extensions read out of the box, and the extraction kind each one gets.
KINDS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
# The reason a folder that cannot be listed is skipped with: the index keeps the files it has under
# such a folder (``build._scan``), since a permission change is not a deletion.
UNREADABLE_FOLDER = "cannot read folder"
# Folders that hold tools' state rather than documents (dot folders are skipped anyway).
SKIP_DIRS = frozenset({"CVS", "_darcs", "__pycache__", "node_modules"})


def kind_of(path: str) -> str | None:
    name = path.rpartition("/")[2]
    stem, dot, ext = name.rpartition(".")
    return KINDS.get("." + ext.lower()) if dot and stem else None


@dataclass(frozen=True, slots=True)
class Root:
    """A file or folder the index covers, and the label its files' relpaths start with."""

    path: str  # absolute
    label: str

    def owns(self, relpath: str) -> bool:
        return relpath == self.label or relpath.startswith(self.label + "/")


@dataclass(frozen=True, slots=True)
class FileFilters:
    """Which files of a root to read."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_bytes: int | None = None

    def excluded(self, rel: str, name: str) -> bool:
        return any(fnmatchcase(rel, p) or fnmatchcase(name, p) for p in self.exclude)

    def included(self, rel: str, name: str) -> bool:
        return not self.include or any(
            fnmatchcase(rel, p) or fnmatchcase(name, p) for p in self.include
        )


def make_root(path: str | os.PathLike[str], taken: Sequence[str] = ()) -> Root:
    """A root for ``path`` whose label differs from the labels already ``taken``."""
    absolute = Path(os.path.abspath(path))
    parts = absolute.parts
    for n in range(1, len(parts) + 1):
        label = shown_path("/".join(p.strip("/") for p in parts[-n:] if p.strip("/")) or "/")
        if label not in taken:
            return Root(str(absolute), label)
    return Root(str(absolute), str(absolute))


def discover(
    roots: Sequence[Root | str | os.PathLike[str]],
    filters: FileFilters = FileFilters(),
    *,
    skip_paths: Sequence[str | os.PathLike[str]] = (),
) -> Iterator[SourceFile | SkippedFile]:
    """Yield every indexable file under ``roots`` (and a ``SkippedFile`` for what is passed over).

    ``skip_paths`` are folders never to walk into (the index folder itself, when it lies inside a root).
    """
    skip = {os.path.realpath(p) for p in skip_paths}
    seen: set[tuple[int, int]] = set()
    taken: list[str] = []
    for given in roots:
        root = given if isinstance(given, Root) else make_root(given, taken)
        taken.append(root.label)
        try:
            st = os.stat(root.path)
        except OSError as exc:
            yield SkippedFile(root.label, _missing(exc))
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, filters, skip, seen)
        else:
            # A file named on the command line is read whatever its extension, and through a link
            # if it is one (the reader opens the real path, refusing links that appear later).
            path = os.path.realpath(root.path) if os.path.islink(root.path) else root.path
            yield from _file(path, root.label, st, filters, seen)


def _walk(
    root: Root, filters: FileFilters, skip: set[str], seen: set[tuple[int, int]]
) -> Iterator[SourceFile | SkippedFile]:
    real_root = os.path.realpath(root.path)
    stack = [(root.path, "")]
    while stack:
        folder, rel_folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield SkippedFile(
                _join(root.label, shown_path(rel_folder)),
                f"{UNREADABLE_FOLDER}: {exc.strerror or exc}",
            )
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel = f"{rel_folder}/{name}" if rel_folder else name
            label = f"{root.label}/{shown_path(rel)}"
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_link:
                target = os.path.realpath(entry.path)
                if not inside(target, real_root):
                    yield SkippedFile(label, "symlink pointing outside the indexed folder")
                # A link inside the root: its target is read through its real path.
                continue
            if is_dir:
                if name in SKIP_DIRS or filters.excluded(rel, name):
                    continue
                if skip and os.path.realpath(entry.path) in skip:
                    continue
                subfolders.append((entry.path, rel))
                continue
            if filters.excluded(rel, name) or not filters.included(rel, name):
                continue
            if kind_of(name) is None:
                yield SkippedFile(label, f"unsupported file type ({_suffix(name)})")
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield SkippedFile(label, f"cannot read: {exc.strerror or exc}")
                continue
            yield from _file(entry.path, label, st, filters, seen, real_root)
        # Depth-first in sorted order: push in reverse so the first folder is walked first.
        stack.extend(reversed(subfolders))


def _file(
    path: str,
    label: str,
    st: os.stat_result,
    filters: FileFilters,
    seen: set[tuple[int, int]],
    real_root: str = "",
) -> Iterator[SourceFile | SkippedFile]:
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return
    seen.add(key)
    if not stat.S_ISREG(st.st_mode):
        yield SkippedFile(label, "not a regular file")
        return
    if filters.max_bytes is not None and st.st_size > filters.max_bytes:
        yield SkippedFile(label, too_large(st.st_size, filters.max_bytes))
        return
    yield SourceFile(
        path=path, relpath=label, size=st.st_size, mtime=st.st_mtime, root=real_root
    )


def shown_path(path: str) -> str:
    """``path`` as valid Unicode, for relpaths (shown, stored, hashed into article ids).

    A file name that is not valid UTF-8 (``caf\xe9.txt`` from a Latin-1 system) reaches Python as
    a string with surrogate escapes, which cannot be encoded, stored in Whoosh or printed; it used
    to abort the whole run. Its bad bytes are shown as ``\xe9`` instead: readable, stable from run
    to run (so the manifest still recognises the file), and the file itself is still opened by
    its real ``path``.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def too_large(size: int, cap: int) -> str:
    return f"larger than the size cap ({_mb(size)} > {_mb(cap)})"


def _mb(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _missing(exc: OSError) -> str:
    return (
        "no such file or directory"
        if isinstance(exc, FileNotFoundError)
        else f"cannot read: {exc.strerror}"
    )


def _join(label: str, rel: str) -> str:
    return f"{label}/{rel}" if rel else label


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1] or "no extension"


def inside(path: str, root: str) -> bool:
    """``path`` is ``root`` or below it (both real, absolute paths)."""
    return path == root or path.startswith(root.rstrip("/") + "/")
