"""Stage 6 — search: a query string, filters, a sort -> ``SearchResults`` (ranked, copies collapsed).

``Searcher`` is the library API that the CLI, the web server and the tests all call. It keeps one
Whoosh searcher open and reuses it (re-opening only when a newer index has been published), parses
Whoosh's query language (phrases, AND/OR/NOT, ``field:value``, wildcards, ``date:[2018 to 2019]``),
and for each search:

1. finds every matching document (set operations on the posting lists, no scoring);
2. maps them to stories (duplicate clusters) through the generation's ``StoryTable``, applies the
   site / author / year / category / date filters to each story's shown copy, and counts facets;
3. corrects the spelling when the query finds nothing or little, and says so (``corrected``);
4. ranks (``ranking``: BM25F with Lucene's idf and an exact-word field, then a proximity bonus for
   the top candidates), collapses each story to its best-ranked copy, or sorts by date;
5. shows each story's canonical copy with a snippet (``snippets``), and on request the score's
   breakdown by field and term.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from whoosh import qparser, query
from whoosh.qparser.dateparse import DateParserPlugin

from searchkit.analysis import is_cjk
from searchkit.index.generations import IndexStore
from searchkit.index.schema import FIELD_ALIASES
from searchkit.models import (
    FACET_NAMES,
    DuplicateRef,
    FacetCount,
    Hit,
    ScorePart,
    SearchResults,
    StoredArticle,
)
from searchkit.query import postings, snippets, spelling
from searchkit.query import rank as ranking
from searchkit.query.rank import RankingParams
from searchkit.query.stories import NO_STORY, StoryTable, build_table

MAX_QUERY_CHARS = 1000
SORTS = ("relevance", "newest", "oldest")
# A query finding fewer distinct stories than this is checked for spelling mistakes.
FEW_RESULTS = 3
CORRECT_ALWAYS = False
# ...and one finding fewer than this with all its words also shows articles with some of them
# (after those with all). Measured on the seeds' judged queries: docs/benchmarks.md.
RELAX_BELOW = 2
_ARTICLES = query.Term("kind", "article")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATE_CLAUSE = re.compile(r"\bdate:(\[[^\]]*\]|\{[^}]*\}|\S+)")
_TEXT_FIELDS = frozenset(("title", "summary", "body", "exact"))


class QueryError(ValueError):
    """A query that cannot be run; the message is one line, fit to show the user."""


class ArticleNotFound(LookupError):
    pass


@dataclass(slots=True)
class ResultFilters:
    """Restrict a search to stories whose shown copy has these values (all given must hold).

    ``authors``, ``site`` and ``category`` match a facet value ignoring case, or, when no value is
    equal, every value holding all the given words (``--author koetse``). ``year`` is the year of
    publication (or of the copyright line when that is all an article states). ``since`` / ``until``
    admit an article known only by its year when that whole year lies inside the range.
    """

    authors: list[str] = field(default_factory=list)
    site: str | None = None
    category: str | None = None
    year: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def predicates(self, table: StoryTable) -> dict[str, Callable[[int], bool]]:
        """One test per active filter, on story numbers, keyed by the facet it narrows."""
        tests: dict[str, Callable[[int], bool]] = {}
        if self.authors:
            wanted = [_values(table.author_names, "author", a) for a in self.authors]
            authors = table.authors
            tests["author"] = lambda s: all(not w.isdisjoint(authors[s]) for w in wanted)
        if self.site:
            sites = _values(table.sites, "site", self.site)
            site = table.site
            tests["site"] = lambda s: site[s] in sites
        if self.category:
            categories = _values(table.categories, "category", self.category)
            category = table.category
            tests["category"] = lambda s: category[s] in categories
        if self.year is not None:
            year, wanted_year = table.year, self.year
            tests["year"] = lambda s: year[s] == wanted_year
        if self.since or self.until:
            tests["date"] = self._date_test(table)
        return tests

    def _date_test(self, table: StoryTable) -> Callable[[int], bool]:
        first_day = self.since.toordinal() if self.since else None
        last_day = self.until.toordinal() if self.until else None
        # A story known only by its year passes when that whole year lies inside the range: we
        # include it only when we know it belongs.
        first_year = last_year = None
        if self.since:
            first_year = self.since.year + (self.since != dt.date(self.since.year, 1, 1))
        if self.until:
            last_year = self.until.year - (self.until != dt.date(self.until.year, 12, 31))
        day, year = table.day, table.year

        def test(story: int) -> bool:
            if day[story]:
                d = day[story]
                return (first_day is None or d >= first_day) and (last_day is None or d <= last_day)
            y = year[story]
            return (
                bool(y)
                and (first_year is None or y >= first_year)
                and (last_year is None or y <= last_year)
            )

        return test


def _values(values, name: str, wanted: str) -> frozenset[int]:
    if not any(ch.isalnum() for ch in wanted):
        raise QueryError(f"empty {name} filter")
    return values.matching(wanted)


@dataclass(slots=True)
class _Matches:
    """What a query matched: its documents, and the distinct stories among them."""

    q: query.Query
    docs: set[int]
    stories: set[int]
    text: str = ""
    first: _Matches | None = None  # the stricter matches (every word) that rank before the rest
    lists: PostingLists | None = None  # the posting lists read to find them, for scoring


@dataclass(slots=True)
class _Outcome:
    found: _Matches
    tests: dict[str, Callable[[int], bool]]
    passing: set[int]  # matching stories that pass the filters
    ranked: list[tuple[int, int, float]]  # (story, best copy's docnum, score), best first
    notices: list[str]
    corrected: str | None


class Searcher:
    def __init__(self, store: IndexStore, params: RankingParams | None = None) -> None:
        self.store = store
        self.params = params or RankingParams()
        # Check the spelling of every plain query, not only those that find little
        # (bench/typos.py measures both; docs/benchmarks.md).
        self.correct_always = CORRECT_ALWAYS
        self.relax_below = RELAX_BELOW
        self._generation: str | None = None
        self._ix = None
        self._searcher = None
        self._table: StoryTable | None = None
        self.refresh()

    # --- lifecycle -----------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Pick up a newer index if one was published since. True when it changed."""
        gen = self.store.current()
        name = gen.name if gen else None
        if self._searcher is not None and name == self._generation:
            if self._searcher.up_to_date():
                return False
            self._searcher = self._searcher.refresh()
            self._reset_caches()
            return True
        ix = self.store.open()
        old = self._searcher
        self._ix = ix
        self._searcher = ix.searcher(weighting=self.params.weighting())
        self._generation = name
        self._parser = _make_parser(ix.schema, self.params)
        # Plain OrGroup: whoosh-reloaded scores every hit 0 when an Or has a `scale`.
        self._any_parser = _make_parser(ix.schema, self.params, group=qparser.OrGroup)
        self._reset_caches()
        if old is not None:
            old.close()
        return True

    def _reset_caches(self) -> None:
        self._table = None
        self._bulk_scorer: ranking.BulkScorer | None = None
        self._cjk_terms: dict[str, list[str]] = {}

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def table(self) -> StoryTable:
        """Each document's story and facet values; read once per index generation."""
        if self._table is None:
            self._table = build_table(self._searcher.reader())
        return self._table

    # --- search --------------------------------------------------------------------------------

    def parse(self, text: str, *, any_word: bool = False) -> query.Query:
        if _plain_words(text) and "'" not in text and len(text) <= MAX_QUERY_CHARS:
            # The searcher's schema: the index's own re-reads its table of contents from disk.
            q = _plain_query(self._searcher.schema, self.params, text, any_word)
        else:
            q = _parse(self._any_parser if any_word else self._parser, text)
        return self._expand_cjk_chars(_without_exact_phrases(q))

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
    ) -> SearchResults:
        """One page of ranked (or date-sorted) distinct stories, with facets and notices.

        ``any_word`` ranks articles holding any of the words (as evaluation collections expect);
        by default every word must match, falling back to any word when no article has them all.
        """
        if page < 1 or limit < 1:
            raise QueryError("page and limit must be 1 or more")
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
        want = page * limit
        outcome = self._find(text, filters, sort, want, any_word)
        if outcome.found.q is query.NullQuery:
            return SearchResults(
                text, 0, page, limit, [], outcome.notices, sort=sort, corrected=outcome.corrected
            )
        facet_counts = self._facets(outcome.found.stories, outcome.tests) if facets else {}
        highlight = self._highlight(outcome.found.q)
        table = self.table
        hits = []
        first = want - limit + 1
        for rank, (story, docnum, score) in enumerate(outcome.ranked[first - 1 : want], first):
            hit = self._hit(rank, table.canonical[story], score, highlight)
            if explain:
                hit.explanation = self._explain(outcome.found.q, docnum)
            hits.append(hit)
        return SearchResults(
            text,
            len(outcome.passing),
            page,
            limit,
            hits,
            outcome.notices,
            facets=facet_counts,
            corrected=outcome.corrected,
            sort=sort,
        )

    def ranked_sources(self, text: str, limit: int, *, any_word: bool = True) -> list[str]:
        """The source of each of the top ``limit`` stories' shown copy (for evaluation runs)."""
        outcome = self._find(text, None, "relevance", limit, any_word)
        canonical = self.table.canonical
        reader = self._searcher.reader()
        return [
            reader.stored_fields(canonical[story])["source"]
            for story, _, _ in outcome.ranked[:limit]
        ]

    def _find(
        self, text: str, filters: ResultFilters | None, sort: str, want: int, any_word: bool
    ) -> _Outcome:
        """Match, correct, filter and rank: everything a page of results needs but the hits."""
        q = self.parse(text, any_word=any_word)
        tests = (filters or ResultFilters()).predicates(self.table)
        notices: list[str] = []
        corrected = None
        found = self._matches(q, text)
        plain = _plain_words(text)
        if plain and (self.correct_always or len(found.stories) < FEW_RESULTS):
            suggestion = spelling.correct(self._searcher.reader(), text)
            if suggestion is not None and self._better(suggestion, found, any_word):
                found = self._matches(self.parse(suggestion, any_word=any_word), suggestion)
                corrected = suggestion
        if found.q is query.NullQuery:
            notices.append("The query has no searchable words (only common words like 'the').")
            return _Outcome(found, tests, set(), [], notices, corrected)
        if plain > 1 and not any_word and len(found.stories) < self.relax_below:
            # At most one article holds every word: rank those first, then the ones with some of them.
            loose = self._matches(self.parse(corrected or text, any_word=True))
            if len(loose.stories) > len(found.stories):
                if found.stories:
                    n = len(found.stories)
                    notices.append(
                        f"Only {n} {'article contains' if n == 1 else 'articles contain'} all "
                        "the words; articles with some of them follow."
                    )
                else:
                    notices.append(
                        "No article contains all the words; showing those with any of them."
                    )
                loose.first = found
                found = loose
        passing = _passing(found.stories, list(tests.values()))
        if sort == "relevance":
            ranked = self._rank(found, passing, want)
        else:
            ranked = self._by_date(found, passing, want, newest=sort == "newest")
        return _Outcome(found, tests, passing, ranked, notices, corrected)

    def _matches(self, q: query.Query, text: str = "") -> _Matches:
        if q is query.NullQuery:
            return _Matches(q, set(), set(), text)
        lists = PostingLists(self._searcher.reader())
        docs = _docset(self._searcher, q, lists)
        return _Matches(q, docs, self.table.stories_of(docs), text, lists=lists)

    def _facets(
        self, stories: set[int], tests: dict[str, Callable[[int], bool]]
    ) -> dict[str, list[FacetCount]]:
        """Per facet: counts over the matching stories that pass every *other* active filter."""
        table = self.table
        out: dict[str, list[FacetCount]] = {}
        cache: dict[frozenset[str], dict[str, list[FacetCount]]] = {}
        for name in FACET_NAMES:
            others = frozenset(k for k in tests if k != name)
            if others not in cache:
                chosen = _passing(stories, [tests[k] for k in others])
                cache[others] = table.facet_counts(chosen)
            out[name] = cache[others][name]
        return out

    def _better(self, suggestion: str, found: _Matches, any_word: bool) -> bool:
        """Whether a spelling correction finds more than the query as typed (any word, if neither
        finds an article with all its words)."""
        better = self._matches(self.parse(suggestion, any_word=any_word))
        if len(better.stories) != len(found.stories):
            return len(better.stories) > len(found.stories)
        if found.stories or any_word:
            return False
        typed = self._matches(self.parse(found.text, any_word=True))
        fixed = self._matches(self.parse(suggestion, any_word=True))
        return len(fixed.stories) > len(typed.stories)

    def _rank(self, found: _Matches, passing: set[int], want: int) -> list[tuple[int, int, float]]:
        """(story, best docnum, score) for the best ``want`` stories, best first.

        When the matches say which stories hold every word (``first``), those rank first.
        """
        if found.first is not None:
            strict = found.first
            head = self._rank(strict, passing & strict.stories, want)
            if len(head) >= want:
                return head
            rest = self._rank_query(found, passing - strict.stories, want - len(head))
            return head + rest
        return self._rank_query(found, passing, want)

    def _rank_query(
        self, found: _Matches, passing: set[int], want: int
    ) -> list[tuple[int, int, float]]:
        if not passing or want <= 0:
            return []
        story_of = self.table.story_of
        docs = found.docs
        if len(passing) < len(found.stories):
            docs = {d for d in docs if story_of[d] in passing}
        groups = ranking.term_groups(found.q)
        if groups is not None and found.lists is not None:
            scored_all = self._bulk().score(groups, found.lists, docs)
        else:
            scored_all = None
        depth = self.params.rerank_depth
        fetch = max(depth, want * 2 + 10)
        while True:
            if scored_all is not None:
                top = heapq.nlargest(fetch, scored_all.items(), key=itemgetter(1))
                scored = sorted(top, key=lambda item: (-item[1], item[0]))
                exhausted = len(scored) < fetch
            else:
                allowed = None if docs is found.docs else docs
                results = self._searcher.search(found.q, limit=fetch, filter=allowed)
                scored = [(hit.docnum, float(hit.score)) for hit in results]
                exhausted = results.scored_length() < fetch
            head = self._proximity(found, scored[:depth])
            best: dict[int, tuple[int, float]] = {}
            order: list[int] = []
            for docnum, score in head + scored[depth:]:
                story = story_of[docnum]
                if story == NO_STORY or story not in passing or story in best:
                    continue
                best[story] = (docnum, score)
                order.append(story)
            if len(order) >= want or exhausted:
                break
            fetch *= 4
        return [(s, *best[s]) for s in order]

    def _bulk(self) -> ranking.BulkScorer:
        if self._bulk_scorer is None:
            self._bulk_scorer = ranking.BulkScorer(self._searcher, self.params)
        return self._bulk_scorer

    def _proximity(self, found: _Matches, scored: list[tuple[int, float]]) -> list:
        """Add the proximity bonus to the top candidates and re-sort them."""
        pairs = _adjacent_pairs(found.q)
        if not pairs or self.params.proximity <= 0:
            return scored
        lists = found.lists or PostingLists(self._searcher.reader())
        bonus = ranking.proximity_bonus(self._bulk(), pairs, [d for d, _ in scored], lists)
        if not bonus:
            return scored
        rescored = [(d, s + sum(p.score for p in bonus.get(d, ()))) for d, s in scored]
        rescored.sort(key=lambda item: (-item[1], item[0]))
        return rescored

    def _by_date(
        self, found: _Matches, passing: set[int], want: int, *, newest: bool
    ) -> list[tuple[int, int, float]]:
        """Stories by date (undated last), ties by id order; scores for the ones shown."""
        table = self.table
        day, year = table.day, table.year

        def key(story: int) -> tuple:
            # Dated stories first; one known only by its year follows the dated ones of that
            # year (its place inside the year is unknown); one with no year at all comes last.
            y = year[story]
            if not y:
                return (1, 0, 0, 0)
            d = day[story]
            if newest:
                return (0, -y, 0 if d else 1, -d)
            return (0, y, 0 if d else 1, d)

        top = heapq.nsmallest(want, passing, key=lambda s: (key(s), table.canonical[s]))
        wanted = set(top)
        copies = {d for d in found.docs if table.story_of[d] in wanted}
        groups = ranking.term_groups(found.q)
        if groups is not None and found.lists is not None:
            by_doc = self._bulk().score(groups, found.lists, copies)
            scored = sorted(by_doc.items(), key=lambda item: (-item[1], item[0]))
        else:
            results = self._searcher.search(found.q, limit=None, filter=copies)
            scored = [(hit.docnum, float(hit.score)) for hit in results]
        scores: dict[int, tuple[int, float]] = {}
        for docnum, score in scored:  # best copy of each story first
            scores.setdefault(table.story_of[docnum], (docnum, score))
        return [(s, *scores.get(s, (table.canonical[s], 0.0))) for s in top]

    def _explain(self, q: query.Query, docnum: int) -> list[ScorePart]:
        parts = ranking.explain(self._searcher, q, docnum)
        pairs = _adjacent_pairs(q)
        if pairs and self.params.proximity > 0:
            lists = PostingLists(self._searcher.reader())
            bonus = ranking.proximity_bonus(self._bulk(), pairs, [docnum], lists)
            parts += bonus.get(docnum, [])
        return parts

    def _highlight(self, q: query.Query) -> snippets.Highlight:
        """The query's matched body words (wildcards expanded), phrases and CJK strings, by idf."""
        reader = self._searcher.reader()
        light = snippets.Highlight()

        def weight(term: str) -> float:
            return self._bulk().lucene_idf("body", term)

        for leaf in ranking._scoring_leaves(q):
            fieldname = getattr(leaf, "fieldname", None)
            if fieldname not in _TEXT_FIELDS:
                continue
            if isinstance(leaf, query.Phrase):
                words = [str(w) for w in leaf.words]
                if all(is_cjk(w) for w in words):
                    light.cjk[_join_bigrams(words)] = sum(weight(w) for w in words)
                elif fieldname != "exact":
                    light.phrases[tuple(words)] = sum(weight(w) for w in words)
                continue
            # Not Query.existing_terms: in Whoosh 2.7 its loop variable shadows its `fieldname`
            # argument, so it drops every field after the first one it meets.
            for name, text in leaf.expanded_terms(reader, phrases=True):
                word = text.decode("utf-8") if isinstance(text, bytes) else str(text)
                if (name, word) not in reader:
                    continue
                if is_cjk(word):
                    chars = getattr(leaf, "cjk_char", word)
                    light.cjk.setdefault(chars, weight(word))
                elif name == "exact":
                    light.terms.setdefault(ranking_stem(word), weight(ranking_stem(word)))
                else:
                    light.terms.setdefault(word, weight(word))
        return light

    def _hit(self, rank: int, docnum: int, score: float, highlight: snippets.Highlight) -> Hit:
        stored = self._searcher.stored_fields(docnum)
        meta = stored["meta"]
        return Hit(
            rank=rank,
            id=stored["id"],
            title=stored["title"],
            authors=list(meta["authors"]),
            date=_date(meta["date"]),
            site=meta["site"],
            category=meta["category"],
            source=stored["source"],
            score=round(score, 4),
            snippet=snippets.make_snippet(stored["body"], highlight),
            duplicates=_refs(meta["duplicates"]),
            title_derived=meta["title_derived"],
        )

    def _expand_cjk_chars(self, q: query.Query) -> query.Query:
        """A lone CJK character is indexed only inside bigrams: search every bigram holding it."""

        def rewrite(node: query.Query) -> query.Query:
            if isinstance(node, query.Term) and isinstance(node.text, str):
                if len(node.text) == 1 and is_cjk(node.text):
                    terms = [t for t in self._cjk_lexicon(node.fieldname) if node.text in t]
                    if terms:
                        expanded = [query.Term(node.fieldname, t, boost=node.boost) for t in terms]
                        for term in expanded:
                            term.cjk_char = node.text  # what to highlight: the character only
                        return query.Or(expanded)
                return node
            if node.is_leaf():
                return node
            return node.apply(rewrite)

        return rewrite(q)

    def _cjk_lexicon(self, fieldname: str) -> list[str]:
        if fieldname not in self._cjk_terms:
            reader = self._searcher.reader()
            found = []
            if fieldname in reader.schema:
                # CJK code points sort after Latin ones: the lexicon's tail holds them all.
                found = [
                    t.decode("utf-8")
                    for t in _terms_from(reader, fieldname, "\u3040")
                    if is_cjk(t.decode("utf-8"))
                ]
            self._cjk_terms[fieldname] = found
        return self._cjk_terms[fieldname]

    # --- more like this ------------------------------------------------------------------------

    def similar(self, article_id: str, limit: int = 10) -> list[Hit]:
        """Articles most like this one (its own copies excluded), by its most telling words."""
        if limit < 1:
            raise QueryError("limit must be 1 or more")
        article = self.article(article_id)
        docnum = self._searcher.document_number(id=article.id, kind="article")
        table = self.table
        own_story = table.story_of[docnum]
        q = ranking.like_query(self._searcher, article.title, article.text)
        if q is None:
            return []
        found = self._matches(q)
        passing = found.stories - {own_story}
        ranked = self._rank(found, passing, limit)
        highlight = self._highlight(q)
        return [
            self._hit(rank, table.canonical[story], score, highlight)
            for rank, (story, _docnum, score) in enumerate(ranked[:limit], 1)
        ]

    # --- articles and clusters -----------------------------------------------------------------

    def article(self, article_id: str) -> StoredArticle:
        """The article with this id (or unique id prefix of 4+ characters)."""
        stored = self._stored(article_id)
        if stored is None and len(article_id) >= 4 and re.fullmatch(r"[0-9a-f]+", article_id):
            matches = self._prefixed(article_id)
            if len(matches) > 1:
                raise ArticleNotFound(f"id prefix {article_id!r} matches {len(matches)} articles")
            stored = matches[0] if matches else None
        if stored is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return self._to_article(stored)

    def _prefixed(self, prefix: str):
        q = query.And([_ARTICLES, query.Prefix("id", prefix)])
        return [hit.fields() for hit in self._searcher.search(q, limit=3)]

    def _stored(self, article_id: str) -> dict[str, Any] | None:
        return self._searcher.document(id=article_id, kind="article")

    def _to_article(self, stored: dict[str, Any]) -> StoredArticle:
        meta = stored["meta"]
        canonical_id = meta["canonical_id"]
        if stored["id"] == canonical_id:
            duplicates = _refs(meta["duplicates"])
        else:
            canonical = self._stored(canonical_id)
            refs = _refs(canonical["meta"]["duplicates"]) if canonical else []
            duplicates = [DuplicateRef(canonical_id, canonical["source"] if canonical else "")]
            duplicates += [r for r in refs if r.id != stored["id"]]
        return StoredArticle(
            id=stored["id"],
            title=stored["title"],
            summary=stored.get("summary") or None,
            authors=list(meta["authors"]),
            date=_date(meta["date"]),
            year=meta["year"],
            site=meta["site"],
            category=meta["category"],
            tags=list(meta["tags"]),
            source=stored["source"],
            position=meta["position"],
            text=stored["body"],
            title_derived=meta["title_derived"],
            canonical_id=canonical_id,
            duplicates=duplicates,
        )

    def duplicate_clusters(self) -> list[StoredArticle]:
        """The canonical copy of every cluster that holds two or more copies, by title."""
        q = query.And([_ARTICLES, query.Term("canonical", True), query.Term("duplicated", True)])
        found = [self._to_article(hit.fields()) for hit in self._searcher.search(q, limit=None)]
        return sorted(found, key=lambda a: a.title.lower())

    def stats(self) -> dict[str, Any]:
        def count(q: query.Query) -> int:
            return len(self._searcher.search(q, limit=None, scored=False))

        articles = count(_ARTICLES)
        distinct = count(query.And([_ARTICLES, query.Term("canonical", True)]))
        meta = self.store.meta()
        return {
            "articles": articles,
            "distinct_articles": distinct,
            "duplicates": articles - distinct,
            "duplicate_clusters": count(
                query.And(
                    [_ARTICLES, query.Term("canonical", True), query.Term("duplicated", True)]
                )
            ),
            "sources": count(query.Term("kind", "file")),
            "skipped": meta.get("skipped", []),
            "index": str(self.store.path),
            "built_at": meta.get("built_at"),
            "roots": meta.get("roots", []),
        }


