"""Parse: the text a user typed -> a Whoosh query for one open index.

In: the query text — bare words, or Whoosh's query language (phrases, AND/OR/NOT, ``field:value``
with the aliases of ``index.schema.FIELD_ALIASES``, wildcards, ``date:[2018 to 2019]``, ISO dates
inside a ``date:`` clause) — and whether any word may match instead of every word. Out: a
``whoosh.query.Query`` (``query.NullQuery`` when nothing searchable is left), or ``QueryError``
with a one-line message fit to show the user.

Bare words skip Whoosh's parser: ``plain_query`` builds the query it would make directly (parsing
costs milliseconds; tests/test_quality.py checks the two agree). Phrases on ``exact`` are dropped
(that field keeps no word positions), and a lone CJK character, indexed only inside bigrams,
becomes an Or of the indexed bigrams that hold it.
"""

from __future__ import annotations

import copy
import heapq
import re
from collections.abc import Iterator
from typing import Any

from whoosh import qparser, query
from whoosh.qparser.dateparse import DateParserPlugin

from searchkit.analysis import QUERY_STOP_WORDS, is_cjk
from searchkit.index.schema import FIELD_ALIASES
from searchkit.query import budget
from searchkit.query.rank import RankingParams

MAX_QUERY_CHARS = 1000
# Words one wildcard, prefix, fuzzy term or term range may stand for: the most common ones are
# kept. Unbounded, "a*" on 3,000 generated articles stood for thousands of words and took 7.5 s,
# "s* OR t* OR p* OR c*" 49 s, while the server's one searcher waited (issue 15.1); 128 common
# words still find what a prefix search is for, and a more specific pattern needs no cap.
MAX_EXPANSION = 128
# ... and all of a query's patterns together: "a* OR b* OR … z*" shares this many words out, at
# least MIN_SHARE each (one bare prefix over the five searched fields is 5 x 128).
MAX_QUERY_EXPANSION = 640
MIN_SHARE = 8
# Words looked at before the pattern is cut off (a regex or "*e*" must test every word).
MAX_SCANNED = 100_000
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATE_CLAUSE = re.compile(r"\bdate:(\[[^\]]*\]|\{[^}]*\}|\S+)")


class QueryError(ValueError):
    """A query that cannot be run; the message is one line, fit to show the user."""


class QueryParser:
    """Parses query text against one open index: its schema, the ranked fields, its CJK words.

    Built once per opened index (``snapshot.OpenIndex``): the two Whoosh parsers (every word /
    any word) and the CJK lexicon it reads on first need are only valid for that reader.
    """

    def __init__(self, schema: Any, params: RankingParams, reader: Any) -> None:
        self.schema = schema
        self.params = params
        self._reader = reader
        self._every_word = make_parser(schema, params)
        # Plain OrGroup: whoosh-reloaded scores every hit 0 when an Or has a `scale`.
        self._any_word = make_parser(schema, params, group=qparser.OrGroup)
        self._cjk_terms: dict[str, list[str]] = {}

    def parse(self, text: str, *, any_word: bool = False) -> query.Query:
        """The query to run for ``text``: every word must match, or any of them (``any_word``)."""
        if plain_words(text) and "'" not in text and len(text) <= MAX_QUERY_CHARS:
            q = self.plain(text, any_word=any_word)
        else:
            q = self.full(text, any_word=any_word)
        return self._expand_cjk_chars(without_exact_phrases(q))

    def plain(self, text: str, *, any_word: bool = False) -> query.Query:
        """Bare words as the query Whoosh's parser would make of them, built directly."""
        return plain_query(self.schema, self.params, text, any_word)

    def full(self, text: str, *, any_word: bool = False) -> query.Query:
        """``text`` through Whoosh's parser (the whole query language), checked first."""
        return parse_with(self._any_word if any_word else self._every_word, text)

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
            reader = self._reader
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


def make_parser(
    schema: Any, params: RankingParams, group: Any = qparser.AndGroup
) -> qparser.QueryParser:
    """Whoosh's parser over the ranked fields, with their boosts, dates and field aliases."""
    fields = [name for name in params.search_fields() if name in schema]
    boosts = {name: params.boosts[name] for name in fields}
    parser = qparser.MultifieldParser(fields, schema, fieldboosts=boosts, group=group)
    parser.add_plugin(DateParserPlugin(free=False))
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


