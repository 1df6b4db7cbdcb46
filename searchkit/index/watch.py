"""Freshness: the index's folders watched, and each batch of changes indexed as it settles.

In: an ``IndexStore`` (its remembered roots) and a callback. Out: nothing returned; for each
debounced batch of file changes (added, modified, deleted) under the roots, one incremental
``update_index`` run — the same path `searchkit index` takes, so only changed files are read, the
writer lock is honoured and a failed run leaves the previous generation searchable — and the
callback with its ``BuildReport`` (or the error that stopped it).

watchfiles (Rust's notify: inotify, FSEvents, ReadDirectoryChangesW) rather than polling our own
manifest: it reports within the debounce window at no cost while nothing changes, and batches a
burst (a browser saving a page and its assets) into one run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from searchkit.index.build import BuildReport, update_index
from searchkit.index.generations import IndexStore, StoreError
from searchkit.index.roots import remembered_roots

DEBOUNCE_MS = 800  # changes closer together than this are one batch (one indexing run)
# What a watched run hands back: its report, or the one-line reason it did not run.
Outcome = BuildReport | StoreError


def watch_index(
    store: IndexStore,
    on_run: Callable[[Outcome], None],
    *,
    stop: threading.Event | None = None,
    debounce_ms: int = DEBOUNCE_MS,
) -> None:
    """Index each batch of changes under the index's roots until ``stop`` is set (or Ctrl+C)."""
    import os

    import watchfiles

    paths = [r.path for r in remembered_roots(store.meta()) if os.path.exists(r.path)]
    if not paths:
        raise StoreError(f"the index at {store.path} covers no folder that is there to watch")
    own = os.path.realpath(store.path) + os.sep

    def outside_the_index(_change: object, path: str) -> bool:
        # an index kept inside a folder it covers must not re-index on its own writes
        return not os.path.realpath(path).startswith(own)

    for _changes in watchfiles.watch(
        *paths,
        watch_filter=outside_the_index,
        debounce=debounce_ms,
        stop_event=stop,
        raise_interrupt=False,
    ):
        try:
            on_run(update_index((), store))
        except StoreError as exc:
            on_run(exc)