def ranking_stem(word: str) -> str:
    from searchkit.analysis import stem

    return stem(word)


def _plain_query(schema, params: RankingParams, text: str, any_word: bool) -> query.Query:
    """What Whoosh's parser makes of bare words, built directly (parsing costs milliseconds).

    Each word becomes an Or of its terms in every searched field (a phrase where it analyses to
    several terms, as a CJK word does); the words are And-ed, or Or-ed for ``any_word``.
    tests/test_quality.py checks that this equals the parser's query.
    """
    fields = [name for name in params.search_fields() if name in schema]
    groups: list[list[query.Query]] = []
    for word in text.split():
        clauses: list[query.Query] = []
        analysed: list[tuple[object, list[str]]] = []  # fields sharing an analyzer share its work
        for name in fields:
            field_type = schema[name]
            for analyzer, known in analysed:
                if analyzer == field_type.analyzer:
                    terms = known
                    break
            else:
                terms = [t.text for t in field_type.analyzer(word, mode="query")]
                analysed.append((field_type.analyzer, terms))
            boost = params.boosts[name]
            if len(terms) == 1:
                clauses.append(query.Term(name, terms[0], boost=boost))
            elif terms and field_type.multitoken_query == "phrase":
                clauses.append(query.Phrase(name, terms, boost=boost))
            elif terms:
                parts = [query.Term(name, t, boost=boost) for t in terms]
                clauses.extend(parts) if any_word else clauses.append(query.And(parts))
        if clauses:
            groups.append(clauses)
    if not groups:
        return query.NullQuery
    if any_word:
        return query.Or([c for clauses in groups for c in clauses]).normalize()
    return query.And([query.Or(clauses) for clauses in groups]).normalize()


