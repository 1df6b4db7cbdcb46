"""The NumPy query engine ranks exactly as the pure-Python scorer it replaced.

The reference below is that scorer (``BulkScorer.score`` before issue 12's NumPy step: a Python
loop per posting, a dict of scores) and the top-k it fed (``heapq.nlargest`` then a sort, ties
by document number), kept here only. Each test runs the same searches with the engine and with the
reference patched in, and compares the top 10: ids and order, on Cranfield and CACM (every query,
which covers both tuning halves of bench/tune_ranking.py) and the seeds' judged queries.
"""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np
import pytest

from searchkit import evaluate
from searchkit.index.generations import IndexStore
from searchkit.query import budget
from searchkit.query import rank as ranking
from searchkit.query.searcher import Searcher

CRANFIELD = Path(__file__).resolve().parent / "data" / "cranfield"
JUDGED = Path(__file__).resolve().parent / "judged" / "seeds.json"


def reference_score_arrays(self, groups, lists, docnums):
    """The pure-Python scorer, as it was, over the same candidates (returned as an array)."""
    candidates = set(docnums.tolist())
    searcher, params = self.searcher, self.params
    k1 = params.k1
    scores = dict.fromkeys(candidates, 0.0)
    for n, clause in enumerate(c for group in groups for c in group):
        if n and budget.expired("scoring"):
            break
        ids, tfs = (a.tolist() for a in lists.get(clause.fieldname, clause.text))
        if not ids or not searcher.schema[clause.fieldname].scorable:
            continue
        b = params.field_b.get(clause.fieldname, params.b)
        idf = self.idf(clause.fieldname, clause.text)
        avgfl = self.avg_length(clause.fieldname)
        weight = clause.boost * idf * (k1 + 1)
        base = k1 * (1 - b)
        per_length = k1 * b / avgfl
        length = self.lengths(clause.fieldname).tolist()
        if len(candidates) < len(ids):
            tf_of = dict(zip(ids, tfs, strict=True))
            for docnum in candidates:
                tf = tf_of.get(docnum)
                if tf:
                    scores[docnum] += weight * tf / (tf + base + per_length * length[docnum])
        else:
            for docnum, tf in zip(ids, tfs, strict=True):
                if docnum in scores:
                    scores[docnum] += weight * tf / (tf + base + per_length * length[docnum])
    return np.array([scores[d] for d in docnums.tolist()], dtype=np.float64)


def reference_best(docnums, scores, k):
    items = zip(docnums.tolist(), scores.tolist(), strict=True)
    top = heapq.nlargest(k, items, key=lambda item: (item[1], -item[0]))
    return sorted(top, key=lambda item: (-item[1], item[0]))


def top10s(searcher: Searcher, queries: list[str], **options) -> list[list[tuple[str, float]]]:
    return [
        [(h.id, h.score) for h in searcher.search(q, limit=10, facets=False, **options).hits]
        for q in queries
    ]


def engine_and_reference(monkeypatch, searcher: Searcher, queries: list[str], **options):
    engine = top10s(searcher, queries, **options)
    with monkeypatch.context() as patch:
        patch.setattr(ranking.BulkScorer, "score_arrays", reference_score_arrays)
        patch.setattr(ranking, "best", reference_best)
        reference = top10s(searcher, queries, **options)
    return engine, reference


def assert_same_ranking(engine, reference) -> None:
    for got, want in zip(engine, reference, strict=True):
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-6)


@pytest.fixture(scope="module")
def collections(tmp_path_factory, cacm_dir) -> dict[str, tuple[Searcher, list[str]]]:
    out = {}
    for name, folder in (("cranfield", CRANFIELD), ("cacm", cacm_dir)):
        collection = evaluate.load_collection(folder)
        index = evaluate.index_collection(collection, tmp_path_factory.mktemp(name))
        words = [evaluate.query_words(t) for t in collection.queries.values()]
        out[name] = (Searcher(IndexStore(index)), [w for w in words if w])
    yield out
    for searcher, _ in out.values():
        searcher.close()


@pytest.mark.parametrize("name", ["cranfield", "cacm"])
@pytest.mark.parametrize("any_word", [False, True])
def test_collection_queries_rank_the_same_top_10_as_the_pure_python_scorer(
    monkeypatch, collections, name, any_word
):
    searcher, queries = collections[name]
    engine, reference = engine_and_reference(monkeypatch, searcher, queries, any_word=any_word)
    assert sum(len(hits) for hits in engine) > 5 * len(queries)  # the queries do find things
    assert_same_ranking(engine, reference)


def test_seeds_judged_queries_rank_the_same_top_10_as_the_pure_python_scorer(
    monkeypatch, searcher
):
    queries = [q.text for q in evaluate.load_judged(JUDGED)]
    engine, reference = engine_and_reference(monkeypatch, searcher, queries)
    assert all(engine)
    assert_same_ranking(engine, reference)


def test_best_takes_ties_at_the_cut_by_ascending_document_number():
    docnums = np.array([2, 3, 5, 7, 11, 13], dtype=np.int64)
    scores = np.array([1.0, 3.0, 2.0, 2.0, 2.0, 0.5])
    for k in range(8):
        assert ranking.best(docnums, scores, k) == reference_best(docnums, scores, k)
    assert ranking.best(docnums, scores, 3) == [(3, 3.0), (5, 2.0), (7, 2.0)]


def test_bulk_scores_of_arrays_equal_the_pure_python_loop_bit_for_bit(searcher):
    found = searcher.matches(searcher.parse("social credit china", any_word=True))
    groups = ranking.term_groups(found.q)
    docnums = ranking.candidate_array(found.docs)
    bulk = searcher.bulk_scorer
    fast = bulk.score_arrays(groups, found.lists, docnums)
    slow = reference_score_arrays(bulk, groups, found.lists, docnums)
    assert len(docnums) > 10
    assert fast.tolist() == slow.tolist()


def test_a_posting_list_is_read_once_and_kept_until_the_cache_is_full(searcher):
    from searchkit.query.postings import PostingLists

    lists = PostingLists(searcher.reader(), limit=1)
    china = lists.get("body", "china")
    assert china[0].dtype == np.int32 and len(china[0]) > 1
    assert lists.get("body", "china") is china  # kept: not read again
    lists.get("body", "credit")  # over the limit: the least recently used list goes
    assert ("body", "china") not in lists.lists and ("body", "credit") in lists.lists
    assert lists.get("body", "china")[0].tolist() == china[0].tolist()


def test_array_matching_finds_the_documents_whooshs_own_matchers_find(searcher):
    queries = ["china OR wechat", "china NOT wechat", "social credit -blacklist", '"social credit"']
    for text in queries:
        q = searcher.parse(text)
        found = searcher.matches(q)
        assert found.docs == set(searcher.whoosh_scores(q)), text
        assert found.doc_array is not None and found.doc_array.tolist() == sorted(found.docs)
