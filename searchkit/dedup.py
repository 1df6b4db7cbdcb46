"""Stage 4 — deduplicate: ``list[Article]`` -> ``list[DuplicateCluster]`` (every copy kept).

Exact copies share a content hash (of the text with case and whitespace normalised). Near copies —
the same story saved twice with a different tail, an edit, a cut-off end or reflowed lines — are
found with MinHash signatures over word 5-shingles and LSH banding (vectorised with NumPy),
then confirmed by their estimated *containment*: the share of the shorter copy's shingles found in
the longer one. Containment, not plain Jaccard, because a truncated save is still the same story.

Signatures are computed with NumPy from one hash per token (not per shingle), which keeps them cheap
enough to compute for every article at index time and to store for incremental updates.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from searchkit.analysis import CJK_RANGES
from searchkit.models import Article, DuplicateCluster, DuplicateRef

NUM_PERM = 128
SHINGLE = 5
DEFAULT_THRESHOLD = 0.5  # containment; chosen by bench/dedup_threshold.py (docs/benchmarks.md)
MIN_LENGTH_RATIO = 0.5  # a save holding less than half of a story is an excerpt, not a copy
# Short texts (the smaller copy under SHORT_SHINGLES word 5-shingles: a title alone, a few
# sentences) fold only when nearly identical, estimated Jaccard at least SHORT_MIN_JACCARD: with
# containment alone, CACM's bare titles folded whenever one held most of another's few words
# ("A Note on Multiplying Boolean Matrices" under "... II"), 120 false folds among 3,204
# documents; bench/false_folds.py. 0.95 lets about one word in twenty differ: a bare title with a
# catalogue number more ("Algorithm 47 [S16]" against "Algorithm 47") is another document.
SHORT_SHINGLES = 50
SHORT_MIN_JACCARD = 0.95
# Two copies whose pages gave them different titles fold only when their texts are nearly the same
# (a story saved before and after a headline change): documents that share most of a template or a
# boilerplate paragraph under titles of their own ("Clarification of Fortran Standards-Second
# Report" / "-Initial Progress", "... for unswept wings" / "... for swept wings") reached
# containment 0.56-0.69, inside the range of edited copies (0.588 at 10 % of words changed).
RETITLED_MIN_CONTAINMENT = 0.9
# Candidate generation: LSH bands tuned (datasketch's _optimal_param) for Jaccard 0.2, low so that
# short truncated copies still meet: 28 bands of 2 rows.
_BANDS, _ROWS = 28, 2
_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F], dtype=np.uint64)
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_rng = np.random.RandomState(1)
_A = _rng.randint(1, 1 << 32, size=NUM_PERM, dtype=np.uint64)
_B = _rng.randint(0, 1 << 32, size=NUM_PERM, dtype=np.uint64)
_B_COLUMN = _B[:, None]
_SHIFT61 = np.uint64(61)
_SHINGLE_MIX = np.array([0x9E3779B1 * (i + 1) for i in range(SHINGLE)], dtype=np.uint64)
# Words, or single CJK characters (CJK text has no spaces to split on). CJK is the range analysis
# uses for search (Hangul included), so both stages agree on what a CJK character is.
_TOKEN = re.compile(f"[{CJK_RANGES}]|[^\\W_]+", re.UNICODE)


# signatures (uint64[articles, NUM_PERM]) -> the candidate pairs, int64[pairs, 2], i < j, sorted
PairFinder = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup needs to know about one article, small enough to store in the index."""

    content_hash: str
    signature: np.ndarray  # uint32[NUM_PERM]
    shingles: int  # number of distinct shingles (for containment estimates)

    def to_bytes(self) -> bytes:
        return self.signature.astype("<u4").tobytes()

    @classmethod
    def from_stored(cls, content_hash: str, signature: bytes, shingles: int) -> Fingerprint:
        return cls(content_hash, np.frombuffer(signature, dtype="<u4").copy(), shingles)


def article_fingerprint(article: Article) -> Fingerprint:
    """The fingerprint of what makes an article the story it is: its title (when the page gave
    one) and its text.

    Why the title too, not the body alone: two short articles with different titles are different
    stories whatever their bodies say (CACM's "None" abstracts, a run of one-line posts), and for a
    long story saved twice its title barely moves the estimate. A derived title is the body's own
    first words, so it adds nothing and is left out."""
    if article.title_derived or not article.title:
        return fingerprint(article.body)
    return fingerprint(f"{article.title}\n{article.body}")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def content_hash(text: str) -> str:
    return _hash_words(tokens(text))


