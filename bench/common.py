"""What every benchmark shares: the repository's paths, one latency summary, the index exporters.

- Paths: ``ROOT`` (this checkout), ``SHARED`` (the shared data folder ``../shared`` beside it, with
  ``CRANFIELD`` in ``ir/cranfield``), ``OUT`` (bench/out, results) and ``CACHE`` (bench/.cache,
  generated corpora and indexes; ``bench.corpus.corpus_for(n)`` caches its generated corpora
  there).
- ``latency_summary(seconds)``: p50 / p95 / p99 / mean in milliseconds from a list of timings,
  with one percentile definition for every benchmark (``percentile``, below).
- Exporters: ``index_docs(index)`` reads the articles as searchkit segmented them out of an index
  (every copy, or ``canonical=True`` one per story), ``export_docs(index, out)`` also writes them
  as JSON Lines for the peers to index (in a worker process: ``read_docs(out)``), and
  ``make_queries(docs, n)`` the fixed query set every engine answers.

Percentiles are **nearest-rank** (Hyndman & Fan type 1): the p-th percentile of n sorted timings
is the ``ceil(p / 100 * n)``-th smallest. It is always a latency that was measured (no
interpolation between two requests), it needs no numpy, and for the counts used here (50–2,000
queries, tens of thousands of requests) it differs from an interpolated percentile by less than
the run-to-run noise. The p50 is the nearest-rank median too (the lower middle value of an even
count), so p50 ≤ p95 ≤ p99 always hold on one run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
from collections import Counter
from pathlib import Path

from searchkit.peers import Doc

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CRANFIELD = SHARED / "ir" / "cranfield"
OUT = ROOT / "bench" / "out"
CACHE = ROOT / "bench" / ".cache"

__all__ = [
    "CACHE", "CRANFIELD", "OUT", "ROOT", "SHARED", "Doc", "export_docs",
    "index_docs", "latency_summary", "make_queries", "percentile", "read_docs",
]  # fmt: skip


# --- latency ------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], percent: float) -> float:
    """The nearest-rank ``percent``-th percentile of ``sorted_values`` (ascending, not empty)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    # the tolerance keeps 0.99 * 100 == 99.00000000000001 from rounding up to rank 100
    rank = math.ceil(percent / 100 * len(sorted_values) - 1e-9)
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


def latency_summary(seconds: list[float], prefix: str = "") -> dict[str, float]:
    """``{prefix}p50_ms``, ``p95_ms``, ``p99_ms`` and ``mean_ms`` of timings given in seconds."""
    values = sorted(seconds)
    out = {f"{prefix}p{p}_ms": 1000 * percentile(values, p) for p in (50, 95, 99)}
    out[f"{prefix}mean_ms"] = 1000 * sum(values) / len(values)
    return out


# --- corpora and exported articles ----------------------------------------------------------------


def index_docs(index: Path, *, canonical: bool = False) -> list[Doc]:
    """The articles of a searchkit index as its pipeline segmented them (id, title, body).

    Every article, or with ``canonical`` only the one shown for each story (copies left out).
    """
    # The public API (searchkit.open) searches stories; reading every stored article is the
    # index's own job, so this is the one place bench/ opens the Whoosh index directly.
    from searchkit.index.generations import IndexStore

    ix = IndexStore(index).open()
    options = {"canonical": True} if canonical else {}
    with ix.searcher() as searcher:
        return [
            Doc(f["id"], f["title"], f["body"])
            for f in searcher.documents(kind="article", **options)
        ]


def export_docs(index: Path, out: Path, *, reuse: bool = False) -> list[Doc]:
    """``index_docs(index)`` written to ``out`` as JSON Lines; with ``reuse``, read ``out`` if it exists."""
    if reuse and out.exists():
        return read_docs(out)
    docs = index_docs(index)
    out.write_text("\n".join(json.dumps(dataclasses.asdict(d)) for d in docs), encoding="utf-8")
    return docs


def read_docs(path: Path) -> list[Doc]:
    return [Doc(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def _stopwords() -> frozenset[str]:
    from whoosh.analysis import STOP_WORDS

    extra = {"can", "could", "may", "might", "would", "should", "has", "had", "did"}
    return frozenset(STOP_WORDS | extra)


def make_queries(docs: list[Doc], count: int, seed: int = 7) -> list[str]:
    """A fixed, reproducible query set: 1–3 topic words taken from titles, as users type them."""
    stopwords = _stopwords()
    rng = random.Random(seed)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(re.findall(r"[a-z]{3,}", (d.title + " " + d.body).lower())))
    n = len(docs)
    useful = {w for w, c in df.items() if w not in stopwords and 2 <= c <= max(3, n // 10)}
    queries: list[str] = []
    while len(queries) < count:
        doc = rng.choice(docs)
        words = [
            w for w in dict.fromkeys(re.findall(r"[a-z]{3,}", doc.title.lower())) if w in useful
        ]
        if not words:
            continue
        size = min(len(words), rng.choices([1, 2, 3], weights=[4, 4, 2])[0])
        queries.append(" ".join(rng.sample(words, size)))
    return queries
