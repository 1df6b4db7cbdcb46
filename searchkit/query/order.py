"""Order: the stories a query matched -> the best of them, each collapsed to its best copy.

In: an ``OpenIndex``, the query's ``Matches``, the stories that passed the filters and how many
are wanted. Out: ``(story, docnum, score)`` triples, best first — ``by_relevance``: bulk BM25F
scores (``rank.BulkScorer``; Whoosh's own scoring for queries it cannot read, such as phrases),
then the proximity bonus for the top ``rerank_depth`` candidates (the bulk scores are arrays,
their best found by ``rank.best`` without sorting the rest), each story shown by its
best-ranked copy, and the stricter matches (every word) before the rest; ``by_date``: newest or
oldest first, undated last, with the score of each story's best copy. ``explain`` is one
document's score split by field and term.
"""

from __future__ import annotations

import heapq
import itertools

from whoosh import collectors, query

from searchkit.analysis import is_cjk
from searchkit.models import ScorePart
from searchkit.query import budget, feedback
from searchkit.query import rank as ranking
from searchkit.query.match import Matches
from searchkit.query.snapshot import OpenIndex
from searchkit.query.stories import NO_STORY

Ranked = list[tuple[int, int, float]]  # (story, best copy's docnum, score), best first


def by_relevance(index: OpenIndex, found: Matches, passing: set[int], want: int) -> Ranked:
    """(story, best docnum, score) for the best ``want`` stories, best first.

    When the matches say which stories hold every word (``first``), those rank first.
    """
    if found.first is not None:
        strict = found.first
        head = by_relevance(index, strict, passing & strict.stories, want)
        if len(head) >= want:
            return head
        rest = _rank_query(index, found, passing - strict.stories, want - len(head))
        return head + rest
    return _rank_query(index, found, passing, want)


def _rank_query(index: OpenIndex, found: Matches, passing: set[int], want: int) -> Ranked:
    if not passing or want <= 0:
        return []
    story_of = index.table.story_of
    docs = found.docs
    if len(passing) < len(found.stories):
        docs = {d for d in docs if story_of[d] in passing}
    groups = ranking.term_groups(found.q)
    bulk = None
    if groups is not None and found.lists is not None:
        docnums = (
            found.doc_array
            if docs is found.docs and found.doc_array is not None
            else ranking.candidate_array(docs)
        )
        scores = index.bulk.score_arrays(groups, found.lists, docnums)
        bulk = docnums, feedback.expand(index.bulk, groups, found.lists, docnums, scores)
    depth = index.params.rerank_depth
    fetch = max(depth, want * 2 + 10)
    while True:
        if bulk is not None:
            # Ties broken by document number, as in the sort below, so a deeper page's
            # candidates extend a shallower page's instead of swapping tied documents in.
            scored = ranking.best(*bulk, fetch)
            exhausted = len(scored) < fetch
        else:
            allowed = None if docs is found.docs else docs
            results = whoosh_search(index, found.q, fetch, allowed)
            scored = [(hit.docnum, float(hit.score)) for hit in results]
            exhausted = results.scored_length() < fetch
        head = _proximity(index, found, scored[:depth])
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


def _proximity(
    index: OpenIndex, found: Matches, scored: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Add the proximity bonus to the top candidates and re-sort them."""
    pairs = adjacent_pairs(found.q)
    if not pairs or index.params.proximity <= 0 or budget.expired("re-ranking by word distance"):
        return scored
    lists = found.lists or index.postings
    bonus = ranking.proximity_bonus(index.bulk, pairs, [d for d, _ in scored], lists)
    if not bonus:
        return scored
    rescored = [(d, s + sum(p.score for p in bonus.get(d, ()))) for d, s in scored]
    rescored.sort(key=lambda item: (-item[1], item[0]))
    return rescored


def by_date(
    index: OpenIndex, found: Matches, passing: set[int], want: int, *, newest: bool
) -> Ranked:
    """Stories by date (undated last), ties by id order; scores for the ones shown.

    When the matches say which stories hold every word (``first``), those come first, by date.
    """
    if found.first is not None:
        strict = found.first
        head = _by_date(index, strict, passing & strict.stories, want, newest)
        if len(head) >= want:
            return head
        return head + _by_date(index, found, passing - strict.stories, want - len(head), newest)
    return _by_date(index, found, passing, want, newest)


def _by_date(
    index: OpenIndex, found: Matches, passing: set[int], want: int, newest: bool
) -> Ranked:
    table = index.table
    day, year = table.day, table.year

    def key(story: int) -> tuple[int, int, int, int]:
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
        by_doc = index.bulk.score(groups, found.lists, copies)
        scored = sorted(by_doc.items(), key=lambda item: (-item[1], item[0]))
    else:
        scored = list(whoosh_scores(index, found.q, copies).items())  # Whoosh's order: best first
    scores: dict[int, tuple[int, float]] = {}
    for docnum, score in scored:  # best copy of each story first
        scores.setdefault(table.story_of[docnum], (docnum, score))
    return [(s, *scores.get(s, (table.canonical[s], 0.0))) for s in top]


def whoosh_scores(
    index: OpenIndex, q: query.Query, allowed: set[int] | None = None
) -> dict[int, float]:
    """Whoosh's own score (through its matchers) of every document matching ``q``, best first."""
    results = whoosh_search(index, q, None, allowed)
    return {hit.docnum: float(hit.score) for hit in results}


def whoosh_search(index: OpenIndex, q: query.Query, limit: int | None, allowed: set[int] | None):
    """Whoosh's top ``limit`` for ``q`` (a ``whoosh.searching.Results``), within the time budget.

    Whoosh scores the queries bulk scoring cannot read (phrases, ranges) one match at a time, and
    an Or of many such parts can take minutes; the collector stops taking matches once the
    search's time is up, and the results hold what was scored by then. (Whoosh's own
    ``TimeLimitCollector`` raises instead, and signals the main thread, which a server's worker
    thread is not.)
    """
    searcher = index.whoosh
    collector = _WithinBudget(searcher.collector(limit=limit, filter=allowed))
    searcher.search_with_collector(q, collector)
    return collector.results()


class _WithinBudget(collectors.WrappingCollector):
    """Collects matches until the search's time budget runs out."""

    def collect_matches(self) -> None:
        child = self.child
        for sub_docnum in child.matches():
            child.collect(sub_docnum)  # at least one, so a page is never empty for lack of time
            if budget.expired("scoring"):
                break


def explain(index: OpenIndex, q: query.Query, docnum: int) -> list[ScorePart]:
    """What each (field, term) of ``q`` and each proximity pair adds to the score of ``docnum``."""
    parts = ranking.explain(index.whoosh, q, docnum)
    pairs = adjacent_pairs(q)
    if pairs and index.params.proximity > 0:
        lists = index.postings
        bonus = ranking.proximity_bonus(index.bulk, pairs, [docnum], lists)
        parts += bonus.get(docnum, [])
    return parts


def adjacent_pairs(q: query.Query) -> list[tuple[str, str]]:
    """Stemmed body terms of successive query words, for the proximity bonus."""
    words: list[str] = []
    for leaf in ranking.scoring_leaves(q):
        if isinstance(leaf, query.Term) and leaf.fieldname == "body":
            text = leaf.text.decode("utf-8") if isinstance(leaf.text, bytes) else str(leaf.text)
            if not is_cjk(text) and (not words or words[-1] != text):
                words.append(text)
    return list(itertools.pairwise(words))
