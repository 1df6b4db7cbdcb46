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
import time
from collections.abc import Iterator
from contextlib import contextmanager

from searchkit.index.generations import IndexStore
from searchkit.library import Index

# Each search's time limit (seconds), after which it answers with what it has found and a
# notice. Searches share one searcher per process, so this bounds how long one request can keep
# the others waiting: 26 one-letter prefixes OR-ed took 2.9 s on 3,000 articles, ordinary queries
# take 10–50 ms (bench/web_load.py), so 2 s touches no query a person types.
SEARCH_TIME_LIMIT = 2.0


# A query with a pattern (wildcard, fuzzy term, range) waits while ordinary requests wait, for at
# most this long. One client sending `a* OR b* …` back to back held the searcher 70 % of the
# time even at a 0.5 s limit: 16 clients of ordinary searches fell from 71 to 21 req/s with p99
# 1.4 s (bench/hostile.py); deferring it keeps their turn without starving the pattern query.
PATTERN_DEFER_SECONDS = 10.0
_PATTERN_CHARS = frozenset("*?~[{")


def costly(text: str) -> bool:
    """Whether a query holds a pattern, the kind of query that can use a whole time limit."""
    return not _PATTERN_CHARS.isdisjoint(text)


class _Turns:
    """One holder at a time; while ordinary requests wait, a costly one lets them go first.

    A costly request that has waited ``PATTERN_DEFER_SECONDS`` becomes overdue: from then on
    ordinary requests wait for it (without that, under steady load one of them always won the
    race for the freed turn, and the costly request waited for as long as the load lasted).
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._held = False
        self._ordinary_waiting = 0
        self._overdue = 0  # costly requests whose deferral is over

    @property
    def held(self) -> bool:
        return self._held

    @contextmanager
    def turn(self, *, costly: bool = False) -> Iterator[None]:
        with self._changed:
            if costly:
                self._wait_costly()
            else:
                self._ordinary_waiting += 1
                try:
                    while self._held or self._overdue:
                        self._changed.wait()
                finally:
                    self._ordinary_waiting -= 1
            self._held = True
        try:
            yield
        finally:
            with self._changed:
                self._held = False
                self._changed.notify_all()

    def _wait_costly(self) -> None:
        defer_until = time.monotonic() + PATTERN_DEFER_SECONDS
        overdue = False
        while True:
            if not overdue and time.monotonic() >= defer_until:
                overdue = True
                self._overdue += 1
            if not self._held and (overdue or not self._ordinary_waiting):
                break
            self._changed.wait(None if overdue else max(0.0, defer_until - time.monotonic()))
        if overdue:
            self._overdue -= 1


class SharedSearcher:
    def __init__(self, store: IndexStore, *, time_limit: float = SEARCH_TIME_LIMIT) -> None:
        self.store = store
        self.time_limit = time_limit
        self._turns = _Turns()
        self._index: Index | None = None

    @contextmanager
    def use(self, *, costly: bool = False) -> Iterator[Index]:
        """The open index, refreshed to the live generation, held for this block only.

        ``costly`` (a query with a pattern: ``costly(text)``) lets waiting ordinary requests go
        first. Raises ``StoreError`` when there is no usable index (the caller answers 503).
        """
        with self._turns.turn(costly=costly):
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
        return self._turns.held

    def close(self) -> None:
        with self._turns.turn():
            self._close()

    def _close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
