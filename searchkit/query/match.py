"""Match: a parsed query -> the documents and distinct stories it matches, without scoring.

In: an ``OpenIndex`` and a Whoosh query. Out: ``Matches`` — the query, its document numbers, the
stories among them, and the posting lists read to find them (``postings.PostingLists``, kept
for the open index's life, which ranking then scores from instead of reading them again). Terms
read their posting lists whole, as arrays, and And / Or / Not become array operations
(``docarray``); anything else goes through Whoosh.

``find`` is what a search does before ranking: it matches the query, tries a spelling correction
when the query finds little (keeping it only when it finds more), and when fewer stories than a
page holds have every word it matches any word instead, with the stricter matches kept
(``Matches.first``) to rank before the rest. ``Found`` carries the notices that say so.

Why a page and not a fixed threshold: "fewer than 2 hold every word" left a query with 2–5 full
matches showing 2–5 results and nothing else, though articles with most of its words existed.
The page size, not the page number, is the bound, so the decision — and with it the total and
every rank — is the same on every page of one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query

from searchkit.query import budget, spelling
from searchkit.query.parse import plain_words
from searchkit.query.postings import PostingLists
from searchkit.query.snapshot import OpenIndex

# A query finding fewer distinct stories than this is checked for spelling mistakes.
FEW_RESULTS = 3
# Check the spelling of every plain query, not only those that find little
# (bench/typos.py measures both; docs/benchmarks.md).
CORRECT_ALWAYS = False
# When neither the typed query nor its correction has an article with every word, the correction
# is kept if it finds more with any word — for queries this short only. A long query rarely has a
# full match, so a word it misses is no sign of a typo: CACM's query 22 lost 0.50 nDCG@10 to
# cones->codes, and 13 Cranfield and 3 CACM queries were rewritten that way (bench/rewrites.py).
SHORT_QUERY_WORDS = 3


@dataclass(slots=True)
class Matches:
    """What a query matched: its documents, and the distinct stories among them."""

    q: query.Query
    docs: set[int]
    stories: set[int]
    text: str = ""
    first: Matches | None = None  # the stricter matches (every word) that rank before the rest
    lists: PostingLists | None = None  # the posting lists read to find them, for scoring
    doc_array: np.ndarray | None = None  # ``docs`` as an ascending array, for the bulk scorer


@dataclass(slots=True)
class Found:
    """The matches a search ranks, with what the user is told about how they were found."""

    matches: Matches
    notices: list[str] = field(default_factory=list)
    corrected: str | None = None  # the spelling correction searched instead of the text typed
    suggested: str | None = None  # a correction only offered ("did you mean"), not searched
    all_words: int | None = None  # stories with every word, when partial matches fill the page


def matches(index: OpenIndex, q: query.Query, text: str = "") -> Matches:
    """The documents and stories ``q`` matches (``text``: the query text it came from)."""
    if q is query.NullQuery:
        return Matches(q, set(), set(), text)
    lists = index.postings
    found = docarray(index.whoosh, q, lists)
    docs = set(found.tolist())
    return Matches(q, docs, index.table.stories_of(found), text, lists=lists, doc_array=found)


def find(
    index: OpenIndex,
    q: query.Query,
    text: str,
    *,
    any_word: bool,
    correct: bool = True,
    correct_always: bool = CORRECT_ALWAYS,
    fill: int = 1,
    keep: Callable[[set[int]], set[int]] | None = None,
) -> Found:
    """Match ``q`` (parsed from ``text``), with spelling correction and the partial-match fill.

    ``correct`` False searches the words as typed (the "search instead for" link). When fewer than
    ``fill`` stories (a page of results) hold every word, the stories holding some of them follow
    those that hold all (``Matches.first``); ``keep`` is the filters, applied to that count.
    """
    parse = index.parser.parse
    notices: list[str] = []
    corrected = suggested = None
    found = matches(index, q, text)
    plain = plain_words(text)
    if correct and plain and (correct_always or len(found.stories) < FEW_RESULTS):
        proposal = spelling.correct(index.reader(), text)
        if proposal is not None:
            if proposal.replaces and _better(index, proposal.text, found, any_word):
                found = matches(index, parse(proposal.text, any_word=any_word), proposal.text)
                corrected = proposal.text
            if proposal.suggests and _better(index, proposal.suggestion, found, any_word):
                suggested = proposal.suggestion
    if found.q is query.NullQuery:
        notices.append("The query has no searchable words (only common words like 'the').")
        return Found(found, notices, corrected, suggested)
    all_words = None
    if plain > 1 and not any_word:
        strict = len(keep(found.stories) if keep else found.stories)
        if strict < fill:
            loose = matches(index, parse(corrected or text, any_word=True))
            some = len(keep(loose.stories) if keep else loose.stories) - strict
            if some > 0:
                notices.append(fill_notice(strict, some))
                loose.first = found
                found = loose
                all_words = strict
    return Found(found, notices, corrected, suggested, all_words)


def fill_notice(all_words: int, some: int) -> str:
    """What the user is told when stories with some of the words fill the page."""
    if all_words == 0:
        noun = "article contains" if some == 1 else "articles contain"
        return f"No article contains all the words; {some} {noun} some of them."
    noun = "article contains" if all_words == 1 else "articles contain"
    more = "more contains" if some == 1 else "more contain"
    return f"{all_words} {noun} all the words; {some} {more} some of them."


def _better(index: OpenIndex, suggestion: str, found: Matches, any_word: bool) -> bool:
    """Whether a spelling correction finds more than the query as typed (any word, if neither
    finds an article with all its words and the query is short)."""
    parse = index.parser.parse
    better = matches(index, parse(suggestion, any_word=any_word))
    if len(better.stories) != len(found.stories):
        return len(better.stories) > len(found.stories)
    if found.stories or any_word or plain_words(found.text) > SHORT_QUERY_WORDS:
        return False
    typed = matches(index, parse(found.text, any_word=True))
    fixed = matches(index, parse(suggestion, any_word=True))
    return len(fixed.stories) > len(typed.stories)


def docset(searcher: Any, q: query.Query, lists: PostingLists) -> set[int]:
    """Document numbers matching ``q``, without scoring (``docarray`` as a set)."""
    return set(docarray(searcher, q, lists).tolist())


def docarray(searcher: Any, q: query.Query, lists: PostingLists) -> np.ndarray:
    """Document numbers matching ``q``, ascending and distinct, without scoring.

    Terms read their posting lists whole (``postings``), already sorted arrays, and And / Or /
    Not become array operations: ``np.intersect1d`` and ``np.setdiff1d`` on sorted distinct
    arrays, and an Or as one boolean mark per document set by every child's array (no sort of the
    children's concatenation, no Python set of each list). Anything else (phrases, ranges,
    wildcards) goes through Whoosh.
    """
    if isinstance(q, query.Term):
        return lists.get(q.fieldname, q.text)[0]
    if isinstance(q, query.Or):
        parts: list[np.ndarray] = []
        for child in q.subqueries:
            if isinstance(child, query.Term) and child.fieldname == "exact":
                continue  # an exact-word match is always a stemmed match too
            if parts and budget.expired("matching"):
                break  # rank the matches found so far
            found = docarray(searcher, child, lists)
            if len(found):
                parts.append(found)
        if len(parts) < 2:
            return parts[0] if parts else _NOTHING
        marked = np.zeros(max(int(p[-1]) for p in parts) + 1, dtype=bool)
        for part in parts:
            marked[part] = True
        return np.flatnonzero(marked)
    if isinstance(q, query.And):
        positive = [c for c in q.subqueries if not isinstance(c, query.Not)]
        negative = [c.query for c in q.subqueries if isinstance(c, query.Not)]
        if not positive:
            return _whoosh_docs(searcher, q)
        arrays = sorted((docarray(searcher, c, lists) for c in positive), key=len)
        out = arrays[0]
        for other in arrays[1:]:
            if not len(out):
                break
            out = np.intersect1d(out, other, assume_unique=True)
        for child in negative:
            if not len(out):
                break
            out = np.setdiff1d(out, docarray(searcher, child, lists), assume_unique=True)
        return out
    if isinstance(q, query.AndNot):
        kept = docarray(searcher, q.a, lists)
        return np.setdiff1d(kept, docarray(searcher, q.b, lists), assume_unique=True)
    if isinstance(q, query.AndMaybe):
        return docarray(searcher, q.a, lists)
    if q is query.NullQuery or isinstance(q, query.NullQuery.__class__):
        return _NOTHING
    return _whoosh_docs(searcher, q)


_NOTHING = np.zeros(0, dtype=np.int64)


def _whoosh_docs(searcher: Any, q: query.Query) -> np.ndarray:
    found = sorted(set(searcher.docs_for_query(q)))
    return np.asarray(found, dtype=np.int64)