def parse_with(parser: qparser.QueryParser, text: str) -> query.Query:
    """``text`` through ``parser``; ``QueryError`` when empty, too long, unbalanced or unparsable."""
    text = text.strip()
    if not text:
        raise QueryError("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    check_balanced(text)
    text = _DATE_CLAUSE.sub(lambda m: _ISO_DATE.sub(r"\1\2\3", m.group(0)), text)
    try:
        return parser.parse(text)
    except Exception as exc:  # Whoosh's parser and date plugin raise assorted types
        raise QueryError(f"cannot parse query: {exc}") from None


def _weighted(clauses: list[query.Query], times: int) -> list[query.Query]:
    """The clauses of a word typed ``times`` times, their boosts multiplied by it."""
    if times == 1:
        return clauses
    out = []
    for clause in clauses:
        heavier = copy.copy(clause)
        heavier.boost = clause.boost * times
        out.append(heavier)
    return out


def content_words(text: str) -> list[str]:
    """The typed words less ``QUERY_STOP_WORDS`` (all of them when nothing else is left)."""
    words = text.split()
    kept = [w for w in words if w.lower().strip(_EDGE_PUNCTUATION) not in QUERY_STOP_WORDS]
    return kept or words


_EDGE_PUNCTUATION = "\"'“”‘’.,;:!?()[]{}"


def plain_query(schema: Any, params: RankingParams, text: str, any_word: bool) -> query.Query:
    """What Whoosh's parser makes of bare words, built directly (parsing costs milliseconds).

    Each word becomes an Or of its terms in every searched field (a phrase where it analyses to
    several terms, as a CJK word does); the words are And-ed, or Or-ed for ``any_word``.
    tests/test_quality.py checks that this equals the parser's query, but for two things the
    parser does not do: function words are dropped when other words remain (``content_words``),
    and a repeated word weighs its number of times.
    """
    fields = [name for name in params.search_fields() if name in schema]
    groups: list[list[query.Query]] = []
    # A word typed again weighs again (BM25's query term frequency): verbose queries repeat what
    # they are about ("eigenvalue ... eigenvalues", "EL1 ... EL1"). Whoosh's normalize() would
    # drop the repeat, so repeats are counted here and multiply the word's boosts.
    seen: dict[str, int] = {}  # a word's terms in the first field (its stem) -> its group
    times: list[int] = []  # how often each group's word was typed
    for word in content_words(text):
        analysed: list[tuple[object, list[str]]] = []  # fields sharing an analyzer share its work
        key = word.lower()
        if fields:
            first = schema[fields[0]].analyzer
            analysed.append((first, [t.text for t in first(word, mode="query")]))
            key = " ".join(analysed[0][1]) or key
        if key in seen:
            times[seen[key]] += 1
            continue
        clauses: list[query.Query] = []
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
            seen[key] = len(groups)
            groups.append(clauses)
            times.append(1)
    groups = [_weighted(clauses, n) for clauses, n in zip(groups, times, strict=True)]
    if not groups:
        return query.NullQuery
    if any_word:
        return query.Or([c for clauses in groups for c in clauses]).normalize()
    return query.And([query.Or(clauses) for clauses in groups]).normalize()


def plain_words(text: str) -> int:
    """How many bare words a query has (0 when it uses operators, fields or phrases)."""
    if re.search(r'["():*?\[\]{}^~]|\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\b', text):
        return 0
    return len(text.split())


def check_balanced(text: str) -> None:
    """``QueryError`` for an odd quote, unbalanced parentheses or an unclosed range."""
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


def without_exact_phrases(q: query.Query) -> query.Query:
    """Phrases are matched on the stemmed fields: ``exact`` keeps no word positions."""

    def rewrite(node: query.Query) -> query.Query:
        if isinstance(node, query.Phrase) and node.fieldname == "exact":
            return query.NullQuery
        if node.is_leaf():
            return node
        return node.apply(rewrite)

    return rewrite(q).normalize()


def _terms_from(reader: Any, fieldname: str, start: str) -> Iterator[bytes]:
    for fname, btext in reader.terms_from(fieldname, start):
        if fname != fieldname:
            break
        yield btext


def bound_expansions(reader: Any, q: query.Query) -> tuple[query.Query, list[str]]:
    """``q`` with every multi-word pattern made cheap, and a notice for each one cut down.

    ``*`` alone (or ``field:*``) becomes ``Every()``: all articles, read from no posting list,
    rather than a wildcard over every word of every field (14 s on 3,000 articles). A wildcard,
    prefix, regex, fuzzy term or word range that stands for more than ``MAX_EXPANSION`` words
    (fewer when the query holds many patterns: ``MAX_QUERY_EXPANSION`` in all) becomes an Or of
    its most common ones (by document frequency), so no query reads more than a bounded number of
    posting lists; a smaller one becomes the Or of its words.
    """
    cut: dict[str, int] = {}
    patterns = sum(1 for node in q.leaves() if isinstance(node, query.MultiTerm)) or 1
    share = min(MAX_EXPANSION, max(MIN_SHARE, MAX_QUERY_EXPANSION // patterns))

    def rewrite(node: query.Query) -> query.Query:
        if isinstance(node, query.Wildcard | query.Prefix) and node.text.strip("*") == "":
            return query.Every()
        if isinstance(node, query.MultiTerm):
            return _capped(reader, node, share, cut)
        if node.is_leaf():
            return node
        rewritten = node.apply(rewrite)
        subqueries = getattr(rewritten, "subqueries", None)
        if (
            isinstance(rewritten, query.Or)
            and subqueries
            and any(isinstance(c, query.Every) for c in subqueries)
        ):
            return query.Every()  # everything, or'ed with anything, is everything
        return rewritten

    # normalize(): a pattern dropped when time ran out leaves a NullQuery, which would keep the
    # Or around it off the bulk-scoring path (40 s through Whoosh's matchers for eight prefixes).
    bounded = rewrite(q).normalize()
    notices = [
        f"'{pattern}' stands for {n:,}{'+' if n >= MAX_SCANNED else ''} words; "
        f"searched the {share} most common of them."
        for pattern, n in cut.items()
    ]
    return bounded, notices


def _capped(reader: Any, node: query.MultiTerm, share: int, cut: dict[str, int]) -> query.Query:
    fieldname = node.field()
    if not fieldname or fieldname not in reader.schema:
        return node
    if budget.expired("expanding wildcards"):
        return query.NullQuery
    frequency: dict[bytes, int | None] = {}
    for scanned, (btext, df) in enumerate(_expansions(reader, node, fieldname)):
        if scanned >= MAX_SCANNED:
            break
        if scanned % 4096 == 4095 and budget.expired("expanding wildcards"):
            break  # search the words found so far
        frequency[btext] = df
    words = list(frequency)
    if len(words) > share:
        total = len(words)

        def commonness(btext: bytes) -> int:
            df = frequency[btext]
            return reader.doc_frequency(fieldname, btext) if df is None else df

        words = heapq.nlargest(share, words, key=commonness)
        pattern = _pattern_text(node)
        cut[pattern] = max(cut.get(pattern, 0), total)
    if not words:
        return query.NullQuery
    field = reader.schema[fieldname]
    # Always spelt out as terms, capped or not: an Or of terms is what bulk scoring reads from
    # whole posting lists (rank.term_groups), where Whoosh would walk a matcher per word.
    return query.Or(
        [query.Term(fieldname, field.from_bytes(b), boost=node.boost) for b in sorted(words)]
    )


def _expansions(
    reader: Any, node: query.MultiTerm, fieldname: str
) -> Iterator[tuple[bytes, int | None]]:
    """Each word ``node`` stands for, with its document frequency when reading it is free.

    A prefix reads its words with their term infos in one pass (``iter_prefix``), half the time of
    expanding it and then looking each word's frequency up (0.63 s against 1.20 s for 26
    one-letter prefixes over four fields of 3,000 articles); other patterns yield ``None``, looked
    up only when the pattern must be cut down.
    """
    if isinstance(node, query.Prefix):
        for btext, info in reader.iter_prefix(fieldname, node.text):
            yield btext, info.doc_frequency()
        return
    for _, btext in node.expanded_terms(reader):
        yield btext, None


def _pattern_text(node: query.MultiTerm) -> str:
    """The pattern as the user typed it, for the notice."""
    if isinstance(node, query.Prefix):
        return f"{node.text}*"
    if isinstance(node, query.TermRange):
        return f"[{node.start or ''} TO {node.end or ''}]"
    return str(getattr(node, "text", node))