def _passing(stories: set[int], tests: list[Callable[[int], bool]]) -> set[int]:
    """The stories that pass every test (the same set when there is none: no copy to make)."""
    if not tests:
        return stories
    return {s for s in stories if all(test(s) for test in tests)}


def _without_exact_phrases(q: query.Query) -> query.Query:
    """Phrases are matched on the stemmed fields: ``exact`` keeps no word positions."""

    def rewrite(node: query.Query) -> query.Query:
        if isinstance(node, query.Phrase) and node.fieldname == "exact":
            return query.NullQuery
        if node.is_leaf():
            return node
        return node.apply(rewrite)

    return rewrite(q).normalize()


def _join_bigrams(words: list[str]) -> str:
    """The CJK string a run of bigrams spells: 芝麻 麻信 信用 -> 芝麻信用."""
    return words[0] + "".join(w[-1] for w in words[1:])


def _terms_from(reader, fieldname: str, start: str):
    for fname, btext in reader.terms_from(fieldname, start):
        if fname != fieldname:
            break
        yield btext


def _adjacent_pairs(q: query.Query) -> list[tuple[str, str]]:
    """Stemmed body terms of successive query words, for the proximity bonus."""
    words: list[str] = []
    for leaf in ranking._scoring_leaves(q):
        if isinstance(leaf, query.Term) and leaf.fieldname == "body":
            text = leaf.text.decode("utf-8") if isinstance(leaf.text, bytes) else str(leaf.text)
            if not is_cjk(text) and (not words or words[-1] != text):
                words.append(text)
    return list(itertools.pairwise(words))


