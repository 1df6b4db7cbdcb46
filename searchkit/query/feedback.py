"""Pseudo-relevance feedback (RM3-style): the first pass's best articles -> more words to score by.

In: the bulk scorer, the bare-word query's term groups, the first pass's scores of the matched
documents (arrays: document numbers and their scores). Out: those documents' scores with the expansion words' BM25 added, or the scores
unchanged when feedback is off (``RankingParams.feedback_terms`` 0, the default) or has nothing
to add.

The relevance model (Lavrenko & Croft 2001; RM3 as Anserini runs it): the words of the top
``feedback_docs`` articles, each weighted by its share of an article's words times that article's
share of the first pass's scores; the ``feedback_terms`` heaviest that the query does not hold
become extra clauses in title and body, weighted relative to the heaviest, times
``feedback_weight``. Only documents the query already matched are re-scored: matching, the total
and the facets stay what the words typed give, so feedback can reorder a page but never fills it
with articles holding none of the words.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from searchkit.query.rank import BulkScorer, TermClause, article_count, best

if TYPE_CHECKING:
    from searchkit.query.postings import PostingLists

EXPANSION_FIELDS = ("title", "body")
# Words in more than this share of the articles carry no topic (in abstracts: "paper", "present").
MAX_DOC_SHARE = 0.1


def expand(
    stats: BulkScorer,
    groups: list[list[TermClause]],
    lists: PostingLists,
    docnums: np.ndarray,
    scores: np.ndarray,
) -> np.ndarray:
    """``scores`` (of ``docnums``, ascending) after a second pass with the expansion words (see
    the module's docstring), aligned with ``docnums`` as they were."""
    params = stats.params
    if params.feedback_terms <= 0 or len(scores) < 2:
        return scores
    top = best(docnums, scores, params.feedback_docs)
    total = sum(score for _, score in top if score > 0)
    if total <= 0:
        return scores
    held = {clause.text for group in groups for clause in group}
    weights = _relevance_model(stats, top, total, held)
    if not weights:
        return scores
    heaviest = max(weights.values())
    clauses = [
        TermClause(
            fieldname,
            term,
            params.feedback_weight * weight / heaviest * params.boosts.get(fieldname, 1.0),
        )
        for term, weight in weights.items()
        for fieldname in EXPANSION_FIELDS
        if fieldname in stats.searcher.schema
    ]
    return scores + stats.score_arrays([clauses], lists, docnums)


def _relevance_model(
    stats: BulkScorer, top: list[tuple[int, float]], total: float, held: set[str]
) -> dict[str, float]:
    """The ``feedback_terms`` heaviest words of the top documents, with their weights."""
    searcher = stats.searcher
    analyzer = searcher.schema["body"].analyzer
    limit = MAX_DOC_SHARE * article_count(searcher)
    model: dict[str, float] = {}
    for docnum, score in top:
        if score <= 0:
            continue
        stored = searcher.stored_fields(docnum)
        # a derived title is the body's first words: counted once, in the body
        derived = (stored.get("meta") or {}).get("title_derived", False)
        words = Counter(
            token.text
            for name in EXPANSION_FIELDS
            if not (name == "title" and derived)
            for token in analyzer(stored.get(name) or "")
        )
        length = sum(words.values())
        if not length:
            continue
        for term, tf in words.items():
            model[term] = model.get(term, 0.0) + (tf / length) * (score / total)
    chosen: dict[str, float] = {}
    for term, weight in sorted(model.items(), key=lambda item: (-item[1], item[0])):
        if len(chosen) >= stats.params.feedback_terms:
            break
        if term in held or searcher.doc_frequency("body", term) > limit:
            continue
        chosen[term] = weight
    return chosen
