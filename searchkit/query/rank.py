"""Ranking: how a matching article is scored, and why (``search --explain``).

In: a parsed query, the open Whoosh searcher, candidate document numbers. Out: scores, and per hit
a list of ``ScorePart`` (field, term, points) that add up to its score.

The score is BM25F over title, summary, body, authors and ``exact`` (the unstemmed words, so
"models" outranks "model" for a query for "models"), with Lucene's idf, plus a proximity bonus for
query words that stand close together in the title or body (BM25TP, Rasolofo & Savoy 2003),
computed from the index's word positions for the top ``rerank_depth`` candidates only, so it costs
the same at any corpus size. Every weight below was chosen by measurement on the tuning halves of
Cranfield and CACM together and checked on their other halves (``python -m bench.tune_ranking``,
docs/benchmarks.md), and on the seeds' judged queries.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from whoosh import query, scoring

from searchkit.index.schema import FIELD_BOOSTS
from searchkit.models import ScorePart
from searchkit.query import budget


@dataclass(frozen=True, slots=True)
class RankingParams:
    """Ranking weights; the defaults are the values measured best (docs/benchmarks.md)."""

    k1: float = 0.9
    b: float = 0.75
    field_b: dict[str, float] = field(default_factory=dict)  # per-field b, e.g. {"title": 0.3}
    boosts: dict[str, float] = field(default_factory=lambda: dict(FIELD_BOOSTS))
    idf: str = (
        "lucene"  # "lucene": log(1 + (N - df + .5) / (df + .5)); "classic": log(N / (df + 1)) + 1
    )
    proximity: float = 0.5  # weight of the proximity bonus (0 switches it off)
    proximity_window: int = 3  # words apart at most for a pair to count
    rerank_depth: int = 100
    # pseudo-relevance feedback (query.feedback): words added from the first pass's best articles
    feedback_terms: int = 0  # 0 switches it off
    feedback_docs: int = 10
    feedback_weight: float = 0.5

    def weighting(self) -> scoring.WeightingModel:
        return LuceneBM25F(self.k1, self.b, self.field_b, classic_idf=self.idf == "classic")

    def search_fields(self) -> list[str]:
        return [name for name, boost in self.boosts.items() if boost > 0]


class LuceneBM25F(scoring.WeightingModel):
    """BM25 per field with Lucene's idf, log(1 + (N - df + .5) / (df + .5)), summed over fields.

    Whoosh's own BM25F uses the classic idf, log(N / (df + 1)) + 1, which never goes below 1 and
    so over-rewards very common words; Lucene's is measured better on Cranfield (docs/benchmarks.md).
    """

    def __init__(
        self,
        k1: float,
        b: float,
        field_b: dict[str, float] | None = None,
        *,
        classic_idf: bool = False,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.field_b = dict(field_b or {})
        self.classic_idf = classic_idf

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        b = self.field_b.get(fieldname, self.b)
        return _Scorer(searcher, fieldname, text, b, self.k1, self.classic_idf)


def article_count(searcher) -> int:
    """How many articles the index holds: the N of idf and of average field lengths.

    Not Whoosh's ``doc_count_all()``: the index also holds a record per source file and two
    manifests, documents with no text. Counting them doubled N on a collection of one article per
    file and halved every average field length, so long articles were penalised as if b were far
    above 0.75; nDCG@10 0.4445 -> 0.4706 on CACM with the count fixed (docs/benchmarks.md).
    """
    parent = searcher.get_parent()
    if "kind" not in parent.schema:
        return parent.doc_count_all()
    return parent.doc_frequency("kind", "article") or parent.doc_count_all()


def avg_article_length(searcher, fieldname: str) -> float:
    """A field's average length over the articles (see ``article_count``)."""
    parent = searcher.get_parent()
    return parent.field_length(fieldname) / max(1, article_count(parent)) or 1.0