# --- document sets ------------------------------------------------------------------------------


class PostingLists:
    """The posting lists one search reads, each read once (``postings.read``), by (field, term).

    For fields that keep word positions the encoded positions are kept too, for the proximity
    bonus of the top candidates (``positions``).
    """

    def __init__(self, reader) -> None:
        self.reader = reader
        self.lists: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        self.values: dict[tuple[str, str], list] = {}

    def get(self, fieldname: str, text) -> tuple[list[int], list[float]]:
        key = (fieldname, text)
        found = self.lists.get(key)
        if found is None:
            found = ([], [])
            btext = self._bytes(fieldname, text)
            if btext is not None:
                keep = [] if self.reader.schema[fieldname].format.supports("positions") else None
                found = postings.read(self.reader, fieldname, btext, values=keep)
                if keep is not None:
                    self.values[key] = keep
            self.lists[key] = found
        return found

    def positions(self, fieldname: str, text, docnums: list[int]) -> dict[int, list[int]]:
        """Word positions of the term in each of these documents that holds it."""
        ids, _ = self.get(fieldname, text)
        values = self.values.get((fieldname, text))
        if not values:
            return {}
        decode = self.reader.schema[fieldname].format.decode_positions
        found = {}
        for docnum in docnums:
            i = bisect.bisect_left(ids, docnum)
            if i < len(ids) and ids[i] == docnum:
                found[docnum] = decode(values[i])
        return found

    def _bytes(self, fieldname: str, text) -> bytes | None:
        if fieldname not in self.reader.schema:
            return None
        try:
            return self.reader.schema[fieldname].to_bytes(text)
        except ValueError:
            return None


