"""One open ``Index`` (the public API) per server process, shared by every request and kept up to date with the index.

Opening a Whoosh index costs far more than a query, so a worker opens it once. Before each use it
asks the searcher to ``refresh()``: that re-opens only when a newer index was published (a
``searchkit index`` run in another process), so new articles show up without a restart.

Requests are served from a thread pool; one lock serialises the searcher's use. Whoosh's searcher
is not documented as thread-safe, and a query is pure-Python CPU work under the GIL, so running
two at once in one process would not make either faster. More throughput comes from more worker
processes (``searchkit serve --workers``), each with its own searcher.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from searchkit.index.generations import IndexStore
from searchkit.library import Index

# Each search's time limit (seconds), after which it answers with what it has found and a
# notice. Searches share one searcher per process, so this bounds how long one request can keep
# the others waiting: 26 one-letter prefixes OR-ed took 2.9 s on 3,000 articles, ordinary queries
# take 10–50 ms (bench/web_load.py), so 2 s touches no query a person types.
SEARCH_TIME_LIMIT = 2.0


class SharedSearcher:
    def __init__(self, store: IndexStore, *, time_limit: float = SEARCH_TIME_LIMIT) -> None:
        self.store = store
        self.time_limit = time_limit
        self._lock = threading.Lock()
        self._index: Index | None = None

    @contextmanager
    def use(self) -> Iterator[Index]:
        """The open index, refreshed to the live generation, held for this block only.

        Raises ``StoreError`` when there is no usable index (the caller answers 503).
        """
        with self._lock:
            if self._index is None:
                index = Index(self.store)
                index.searcher  # noqa: B018 - opens now, so a missing index is reported here
                self._index = index
            else:
                try:
                    self._index.searcher  # noqa: B018 - the property refreshes
                except Exception:
                    # The index went away or broke under us: drop the searcher, so the next
                    # request opens afresh (and reports the problem) instead of reusing it.
                    self._close()
                    raise
            yield self._index

    def busy(self) -> bool:
        """Whether a request holds the index now (a search running); a hint, not a promise."""
        return self._lock.locked()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