def lucene_idf(searcher, fieldname: str, text) -> float:
    parent = searcher.get_parent()
    n = article_count(parent)
    df = parent.doc_frequency(fieldname, text)
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class _Scorer(scoring.WeightLengthScorer):
    def __init__(self, searcher, fieldname, text, b: float, k1: float, classic: bool) -> None:
        parent = searcher.get_parent()
        if classic:
            self.idf = parent.idf(fieldname, text)
        else:
            self.idf = lucene_idf(searcher, fieldname, text)
        self.avgfl = avg_article_length(parent, fieldname)
        self.B = b
        self.K1 = k1
        self.setup(searcher, fieldname, text)

    def _score(self, weight, length):
        return scoring.bm25(self.idf, weight, length, self.avgfl, self.B, self.K1)


# --- scoring bare-word queries in bulk --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermClause:
    fieldname: str
    text: str
    boost: float


def term_groups(q: query.Query) -> list[list[TermClause]] | None:
    """A bare-word query as groups of term clauses (one group per word), or None for any other.

    ``And(Or(terms of word 1), Or(terms of word 2), …)`` gives one group per word; an ``Or`` of
    terms (any-word matching) gives one group. Phrases, ranges, wildcards … give None.
    """

    def terms(node: query.Query) -> list[TermClause] | None:
        if isinstance(node, query.Term) and isinstance(node.text, str):
            return [TermClause(node.fieldname, node.text, node.boost)]
        if isinstance(node, query.Or) and node.boost == 1.0:
            out: list[TermClause] = []
            for child in node.subqueries:
                found = terms(child)
                if found is None:
                    return None
                out.extend(found)
            return out
        return None

    if isinstance(q, query.And) and q.boost == 1.0:
        groups = [terms(child) for child in q.subqueries]
        return None if any(g is None for g in groups) else groups  # type: ignore[return-value]
    single = terms(q)
    return [single] if single is not None else None


class BulkScorer:
    """Scores every candidate of a bare-word query at once from whole posting lists, as arrays.

    The same formula as ``LuceneBM25F`` through Whoosh's matchers (tests check the scores are
    equal), computed per clause on NumPy arrays: the clause's postings among the candidates are
    picked by a boolean mask, their BM25 computed in one expression and added into a score per
    document. The expression and the order clauses are added in are those of the pure-Python
    loop this replaced, so every score is bit for bit what it was (and ties stay ties).
    """

    def __init__(self, searcher, params: RankingParams) -> None:
        self.searcher = searcher
        self.params = params
        self._lengths: dict[str, np.ndarray] = {}
        self._idf: dict[tuple[str, str], float] = {}
        self._lucene_idf: dict[tuple[str, str], float] = {}
        self._avg_length: dict[str, float] = {}
        self._doc_count: int | None = None

    def lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length in the field (int32), read once for the index's life."""
        found = self._lengths.get(fieldname)
        if found is None:
            from searchkit.query import postings

            found = self._lengths[fieldname] = postings.length_array(
                self.searcher.reader(), fieldname
            )
        return found

    def doc_count(self) -> int:
        """Documents in the index, deleted ones included: the size of a per-document array."""
        if self._doc_count is None:
            self._doc_count = self.searcher.reader().doc_count_all()
        return self._doc_count

    # The term dictionary is a hash table on disk: each look-up costs microseconds, and a query
    # asks for the same few terms' statistics while matching, scoring, the proximity bonus and
    # highlighting. They are fixed for an index generation (a BulkScorer lives as long as one).

    def idf(self, fieldname: str, text: str) -> float:
        """The term's idf as ranking uses it (``params.idf``)."""
        if self.params.idf != "classic":
            return self.lucene_idf(fieldname, text)
        key = (fieldname, text)
        found = self._idf.get(key)
        if found is None:
            found = self._idf[key] = self.searcher.idf(fieldname, text)
        return found

    def lucene_idf(self, fieldname: str, text: str) -> float:
        key = (fieldname, text)
        found = self._lucene_idf.get(key)
        if found is None:
            found = self._lucene_idf[key] = lucene_idf(self.searcher, fieldname, text)
        return found

    def avg_length(self, fieldname: str) -> float:
        found = self._avg_length.get(fieldname)
        if found is None:
            found = self._avg_length[fieldname] = avg_article_length(self.searcher, fieldname)
        return found

    def score(
        self,
        groups: list[list[TermClause]],
        lists,  # postings.PostingLists: (field, term) -> (docnums, term frequencies)
        candidates: set[int],
    ) -> dict[int, float]:
        """``score_arrays`` as a dict: each candidate's score (for callers holding sets)."""
        docnums = candidate_array(candidates)
        scores = self.score_arrays(groups, lists, docnums)
        return dict(zip(docnums.tolist(), scores.tolist(), strict=True))

    def score_arrays(
        self,
        groups: list[list[TermClause]],
        lists,  # postings.PostingLists: (field, term) -> (docnums, term frequencies)
        docnums: np.ndarray,
    ) -> np.ndarray:
        """Score of each candidate (``docnums``: distinct, ascending), aligned with them: the sum
        over clauses of boost × BM25 of the term in its field."""
        searcher = self.searcher
        params = self.params
        k1 = params.k1
        size = max(self.doc_count(), int(docnums[-1]) + 1 if len(docnums) else 0)
        totals = np.zeros(size, dtype=np.float64)
        wanted = np.zeros(size, dtype=bool)
        wanted[docnums] = True
        for n, clause in enumerate(c for group in groups for c in group):
            if n and budget.expired("scoring"):
                break  # rank by the terms scored so far
            ids, tfs = lists.get(clause.fieldname, clause.text)
            if not len(ids) or not searcher.schema[clause.fieldname].scorable:
                continue
            b = params.field_b.get(clause.fieldname, params.b)
            idf = self.idf(clause.fieldname, clause.text)
            avgfl = self.avg_length(clause.fieldname)
            weight = clause.boost * idf * (k1 + 1)
            base = k1 * (1 - b)
            per_length = k1 * b / avgfl
            length = self.lengths(clause.fieldname)
            held = ids[wanted[ids]]  # posting lists hold each document once: no repeats to add
            tf = tfs[wanted[ids]].astype(np.float64)
            # The loop's expression, operation for operation, in float64 as Python's floats are.
            totals[held] += weight * tf / (tf + base + per_length * length[held])
        return totals[docnums]