def _docset(searcher, q: query.Query, lists: PostingLists) -> set[int]:
    """Document numbers matching ``q``, without scoring.

    Terms read their posting lists whole (``postings``) and And / Or / Not become set operations,
    several times faster than walking Whoosh's matchers one document at a time; anything else
    (phrases, ranges, wildcards) goes through Whoosh.
    """
    if isinstance(q, query.Term):
        return set(lists.get(q.fieldname, q.text)[0])
    if isinstance(q, query.Or):
        out: set[int] = set()
        for child in q.subqueries:
            if isinstance(child, query.Term) and child.fieldname == "exact":
                continue  # an exact-word match is always a stemmed match too
            out |= _docset(searcher, child, lists)
        return out
    if isinstance(q, query.And):
        positive = [c for c in q.subqueries if not isinstance(c, query.Not)]
        negative = [c.query for c in q.subqueries if isinstance(c, query.Not)]
        if not positive:
            return set(searcher.docs_for_query(q))
        sets = sorted((_docset(searcher, c, lists) for c in positive), key=len)
        out = sets[0].intersection(*sets[1:])
        for child in negative:
            if not out:
                break
            out -= _docset(searcher, child, lists)
        return out
    if isinstance(q, query.AndNot):
        return _docset(searcher, q.a, lists) - _docset(searcher, q.b, lists)
    if isinstance(q, query.AndMaybe):
        return _docset(searcher, q.a, lists)
    if q is query.NullQuery or isinstance(q, query.NullQuery.__class__):
        return set()
    return set(searcher.docs_for_query(q))


