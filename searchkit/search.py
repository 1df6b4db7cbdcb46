"""Stage 6 — search: a query string and filters -> ``SearchResults`` (ranked, copies collapsed).

``Searcher`` is the library API that the CLI, the web server and the tests all call. It keeps one
Whoosh searcher open and reuses it (re-opening only when a newer index has been published), parses
Whoosh's query language (phrases, AND/OR/NOT, ``field:value``, wildcards, ``date:[2018 to 2019]``),
ranks with BM25F, collapses each duplicate cluster to one hit at the rank of its best copy, and shows
that cluster's canonical copy with a highlighted snippet.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from whoosh import qparser, query, scoring
from whoosh.qparser.dateparse import DateParserPlugin

from searchkit import snippets
from searchkit.models import DuplicateRef, Hit, SearchResults, StoredArticle
from searchkit.schema import FIELD_ALIASES, FIELD_BOOSTS, SEARCH_FIELDS
from searchkit.store import IndexStore

MAX_QUERY_CHARS = 1000
_ARTICLES = query.Term("kind", "article")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATE_CLAUSE = re.compile(r"\bdate:(\[[^\]]*\]|\{[^}]*\}|\S+)")
_TEXT_FIELDS = frozenset(("title", "summary", "body"))


class QueryError(ValueError):
    """A query that cannot be run; the message is one line, fit to show the user."""


class ArticleNotFound(LookupError):
    pass


@dataclass(slots=True)
class Filters:
    authors: list[str] = field(default_factory=list)
    site: str | None = None
    category: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def to_query(self, schema) -> query.Query:
        parts: list[query.Query] = [_ARTICLES]
        for author in self.authors:
            parts.append(_words_query(schema, "authors", author))
        if self.site:
            parts.append(_words_query(schema, "site", self.site))
        if self.category:
            parts.append(_words_query(schema, "category", self.category))
        if self.since or self.until:
            start = dt.datetime.combine(self.since, dt.time()) if self.since else None
            end = dt.datetime.combine(self.until, dt.time.max) if self.until else None
            # An article known only by its year (from its copyright line) passes when that whole
            # year lies inside the range: we include it only when we know it belongs.
            first_year = None
            if self.since:
                first_year = self.since.year + (self.since != dt.date(self.since.year, 1, 1))
            last_year = None
            if self.until:
                last_year = self.until.year - (self.until != dt.date(self.until.year, 12, 31))
            year_range = query.NumericRange("year", first_year, last_year)
            parts.append(
                query.Or(
                    [
                        query.DateRange("date", start, end),
                        query.And([query.Not(query.Term("dated", True)), year_range]),
                    ]
                )
            )
        return query.And(parts)


def _words_query(schema, fieldname: str, text: str) -> query.Query:
    """The words of a filter value as the field indexed them: one term, or a phrase."""
    words = [token.text for token in schema[fieldname].analyzer(text)]
    if not words:
        raise QueryError(f"empty {fieldname} filter")
    if len(words) == 1:
        return query.Term(fieldname, words[0])
    return query.Phrase(fieldname, words)


class Searcher:
    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._generation: str | None = None
        self._ix = None
        self._searcher = None
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
            return True
        ix = self.store.open()
        old = self._searcher
        self._ix = ix
        self._searcher = ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2))
        self._generation = name
        self._parser = _make_parser(ix.schema)
        # Plain OrGroup: whoosh-reloaded scores every hit 0 when an Or has a `scale`.
        self._any_parser = _make_parser(ix.schema, group=qparser.OrGroup)
        if old is not None:
            old.close()
        return True

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- search --------------------------------------------------------------------------------

    def parse(self, text: str) -> query.Query:
        return _parse(self._parser, text)

    def search(
        self,
        text: str,
        *,
        filters: Filters | None = None,
        page: int = 1,
        limit: int = 10,
    ) -> SearchResults:
        if page < 1 or limit < 1:
            raise QueryError("page and limit must be 1 or more")
        q = self.parse(text)
        filter_q = (filters or Filters()).to_query(self._ix.schema)
        notices: list[str] = []
        results = self._run(q, filter_q, page, limit)
        if results is not None and results.total == 0 and _plain_words(text) > 1:
            # No article has every word: fall back to any word, ranked, and say so.
            loose = _parse(self._any_parser, text)
            results = self._run(loose, filter_q, page, limit)
            if results is not None and results.total:
                q = loose
                notices.append("No article contains all the words; showing those with any of them.")
        if results is None:
            notices.append("The query has no searchable words (only common words like 'the').")
            return SearchResults(text, 0, page, limit, [], notices)
        terms = self._highlight_terms(q)
        hits = [
            self._hit(rank, hit, terms)
            for rank, hit in enumerate(results.hits, start=(page - 1) * limit + 1)
        ]
        return SearchResults(text, results.total, page, limit, hits, notices)

    def _run(self, q, filter_q, page: int, limit: int) -> _Page | None:
        """Rank, collapse each duplicate cluster to its best-ranked copy, and cut out one page."""
        if q is query.NullQuery:
            return None
        searcher = self._searcher
        clusters = searcher.reader().column_reader("cluster")
        want = page * limit
        fetch = want * 2 + 10
        while True:
            results = searcher.search(q, limit=fetch, filter=filter_q)
            seen: set[str] = set()
            best = []
            for hit in results:
                key = clusters[hit.docnum]
                if key not in seen:
                    seen.add(key)
                    best.append(hit)
            if len(best) >= want or results.scored_length() < fetch:
                break
            fetch *= 4
        # Distinct stories among all matches (not only the fetched ones), without scoring them.
        matched = searcher.search(q, limit=None, filter=filter_q, scored=False)
        total = len({clusters[docnum] for docnum in matched.docs()})
        return _Page(total, best[want - limit : want])

    def _highlight_terms(self, q: query.Query) -> dict[str, float]:
        """Matched body terms (wildcards expanded), each with its idf as snippet weight."""
        # Not Query.existing_terms: in Whoosh 2.7 its loop variable shadows its `fieldname`
        # argument, so it drops every field after the first one it meets.
        reader = self._searcher.reader()
        terms: dict[str, float] = {}
        for leaf in q.leaves():
            for fieldname, text in leaf.expanded_terms(reader, phrases=True):
                if fieldname not in _TEXT_FIELDS:
                    continue
                word = text.decode("utf-8") if isinstance(text, bytes) else str(text)
                if word not in terms and (fieldname, word) in reader:
                    terms[word] = self._searcher.idf("body", word)
        return terms

    def _hit(self, rank: int, hit, terms: dict[str, float]) -> Hit:
        stored = hit.fields()
        if not stored.get("canonical", True):
            canonical = self._stored(stored["meta"]["canonical_id"])
            if canonical is not None:
                stored = canonical
        meta = stored["meta"]
        analyzer = self._ix.schema["body"].analyzer
        return Hit(
            rank=rank,
            id=stored["id"],
            title=stored["title"],
            authors=list(meta["authors"]),
            date=_date(meta["date"]),
            site=meta["site"],
            category=meta["category"],
            source=stored["source"],
            score=round(float(hit.score), 4),
            snippet=snippets.make_snippet(stored["body"], terms, analyzer, weights=terms),
            duplicates=_refs(meta["duplicates"]),
            title_derived=meta["title_derived"],
        )

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


@dataclass(slots=True)
class _Page:
    total: int
    hits: list


def _make_parser(schema, group=qparser.AndGroup) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(
        list(SEARCH_FIELDS), schema, fieldboosts=FIELD_BOOSTS, group=group
    )
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