def candidate_array(candidates: Iterable[int]) -> np.ndarray:
    """Document numbers as a sorted int64 array of distinct values, as ``score_arrays`` takes."""
    items = candidates if isinstance(candidates, set | frozenset) else set(candidates)
    out = np.fromiter(items, dtype=np.int64, count=len(items))
    out.sort()
    return out


def best(docnums: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (docnum, score), best first, ties by ascending document number.

    Exactly ``sorted(..., key=(-score, docnum))[:k]`` — what ordering used before — but only
    the best ``k`` are sorted: ``np.partition`` finds the k-th best score, every candidate above
    it is taken, and of those equal to it the lowest document numbers (``docnums`` ascending).
    """
    count = len(scores)
    if k <= 0 or not count:
        return []
    if count > k:
        kth = np.partition(scores, count - k)[count - k]
        above = np.flatnonzero(scores > kth)
        ties = np.flatnonzero(scores == kth)[: k - len(above)]
        chosen = np.concatenate([above, ties])
    else:
        chosen = np.arange(count)
    picked_docs, picked_scores = docnums[chosen], scores[chosen]
    order = np.lexsort((picked_docs, -picked_scores))
    return list(
        zip(picked_docs[order].tolist(), picked_scores[order].tolist(), strict=True)
    )


# --- proximity --------------------------------------------------------------------------------------

PROXIMITY_FIELDS = ("title", "body")


def proximity_bonus(
    stats: BulkScorer,
    pairs: Sequence[tuple[str, str]],
    docnums: Iterable[int],
    lists,  # match.PostingLists: where the terms' word positions come from
) -> dict[int, list[ScorePart]]:
    """BM25TP: for each pair of adjacent query words, sum 1/d² over their occurrences d words apart
    (d <= window) in title or body, saturate it like a term frequency, weight it by the pair's
    rarer word's idf. Returns the bonus parts of each document that gets any."""
    params = stats.params
    schema = stats.searcher.schema
    docs = sorted(set(docnums))
    out: dict[int, list[ScorePart]] = {}
    if not pairs or not docs or params.proximity <= 0:
        return out
    for fieldname in PROXIMITY_FIELDS:
        if fieldname not in schema or not schema[fieldname].format.supports("positions"):
            continue
        avgfl = stats.avg_length(fieldname)
        lengths = stats.lengths(fieldname)
        boost = params.boosts.get(fieldname, 1.0)
        b = params.field_b.get(fieldname, params.b)
        positions: dict[str, dict[int, list[int]]] = {}
        for term in {t for pair in pairs for t in pair}:
            positions[term] = lists.positions(fieldname, term, docs)
        for first, second in pairs:
            left, right = positions[first], positions[second]
            common = left.keys() & right.keys()
            if not common:
                continue
            idf = min(stats.lucene_idf(fieldname, first), stats.lucene_idf(fieldname, second))
            for docnum in common:
                acc = _pair_weight(left[docnum], right[docnum], params.proximity_window)
                if acc <= 0:
                    continue
                norm = params.k1 * ((1 - b) + b * int(lengths[docnum]) / avgfl)
                points = params.proximity * boost * idf * acc * (params.k1 + 1) / (acc + norm)
                out.setdefault(docnum, []).append(
                    ScorePart(f"{fieldname} proximity", f"{first} {second}", points)
                )
    return out


def _pair_weight(left: list[int], right: list[int], window: int) -> float:
    """Sum of 1/d² over position pairs at most ``window`` apart (either order)."""
    total = 0.0
    j0 = 0
    for p in left:
        while j0 < len(right) and right[j0] < p - window:
            j0 += 1
        j = j0
        while j < len(right) and right[j] <= p + window:
            d = abs(right[j] - p)
            if d:
                total += 1.0 / (d * d)
            j += 1
    return total


# --- more like this ---------------------------------------------------------------------------------


def like_query(
    searcher, title: str, text: str, terms: int = 25, title_weight: int = 3
) -> query.Query | None:
    """A query for the words that tell this article apart: its ``terms`` highest tf-idf stems.

    Words in the title count ``title_weight`` times. Words no other article holds cannot find
    anything similar and words in over half the articles say nothing, so both are left out.
    """
    analyzer = searcher.schema["body"].analyzer
    counts: dict[str, int] = {}
    for source, weight in ((title, title_weight), (text, 1)):
        for token in analyzer(source):
            counts[token.text] = counts.get(token.text, 0) + weight
    total = article_count(searcher)
    scored = []
    for term, tf in counts.items():
        df = searcher.doc_frequency("body", term)
        if df < 2 or df > total / 2:
            continue
        scored.append(((1 + math.log(tf)) * lucene_idf(searcher, "body", term), term))
    scored.sort(reverse=True)
    chosen = scored[:terms]
    if not chosen:
        return None
    top = chosen[0][0]
    # Boosts on the terms themselves (not on an Or of them) keep this a bare-word query, which
    # the bulk scorer handles.
    return query.Or(
        [
            query.Term(fieldname, term, boost=weight / top)
            for weight, term in chosen
            for fieldname in ("body", "title")
        ]
    )


# --- explain ----------------------------------------------------------------------------------------


def explain(searcher, q: query.Query, docnum: int) -> list[ScorePart]:
    """What each (field, term) leaf of ``q`` adds to the score of ``docnum``."""
    parts: list[ScorePart] = []
    for leaf in scoring_leaves(q):
        try:
            matcher = leaf.matcher(searcher)
        except Exception:  # a leaf Whoosh cannot match on its own (rare): leave it out
            continue
        if not matcher.is_active():
            continue
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum and matcher.supports("weight"):
            points = matcher.score()
            if points:
                parts.append(ScorePart(_field_of(leaf), _term_of(leaf), points))
    return parts


def scoring_leaves(q: query.Query) -> Iterable[query.Query]:
    """The leaves that add to a score: not those under a NOT, which only exclude."""
    if isinstance(q, query.Not):
        return
    if isinstance(q, query.AndNot):
        yield from scoring_leaves(q.a)
        return
    if q.is_leaf() or isinstance(q, query.Phrase):
        yield q
        return
    for child in q.children():
        yield from scoring_leaves(child)


def _field_of(leaf: query.Query) -> str:
    return getattr(leaf, "fieldname", None) or "?"


def _term_of(leaf: query.Query) -> str:
    if isinstance(leaf, query.Phrase):
        return '"' + " ".join(str(w) for w in leaf.words) + '"'
    text = getattr(leaf, "text", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text) if text is not None else str(leaf)