# --- parsing ------------------------------------------------------------------------------------


def _make_parser(schema, params: RankingParams, group=qparser.AndGroup) -> qparser.QueryParser:
    fields = [name for name in params.search_fields() if name in schema]
    boosts = {name: params.boosts[name] for name in fields}
    parser = qparser.MultifieldParser(fields, schema, fieldboosts=boosts, group=group)
    parser.add_plugin(DateParserPlugin(free=False))
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


def _parse(parser: qparser.QueryParser, text: str) -> query.Query:
    text = text.strip()
    if not text:
        raise QueryError("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    _check_balanced(text)
    text = _DATE_CLAUSE.sub(lambda m: _ISO_DATE.sub(r"\1\2\3", m.group(0)), text)
    try:
        return parser.parse(text)
    except Exception as exc:  # Whoosh's parser and date plugin raise assorted types
        raise QueryError(f"cannot parse query: {exc}") from None


def _check_balanced(text: str) -> None:
    if text.count('"') % 2:
        raise QueryError('unbalanced quote (") in query')
    depth = 0
    in_range = None
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("unbalanced parentheses in query: ')' without '('")
        elif ch in "[{" and in_range is None:
            in_range = "]" if ch == "[" else "}"
        elif ch == in_range:
            in_range = None
    if depth:
        raise QueryError("unbalanced parentheses in query: '(' without ')'")
    if in_range:
        raise QueryError(f"unclosed range in query: missing '{in_range}'")


def _plain_words(text: str) -> int:
    """How many bare words a query has (0 when it uses operators, fields or phrases)."""
    if re.search(r'["():*?\[\]{}^~]|\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\b', text):
        return 0
    return len(text.split())


def _refs(items: list[dict[str, Any]]) -> list[DuplicateRef]:
    return [DuplicateRef(d["id"], d["source"], d.get("similarity", 1.0)) for d in items]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