def _hash_words(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:32]


class _WordHashes(dict):
    """word -> crc32 of its UTF-8 bytes, computed once per word (emptied past ``limit`` words)."""

    limit = 500_000

    def __missing__(self, word: str) -> int:
        if len(self) >= self.limit:
            self.clear()
        value = self[word] = zlib.crc32(word.encode())
        return value


_WORD_HASHES = _WordHashes()


def fingerprint(text: str) -> Fingerprint:
    words = tokens(text)
    if words:
        ids = np.array(list(map(_WORD_HASHES.__getitem__, words)), dtype=np.uint64)
    else:
        ids = np.zeros(1, dtype=np.uint64)
    k = min(SHINGLE, len(ids))
    n = len(ids) - k + 1
    mixed = ids[:n] * _SHINGLE_MIX[0]
    for i in range(1, k):
        mixed = mixed * np.uint64(31) + ids[i : i + n] * _SHINGLE_MIX[i]
    shingles = np.unique((mixed ^ (mixed >> np.uint64(29))) & _MASK32)
    # (a*x + b) mod p, x < 2^32 and a, b < 2^32, so nothing overflows 64 bits. p = 2^61 - 1, so
    # v mod p is (v & p) + (v >> 61), less p once if that reaches p: shifts, not a division.
    # (In place: the 128 x shingles matrix is the bulk of a fingerprint's cost.)
    hashed = np.multiply.outer(_A, shingles)
    hashed += _B_COLUMN
    high = hashed >> _SHIFT61
    hashed &= _PRIME
    hashed += high
    np.subtract(hashed, _PRIME, out=hashed, where=hashed >= _PRIME)
    hashed &= _MASK32
    signature = hashed.min(axis=1).astype(np.uint32)
    return Fingerprint(_hash_words(words), signature, len(shingles))


def jaccard(a: Fingerprint, b: Fingerprint) -> float:
    return float(np.count_nonzero(a.signature == b.signature)) / NUM_PERM


