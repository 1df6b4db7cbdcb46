"""Stage 6 — search: a query string, filters, a sort -> ``SearchResults`` (ranked, copies collapsed).

``Searcher`` is the entry point the library API (``searchkit.library``), the CLI, the web server
and the tests call; it runs the query steps, each a module of its own:

1. ``parse`` — the query text to a Whoosh query (bare words built directly; Whoosh's query
   language: phrases, AND/OR/NOT, ``field:value``, wildcards, ``date:[2018 to 2019]``);
2. ``match`` — every matching document and story (set operations on the posting lists, no
   scoring), a spelling correction when the query finds little, and partial matches filling a
   page that too few articles with every word would leave short;
3. ``filters`` and ``facets`` — the site / author / year / category / date filters applied to each
   story's shown copy, and the facet counts;
4. ``order`` — ranking (``rank``: BM25F with Lucene's idf and an exact-word field, then a
   proximity bonus for the top candidates), each story collapsed to its best-ranked copy, or
   sorted by date;
5. ``results`` — each story's canonical copy as a ``Hit`` with a snippet (``snippets``), and on
   request the score's breakdown; ``articles`` — look-ups by id, similar articles, statistics.

The names callers import from here (``QueryError``, ``ArticleNotFound``, ``ResultFilters``,
``MAX_QUERY_CHARS``, ``SORTS``) are re-exported from the step modules that define them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from whoosh import query

from searchkit.index.generations import IndexStore
from searchkit.models import Hit, SearchResults, StoredArticle
from searchkit.query import articles, budget, match, order, results
from searchkit.query.articles import ArticleNotFound
from searchkit.query.facets import facet_counts
from searchkit.query.filters import ResultFilters, StoryTest, passing
from searchkit.query.match import CORRECT_ALWAYS, FEW_RESULTS, Matches
from searchkit.query.parse import MAX_QUERY_CHARS, QueryError, QueryParser, bound_expansions
from searchkit.query.rank import BulkScorer, RankingParams
from searchkit.query.snapshot import OpenIndex, generation_name
from searchkit.query.snippets import Snippet
from searchkit.query.stories import StoryTable

__all__ = [
    "CORRECT_ALWAYS",
    "FEW_RESULTS",
    "MAX_QUERY_CHARS",
    "SORTS",
    "ArticleNotFound",
    "QueryError",
    "ResultFilters",
    "Searcher",
]

SORTS = ("relevance", "newest", "oldest")


@dataclass(slots=True)
class _Outcome:
    """Everything a page of results needs but the hits."""

    found: match.Found
    tests: dict[str, StoryTest]
    passing: set[int]  # matching stories that pass the filters
    ranked: order.Ranked


class Searcher:
    """Searches one index folder, keeping it open between queries.

    A façade: the query steps (``parse``, ``match``, ``filters``, ``facets``, ``order``,
    ``results``, ``articles``) each do one thing to an ``OpenIndex``; this class owns that open
    index — swapping it for a new one when a newer generation is published (``refresh``) — checks
    the arguments, and runs the steps in order, so its callers see one small API whose signatures
    stay put while the steps change. ``correct_always`` tunes the spelling correction
    (bench/typos.py measures it); ``fill_below``, when set, replaces the page size as the number of
    stories with every word below which partial matches follow them (bench/matching.py).
    """

    def __init__(self, store: IndexStore, params: RankingParams | None = None) -> None:
        self.store = store
        self.params = params or RankingParams()
        self.correct_always = CORRECT_ALWAYS
        self.fill_below: int | None = None
        self._index = OpenIndex.open(store, self.params, generation_name(store))

    # --- lifecycle -----------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Pick up a newer index if one was published since. True when it changed."""
        name = generation_name(self.store)
        current = self._index
        if not current.closed and name == current.generation:
            if current.up_to_date():
                return False
            self._index = current.refreshed()
            return True
        self._index = OpenIndex.open(self.store, self.params, name)
        current.close()
        return True

    def close(self) -> None:
        """Close the open index (``refresh`` opens it again)."""
        self._index.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the open index, for tools and tests ----------------------------------------------------

    @property
    def table(self) -> StoryTable:
        """Each document's story and facet values; read once per index generation."""
        return self._index.table

    @property
    def parser(self) -> QueryParser:
        """The query parser for the open index (``parse`` is its ``parse``)."""
        return self._index.parser

    @property
    def bulk_scorer(self) -> BulkScorer:
        """The scorer of bare-word queries, with the open index's term statistics."""
        return self._index.bulk

    def reader(self) -> Any:
        """The open Whoosh reader (``whoosh.reading.IndexReader``): terms, postings, stored fields."""
        return self._index.reader()

    def matches(self, q: query.Query) -> Matches:
        """The documents and stories a parsed query matches, unranked and unfiltered."""
        return match.matches(self._index, q)

    def whoosh_scores(self, q: query.Query) -> dict[int, float]:
        """Whoosh's own score of every document matching ``q`` (what bulk scoring must equal)."""
        return order.whoosh_scores(self._index, q)

    def documents(self, q: query.Query) -> list[dict[str, Any]]:
        """The stored fields of every document matching a Whoosh query, best scored first."""
        return [hit.fields() for hit in self._index.whoosh.search(q, limit=None)]

    # --- search --------------------------------------------------------------------------------

    def parse(self, text: str, *, any_word: bool = False) -> query.Query:
        """The Whoosh query run for ``text``; ``QueryError`` when it cannot be parsed."""
        return self._index.parser.parse(text, any_word=any_word)

    def search(
        self,
        text: str,
        *,
        filters: ResultFilters | None = None,
        page: int = 1,
        limit: int = 10,
        sort: str = "relevance",
        facets: bool = True,
        explain: bool = False,
        any_word: bool = False,
        time_limit: float | None = None,
        correct: bool = True,
    ) -> SearchResults:
        """One page of ranked (or date-sorted) distinct stories, with facets and notices.

        ``any_word`` ranks articles holding any of the words (as evaluation collections expect);
        by default every word must match, and when fewer articles than a page (``limit``) have
        them all, those with some of them follow. ``correct`` False searches the words exactly as
        typed, with no spelling correction. ``time_limit`` (seconds) bounds the search: past it,
        each step stops adding work and the page is ranked from what was read by then,
        ``complete`` false and a notice saying so.
        """
        if page < 1 or limit < 1:
            raise QueryError("page and limit must be 1 or more")
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
        if time_limit is not None and not time_limit > 0:
            raise QueryError("the time limit must be more than 0 seconds")
        with budget.within(time_limit) as spent:
            found = self._page(
                text, filters, page, limit, sort, facets, explain, any_word, correct
            )
        stopped = budget.notice(spent)
        if stopped is not None:
            found.notices.append(stopped)
            found.complete = False
        return found

    def _page(
        self,
        text: str,
        filters: ResultFilters | None,
        page: int,
        limit: int,
        sort: str,
        facets: bool,
        explain: bool,
        any_word: bool,
        correct: bool,
    ) -> SearchResults:
        want = page * limit
        outcome = self._find(text, filters, sort, want, any_word, correct=correct, fill=limit)
        found = outcome.found
        matched = found.matches
        if matched.q is query.NullQuery:
            return SearchResults(
                text,
                0,
                page,
                limit,
                [],
                found.notices,
                sort=sort,
                corrected=found.corrected,
                suggested=found.suggested,
                correct=correct,
            )
        index = self._index
        counts = facet_counts(index.table, matched.stories, outcome.tests) if facets else {}
        first = want - limit + 1
        hits = results.hits(
            index, matched.q, outcome.ranked[first - 1 : want], first, explain=explain
        )
        return SearchResults(
            text,
            len(outcome.passing),
            page,
            limit,
            hits,
            found.notices,
            facets=counts,
            corrected=found.corrected,
            sort=sort,
            suggested=found.suggested,
            correct=correct,
            all_words=found.all_words,
        )

    def ranked_sources(self, text: str, limit: int, *, any_word: bool = True) -> list[str]:
        """The source of each of the top ``limit`` stories' shown copy (for evaluation runs)."""
        outcome = self._find(text, None, "relevance", limit, any_word, fill=limit)
        canonical = self._index.table.canonical
        reader = self._index.reader()
        return [
            reader.stored_fields(canonical[story])["source"]
            for story, _, _ in outcome.ranked[:limit]
        ]

    def _find(
        self,
        text: str,
        filters: ResultFilters | None,
        sort: str,
        want: int,
        any_word: bool,
        *,
        correct: bool = True,
        fill: int = 1,
    ) -> _Outcome:
        """Match, correct, filter and rank: everything a page of results needs but the hits."""
        index = self._index
        q, bounded = bound_expansions(index.reader(), index.parser.parse(text, any_word=any_word))
        tests = (filters or ResultFilters()).predicates(index.table)
        found = match.find(
            index,
            q,
            text,
            any_word=any_word,
            correct=correct,
            correct_always=self.correct_always,
            fill=fill if self.fill_below is None else self.fill_below,
            keep=(lambda stories: passing(stories, list(tests.values()))) if tests else None,
        )
        found.notices[:0] = bounded
        matched = found.matches
        if matched.q is query.NullQuery:
            return _Outcome(found, tests, set(), [])
        kept = passing(matched.stories, list(tests.values()))
        if sort == "relevance":
            ranked = order.by_relevance(index, matched, kept, want)
        else:
            ranked = order.by_date(index, matched, kept, want, newest=sort == "newest")
        return _Outcome(found, tests, kept, ranked)

    # --- more like this, articles and clusters --------------------------------------------------

    def similar(self, article_id: str, limit: int = 10) -> list[Hit]:
        """Articles most like this one (its own copies excluded), by its most telling words."""
        if limit < 1:
            raise QueryError("limit must be 1 or more")
        return articles.similar(self._index, self.article(article_id), limit)

    def article(self, article_id: str) -> StoredArticle:
        """The article with this id (or unique id prefix of 4+ characters)."""
        return articles.article(self._index, article_id)

    def marked_paragraphs(self, paragraphs: list[str], text: str) -> list[Snippet]:
        """The paragraphs with the words of the query ``text`` marked (``QueryError`` if it does
        not parse)."""
        return results.marked_paragraphs(self._index, self.parse(text, any_word=True), paragraphs)

    def every_article(self) -> Iterator[StoredArticle]:
        """Every article of the index, copies included (``searchkit export`` without a query)."""
        return articles.every_article(self._index)

    def duplicate_clusters(self) -> list[StoredArticle]:
        """The canonical copy of every cluster that holds two or more copies, by title."""
        return articles.duplicate_clusters(self._index)

    def stats(self) -> dict[str, Any]:
        """Counts of articles, distinct stories, duplicates and sources; the build's record."""
        return articles.stats(self._index, self.store)
