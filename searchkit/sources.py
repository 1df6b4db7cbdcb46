"""Stage 1 — discover: paths the user named -> ``SourceFile`` records (and ``SkippedFile`` ones).

A root may be a file or a directory. Directories are walked recursively in a stable order; hidden
entries (dot files, VCS folders) are passed over, and a symlink is followed only when its target
stays inside the root, so a link can never pull in the rest of the disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from searchkit.models import SkippedFile, SourceFile

# Extensions read out of the box, and the extraction kind each one gets.
KINDS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
}


def kind_of(path: str) -> str | None:
    return KINDS.get(os.path.splitext(path)[1].lower())


def discover(roots: list[str | os.PathLike[str]]) -> Iterator[SourceFile | SkippedFile]:
    """Yield every indexable file under ``roots`` (and a ``SkippedFile`` for what is passed over)."""
    seen: set[str] = set()
    for root in roots:
        root_path = Path(root)
        if not root_path.exists():
            yield SkippedFile(str(root), "no such file or directory")
            continue
        real_root = root_path.resolve()
        if root_path.is_file():
            label = root_path.name
            yield from _one(real_root, label, explicit=True, seen=seen)
            continue
        base = real_root.name or str(real_root)
        for dirpath, dirnames, filenames in os.walk(real_root, followlinks=False):
            here = Path(dirpath)
            # Visit in a stable order and prune hidden folders (.git, .svn, .cache, …) in place.
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for d in list(dirnames):
                target = here / d
                if target.is_symlink() and not _inside(target.resolve(), real_root):
                    dirnames.remove(d)
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = here / name
                rel = path.relative_to(real_root).as_posix()
                label = f"{base}/{rel}"
                if path.is_symlink():
                    target = path.resolve()
                    if not _inside(target, real_root):
                        yield SkippedFile(label, "symlink pointing outside the indexed folder")
                        continue
                yield from _one(path, label, explicit=False, seen=seen)


def _one(
    path: Path, label: str, *, explicit: bool, seen: set[str]
) -> Iterator[SourceFile | SkippedFile]:
    key = str(path.resolve())
    if key in seen:
        return
    seen.add(key)
    if kind_of(label) is None and not explicit:
        yield SkippedFile(label, f"unsupported file type ({path.suffix or 'no extension'})")
        return
    try:
        st = path.stat()
    except OSError as exc:
        yield SkippedFile(label, f"cannot read: {exc.strerror or exc}")
        return
    yield SourceFile(path=str(path), relpath=label, size=st.st_size, mtime=st.st_mtime)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
