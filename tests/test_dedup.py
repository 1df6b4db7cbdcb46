"""Duplicate detection: the seeds' repeated article, perturbed copies, and look-alikes kept apart."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from searchkit import evaluate, library
from searchkit.dedup import DEFAULT_THRESHOLD, containment, find_clusters, fingerprint
from tests.conftest import ROOT
from tests.perturb import perturbations, truncate

F001 = "001_988f91d272dd2678.txt"
F003 = "003_2ea9e9789186997a.txt"


def all_articles(seed_articles):
    return [a for name in sorted(seed_articles) for a in seed_articles[name]]


def clusters_of(articles):
    return find_clusters(articles, [fingerprint(a.body) for a in articles])


def test_seeds_have_exactly_one_duplicate_cluster(seed_articles):
    articles = all_articles(seed_articles)
    clusters = clusters_of(articles)
    assert len(articles) == 21
    assert len(clusters) == 20
    multi = [c for c in clusters if c.duplicates]
    assert len(multi) == 1
    (cluster,) = multi
    by_id = {a.id: a for a in articles}
    canonical = by_id[cluster.canonical]
    # the copy with the byline under its title (001) is the one shown; 003's copy is kept as a duplicate
    assert canonical.source == F001
    assert [(d.source, by_id[d.id].title) for d in cluster.duplicates] == [(F003, canonical.title)]


def test_every_article_lands_in_one_cluster(seed_articles):
    articles = all_articles(seed_articles)
    clusters = clusters_of(articles)
    members = [c.canonical for c in clusters] + [d.id for c in clusters for d in c.duplicates]
    assert sorted(members) == sorted(a.id for a in articles)


def _distinct(seed_articles):
    seen = {}
    for a in all_articles(seed_articles):
        seen.setdefault(a.body, a)
    return list(seen.values())


@pytest.mark.parametrize(
    "kind",
    [
        "edit 2%",
        "edit 5%",
        "edit 10%",
        "truncated to 80%",
        "truncated to 60%",
        "tail +15%",
        "tail +40%",
        "reflowed",
        "reflowed, edit 5%, tail +15%",
    ],
)
def test_perturbed_copies_join_their_original(seed_articles, kind):
    distinct = _distinct(seed_articles)
    assert len(distinct) == 20
    for i, original in enumerate(distinct):
        donor = distinct[(i + 1) % len(distinct)]
        copy_text = perturbations(original.body, donor.body, seed=i)[kind]
        copy = dataclasses.replace(original, source="copies/copy.txt", body=copy_text, authors=[])
        clusters = clusters_of([*distinct, copy])
        assert len(clusters) == 20, f"{kind}: copy of {original.title[:40]!r} not joined"
        joined = next(c for c in clusters if c.duplicates)
        assert {joined.canonical, *(d.id for d in joined.duplicates)} == {original.id, copy.id}
        if original.authors:  # the copy lost its byline: the original stays the one shown
            assert joined.canonical == original.id


def test_distinct_articles_stay_apart_even_when_they_share_passages(seed_articles):
    distinct = _distinct(seed_articles)
    by_title = {a.title[:20]: a for a in distinct}
    insights = by_title["Insights into Sesame"]
    open_sesame = by_title["Open Sesame: Social "]
    # They share whole sentences about Sesame Credit, but are different articles.
    shared = "It is not mandatory for users to opt into Sesame Credit."
    assert shared in insights.body and shared in open_sesame.body
    assert (
        containment(fingerprint(insights.body), fingerprint(open_sesame.body)) < DEFAULT_THRESHOLD
    )
    assert all(not c.duplicates for c in clusters_of(distinct))


def test_a_short_excerpt_is_not_a_copy(seed_articles):
    original = _distinct(seed_articles)[0]
    excerpt = dataclasses.replace(original, source="x.txt", body=truncate(original.body, 0.2))
    clusters = clusters_of([original, excerpt])
    assert len(clusters) == 2


def test_canonical_prefers_byline_then_length(seed_articles):
    original = _distinct(seed_articles)[0]
    longer_but_anonymous = dataclasses.replace(
        original, source="a.txt", authors=[], body=original.body + "\n\nOne more closing line here."
    )
    clusters = clusters_of([longer_but_anonymous, original])
    assert clusters[0].canonical == original.id
    shorter = dataclasses.replace(original, source="b.txt", body=truncate(original.body, 0.9))
    clusters = clusters_of([shorter, original])
    assert clusters[0].canonical == original.id


def test_fingerprint_is_stable_across_processes():
    # Signatures are stored in the index and compared on later runs: they must not depend on
    # Python's per-process hash seed.
    text = "The quick brown fox jumps over the lazy dog near the river bank."
    code = (
        f"from searchkit.dedup import fingerprint;print(fingerprint({text!r}).signature.tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {str(fingerprint(text).signature.tolist()) + "\n"}


def test_fingerprints_match_those_older_indexes_store(seed_articles):
    """Indexes keep every article's fingerprint and compare them with new ones on later runs, so
    a faster fingerprint must compute the very same values (these came from the first version)."""
    import hashlib

    article = seed_articles["000_8c6565e280eec17d.txt"][0]
    fp = fingerprint(article.body)
    assert (fp.content_hash, fp.shingles) == ("2c000011341ec0b3ab069d3d204186b2", 485)
    assert fp.signature[:4].tolist() == [27484530, 18187824, 544028, 19578566]
    assert hashlib.sha256(fp.to_bytes()).hexdigest()[:16] == "3404317e1a379128"


def test_a_page_holding_two_stories_does_not_merge_them(seed_articles):
    # A save of story X with all of story Y appended links to both; X and Y stay separate clusters.
    distinct = _distinct(seed_articles)
    x = next(a for a in distinct if a.title.startswith("Open Sesame"))
    y = next(a for a in distinct if a.title.startswith("China ups cash rewards"))
    both = dataclasses.replace(x, source="both.txt", authors=[], body=x.body + "\n\n" + y.body)
    clusters = clusters_of([x, y, both])
    by_canonical = {c.canonical: [d.id for d in c.duplicates] for c in clusters}
    assert by_canonical == {x.id: [both.id], y.id: []}


def test_korean_is_tokenised_as_cjk_like_analysis():
    # Hangul is CJK to analysis (searched as bigrams); dedup must not keep whole Korean words.
    from searchkit.analysis import is_cjk
    from searchkit.dedup import tokens

    found = tokens("서울 날씨 맑음 and rain")
    assert found == ["서", "울", "날", "씨", "맑", "음", "and", "rain"]
    assert all(is_cjk(t) for t in found[:6])


# --- collections of distinct documents (tests/data/README.md) ------------------------------------


def _folds(collection_dir: Path, tmp_path: Path) -> tuple[evaluate.Collection, list[tuple[str, str]]]:
    """The collection, and each (shown, hidden) pair of documents folded when indexed as files."""
    collection = evaluate.load_collection(collection_dir)
    index_dir = evaluate.index_collection(collection, tmp_path)
    with library.open(index_dir) as index:
        pairs = [
            (Path(shown.source).stem, Path(copy.source).stem)
            for shown in index.duplicates()
            for copy in shown.duplicates
        ]
    return collection, pairs


def _words(title: str, text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", f"{title}\n{text}".lower()))


def test_cacm_documents_fold_only_when_their_words_are_the_same_but_for_one(tmp_path, cacm_dir):
    """CACM's bare titles share most of their few words ("A Note on Multiplying Boolean
    Matrices" and "... II"): 120 of them were once folded, each hidden for good."""
    collection, pairs = _folds(cacm_dir, tmp_path)
    assert len(collection.documents) == 3204
    assert pairs, "remarks that repeat an algorithm's bare title word for word still fold"
    for shown, hidden in pairs:
        a, b = _words(*collection.documents[shown]), _words(*collection.documents[hidden])
        assert sum(((a - b) + (b - a)).values()) <= 1, (shown, hidden)
    hidden = {h for _, h in pairs}
    assert not {"635", "1151", "1900", "2154", "2345", "2407"} & hidden


def test_cranfield_unswept_wings_are_not_hidden_under_swept_wings(tmp_path):
    _, pairs = _folds(ROOT / "tests" / "data" / "cranfield", tmp_path)
    folded = {frozenset(p) for p in pairs}
    assert frozenset(("1332", "1334")) not in folded  # one template, two titles, two reports
    assert frozenset(("182", "1211")) not in folded
    assert len(pairs) <= 2  # what is left: reports reprinted under the same title