def containment(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated share of the smaller copy's shingles found in the larger; 0 if sizes differ too
    much, or if the smaller is short and the two are not nearly identical (``SHORT_SHINGLES``)."""
    small, large = sorted((a.shingles, b.shingles))
    if large == 0 or small / large < MIN_LENGTH_RATIO:
        return 0.0
    j = jaccard(a, b)
    if small < SHORT_SHINGLES and j < SHORT_MIN_JACCARD:
        return 0.0
    intersection = j * (small + large) / (1 + j)
    return min(1.0, intersection / small)


@dataclass(frozen=True, slots=True)
class DedupItem:
    """What clustering needs to know about one article (small enough to keep for every article)."""

    id: str
    source: str
    position: int
    rank: tuple[int, ...]  # completeness: byline, date, site, real title, standfirst, words
    fingerprint: Fingerprint
    title_key: str = ""  # ``title_key`` of the page's title; "" when derived (or unknown)


def title_key(article: Article) -> str:
    """A short digest of the words of the title the page gave ("" for a derived title), so that
    copies can be told apart by their titles (``RETITLED_MIN_CONTAINMENT``) at 12 bytes each."""
    if article.title_derived or not article.title:
        return ""
    return _hash_words(tokens(article.title))[:12]


def retitled(a: DedupItem, b: DedupItem) -> bool:
    """Whether both copies carry a title of their own and the titles differ."""
    return bool(a.title_key and b.title_key) and a.title_key != b.title_key


def item_of(article: Article, fp: Fingerprint) -> DedupItem:
    rank = (
        int(bool(article.authors)),
        int(article.date is not None),
        int(article.site is not None),
        int(not article.title_derived),
        int(article.summary is not None),
        article.word_count,
    )
    return DedupItem(article.id, article.source, article.position, rank, fp, title_key(article))


def find_clusters(
    articles: Sequence[Article],
    fingerprints: Sequence[Fingerprint],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[DuplicateCluster]:
    """Group copies of the same story. Every article lands in exactly one cluster (most alone)."""
    items = [item_of(a, fp) for a, fp in zip(articles, fingerprints, strict=True)]
    return cluster_items(items, threshold)


def cluster_items(
    items: Sequence[DedupItem],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    band_pairs: PairFinder | None = None,
) -> list[DuplicateCluster]:
    """``find_clusters`` over stored ``DedupItem``s (what an incremental run keeps in the index).

    ``band_pairs``: what finds the candidate pairs among the signatures (``_band_pairs`` in this
    process by default; ``dedup_cluster`` groups the bands on a Dask cluster, same pairs)."""
    n = len(items)
    fingerprints = [item.fingerprint for item in items]
    parent = list(range(n))
    similarity: dict[tuple[int, int], float] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int, sim: float) -> None:
        similarity[(min(i, j), max(i, j))] = sim
        parent[find(i)] = find(j)

    by_hash: dict[str, int] = {}
    representatives: list[int] = []
    for i, fp in enumerate(fingerprints):
        first = by_hash.setdefault(fp.content_hash, i)
        if first != i:
            union(i, first, 1.0)
        else:
            representatives.append(i)

    pairs_found = _similar_pairs(fingerprints, representatives, threshold, band_pairs or _band_pairs)
    for i, j, sim in pairs_found:
        if sim < RETITLED_MIN_CONTAINMENT and retitled(items[i], items[j]):
            continue
        union(i, j, sim)

    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)

    clusters = []
    for members in groups.values():
        if len(members) == 1:
            only = items[members[0]]
            clusters.append(DuplicateCluster(only.id, only.id, []))
            continue
        for center, copies in _stars(members, items, threshold):
            refs = [
                DuplicateRef(
                    items[m].id,
                    items[m].source,
                    round(
                        similarity.get((min(m, center), max(m, center)))
                        or containment(fingerprints[m], fingerprints[center]),
                        3,
                    ),
                )
                for m in sorted(copies, key=lambda i: items[i].id)
            ]
            canonical = items[center]
            clusters.append(DuplicateCluster(canonical.id, canonical.id, refs))
    clusters.sort(key=lambda c: c.canonical)
    return clusters


def _similar_pairs(
    fingerprints: Sequence[Fingerprint],
    candidates: list[int],
    threshold: float,
    band_pairs: PairFinder,
) -> list[tuple[int, int, float]]:
    """Pairs of ``candidates`` whose containment reaches ``threshold``, found by LSH banding.

    Banding as datasketch's MinHashLSH does it (its optimal bands for Jaccard 0.2 and 128
    permutations: 28 bands of 2 rows), but vectorised with NumPy: every band of every signature is
    hashed at once, equal band hashes are found by sorting, and the containment of each candidate
    pair is estimated in bulk. The same pairs are compared as with MinHashLSH, without a Python call
    per band and article: identical clusters, 14x faster on 3,240 generated articles (0.13 s vs
    1.86 s; docs/benchmarks.md).
    """
    if len(candidates) < 2:
        return []
    sigs = np.stack([fingerprints[i].signature for i in candidates])
    sizes = np.array([fingerprints[i].shingles for i in candidates], dtype=np.float64)
    pair_array = band_pairs(sigs.astype(np.uint64))
    if not len(pair_array):
        return []
    found = []
    for chunk in np.array_split(pair_array, max(1, len(pair_array) // 50_000)):
        left, right = chunk[:, 0], chunk[:, 1]
        jac = (sigs[left] == sigs[right]).sum(axis=1) / NUM_PERM
        small = np.minimum(sizes[left], sizes[right])
        large = np.maximum(sizes[left], sizes[right])
        inter = jac * (small + large) / (1 + jac)
        with np.errstate(divide="ignore", invalid="ignore"):
            comparable = (large > 0) & (small / np.maximum(large, 1) >= MIN_LENGTH_RATIO)
            comparable &= (small >= SHORT_SHINGLES) | (jac >= SHORT_MIN_JACCARD)
            cont = np.where(
                comparable,
                np.minimum(1.0, inter / np.maximum(small, 1)),
                0.0,
            )
        for k in np.flatnonzero(cont >= threshold):
            found.append((candidates[int(left[k])], candidates[int(right[k])], float(cont[k])))
    return found


def _band_pairs(sigs: np.ndarray) -> np.ndarray:
    """Every pair of rows (i < j, as an array of [i, j], sorted) that agree on at least one band.

    Built with NumPy, not a Python set: a large collection has millions of candidate pairs (3.3M
    among 108,000 generated articles), and adding them one by one to a set and sorting it cost
    11 of 14 seconds there. (``dedup_cluster`` finds the same pairs with the bands' keys grouped
    across a Dask cluster, from the same three functions below.)
    """
    count = len(sigs)
    keys = band_keys(sigs)
    rows = np.arange(count, dtype=np.int64)
    return unique_pairs([group_pair_codes(keys[:, band], rows, count) for band in range(_BANDS)], count)


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """uint64[len(sigs), bands]: each signature's LSH key in each band; rows that share a key in
    some band are candidate pairs."""
    sigs = sigs.astype(np.uint64, copy=False)
    keys = np.empty((len(sigs), _BANDS), dtype=np.uint64)
    for band in range(_BANDS):
        cols = sigs[:, band * _ROWS : (band + 1) * _ROWS]
        keys[:, band] = (cols * _BAND_MIX[: cols.shape[1]]).sum(axis=1, dtype=np.uint64)
    return keys


def group_pair_codes(keys: np.ndarray, rows: np.ndarray, count: int) -> np.ndarray:
    """The pairs of ``rows`` (row numbers below ``count``) whose ``keys`` are equal, each coded as
    ``i * count + j`` with i < j (duplicates possible; ``unique_pairs`` removes them).

    Within each group of equal keys, the pairs d apart in sorted order are taken for d = 1, 2, ...
    until no group is that large: NumPy throughout, no Python call per pair.
    """
    total = len(keys)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[starts, total])
    found: list[np.ndarray] = []
    if total and (sizes > 1).any():
        group_end = np.repeat(starts + sizes, sizes)  # per sorted position: where its group ends
        positions = np.flatnonzero(np.repeat(sizes > 1, sizes))
        sorted_rows = rows[order].astype(np.int64)
        distance = 1
        while True:
            positions = positions[positions + distance < group_end[positions]]
            if not len(positions):
                break
            a, b = sorted_rows[positions], sorted_rows[positions + distance]
            found.append(np.minimum(a, b) * count + np.maximum(a, b))
            distance += 1
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def unique_pairs(codes: list[np.ndarray], count: int) -> np.ndarray:
    """Pair codes (``group_pair_codes``) from every band -> the distinct pairs as sorted [i, j] rows."""
    if not codes or not sum(len(c) for c in codes):
        return np.empty((0, 2), dtype=np.int64)
    merged = np.concatenate(codes)
    merged.sort()  # (np.unique hashes instead of sorting in NumPy 2: 5x slower here)
    merged = merged[np.r_[True, merged[1:] != merged[:-1]]]
    return np.stack((merged // count, merged % count), axis=1)


def _stars(
    members: list[int],
    items: Sequence[DedupItem],
    threshold: float,
) -> list[tuple[int, list[int]]]:
    """Split a connected group into clusters whose every copy is similar to its canonical copy.

    Pairwise links chain: a save of story X with story Y appended as its tail links to both X and
    Y, and X and Y must not end up in one cluster. So the most complete copy anchors a cluster,
    only copies similar to *it* join, and the rest are grouped again among themselves.
    """
    stars = []
    rest = sorted(members, key=lambda i: _completeness(items[i]), reverse=True)
    while rest:
        center, *others = rest
        joined = [m for m in others if _copy_of(items[m], items[center], threshold)]
        stars.append((center, joined))
        rest = [m for m in others if m not in joined]
    return stars


def _copy_of(item: DedupItem, center: DedupItem, threshold: float) -> bool:
    a, b = item.fingerprint, center.fingerprint
    if a.content_hash == b.content_hash:
        return True
    least = max(threshold, RETITLED_MIN_CONTAINMENT) if retitled(item, center) else threshold
    return containment(a, b) >= least


def _completeness(item: DedupItem) -> tuple:
    """Which copy to show: the one with a byline, a date, a site, a real title, then the longest."""
    # deterministic tie-break: the earliest source, then position
    return (*item.rank, tuple(-ord(c) for c in item.source), -item.position)
