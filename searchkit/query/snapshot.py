"""The opened index: one Whoosh searcher, and what the query steps compute once from it.

In: an ``IndexStore`` and the ``RankingParams``. Out: an ``OpenIndex`` — the open Whoosh searcher
(``whoosh``) and its reader, the ``QueryParser`` for its fields, and, built on first use, the
``StoryTable`` (each document's story and facet values), the ``BulkScorer`` (cached term
statistics and field lengths) and the ``PostingLists`` (posting lists as arrays, kept). Every query step (``match``, ``order``, ``results``, ``articles``) reads the index
through one; ``Searcher`` replaces it with a new one when a newer index has been published, so
nothing cached here outlives the reader it was computed from.
"""

from __future__ import annotations

from typing import Any

from searchkit.index.generations import IndexStore
from searchkit.query.parse import QueryParser
from searchkit.query.postings import PostingLists
from searchkit.query.rank import BulkScorer, RankingParams
from searchkit.query.stories import StoryTable, build_table


def generation_name(store: IndexStore) -> str | None:
    """The name of the store's published generation (None when it has none yet)."""
    gen = store.current()
    return gen.name if gen else None


class OpenIndex:
    """One index generation open for searching, with its per-reader caches."""

    def __init__(self, whoosh: Any, params: RankingParams, generation: str | None) -> None:
        self.whoosh = whoosh  # whoosh.searching.Searcher
        self.params = params
        self.generation = generation
        self.closed = False
        # The searcher's schema: the index's own re-reads its table of contents from disk.
        self.parser = QueryParser(whoosh.schema, params, whoosh.reader())
        self._table: StoryTable | None = None
        self._bulk: BulkScorer | None = None
        self.postings = PostingLists(whoosh.reader())  # read on first use, kept while open

    @classmethod
    def open(cls, store: IndexStore, params: RankingParams, generation: str | None) -> OpenIndex:
        """Open the store's current index; ``generation`` is its name, read before opening."""
        return cls(store.open().searcher(weighting=params.weighting()), params, generation)

    def refreshed(self) -> OpenIndex:
        """The same generation with the segments committed since this one was opened."""
        return OpenIndex(self.whoosh.refresh(), self.params, self.generation)

    def up_to_date(self) -> bool:
        return bool(self.whoosh.up_to_date())

    def reader(self) -> Any:
        """The open Whoosh reader (``whoosh.reading.IndexReader``)."""
        return self.whoosh.reader()

    @property
    def table(self) -> StoryTable:
        """Each document's story and facet values; read once per opened index."""
        if self._table is None:
            self._table = build_table(self.whoosh.reader())
        return self._table

    @property
    def bulk(self) -> BulkScorer:
        """Scores bare-word queries from whole posting lists, caching term statistics."""
        if self._bulk is None:
            self._bulk = BulkScorer(self.whoosh, self.params)
        return self._bulk

    def close(self) -> None:
        if not self.closed:
            self.whoosh.close()
            self.closed = True
