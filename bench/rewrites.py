"""Spelling correction on queries typed correctly: how often it rewrites a word the index holds.

    python -m bench.rewrites [collection ...]    (default: ../shared/ir/cranfield and cacm)

Every judged query of each collection (Cranfield's 150, CACM's 52, as plain words) runs against an
index of its own collection, twice: as a user types it (every word must match) and as ``searchkit eval``
runs it (any word). Counted per collection and matching:

- corrections: searches whose words were replaced by a spelling correction;
- held-word rewrites: replaced words the collection holds — a word of its ``exact`` lexicon, of a
  name field (authors), a word whose stem the text fields hold (the typed word already matches),
  or a stop word (correctly spelled, only too common to index). The goal is 0;
- absent-word rewrites: replaced words the collection lacks (allowed: the typed word finds nothing);
- suggestions: "did you mean" offered without replacing anything (name-like words);
- time: all the queries with correction on, over the same with it off (a ratio).

The words of a query are compared one by one (a correction keeps the query's word count).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import SHARED
from searchkit import evaluate
from searchkit.analysis import STOP_WORDS, stem
from searchkit.index.generations import IndexStore
from searchkit.query.searcher import Searcher

COLLECTIONS = (SHARED / "ir" / "cranfield", SHARED / "ir" / "cacm")


@dataclass(slots=True)
class Tally:
    queries: int = 0
    corrections: int = 0
    suggestions: int = 0
    held: list[str] = field(default_factory=list)  # "typed->fixed" for each held-word rewrite
    absent: list[str] = field(default_factory=list)
    seconds_on: float = 0.0
    seconds_off: float = 0.0


def holds(reader, word: str) -> bool:
    """Whether the index holds ``word`` as typed (in any form a search would match)."""
    word = word.lower()
    if word in STOP_WORDS:
        return True
    for fieldname, term in (("exact", word), ("authors", word), ("body", stem(word))):
        if fieldname in reader.schema and reader.doc_frequency(fieldname, term) > 0:
            return True
    return "title" in reader.schema and reader.doc_frequency("title", stem(word)) > 0


def search(searcher: Searcher, text: str, any_word: bool, correct: bool):
    return searcher.search(text, limit=10, facets=False, any_word=any_word, correct=correct)


def measure(searcher: Searcher, queries: dict[str, str], any_word: bool) -> Tally:
    tally = Tally()
    reader = searcher.reader()
    for text in queries.values():
        tally.queries += 1
        start = time.perf_counter()
        results = search(searcher, text, any_word, True)
        tally.seconds_on += time.perf_counter() - start
        start = time.perf_counter()
        search(searcher, text, any_word, False)
        tally.seconds_off += time.perf_counter() - start
        if results.suggested:
            tally.suggestions += 1
        if not results.corrected:
            continue
        tally.corrections += 1
        for typed, fixed in zip(text.split(), results.corrected.split(), strict=False):
            if typed.lower() == fixed.lower():
                continue
            (tally.held if holds(reader, typed) else tally.absent).append(f"{typed}->{fixed}")
    return tally


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("collections", nargs="*", default=[str(c) for c in COLLECTIONS])
    args = parser.parse_args()
    print(
        f"{'collection':<10} {'matching':<9} {'queries':>7} {'corrected':>9} {'held':>5} "
        f"{'absent':>6} {'suggested':>9} {'time on/off':>11}"
    )
    examples = []
    for folder in args.collections:
        collection = evaluate.load_collection(Path(folder))
        queries = {
            q: evaluate.query_words(t)
            for q, t in collection.queries.items()
            if q in collection.qrels
        }
        with tempfile.TemporaryDirectory() as tmp:
            store = IndexStore(evaluate.index_collection(collection, Path(tmp)))
            with Searcher(store) as searcher:
                for any_word in (False, True):
                    search(searcher, "warm up", any_word, True)
                    t = measure(searcher, queries, any_word)
                    label = "any word" if any_word else "all words"
                    ratio = t.seconds_on / t.seconds_off if t.seconds_off else float("nan")
                    print(
                        f"{collection.name:<10} {label:<9} {t.queries:>7} {t.corrections:>9} "
                        f"{len(t.held):>5} {len(t.absent):>6} {t.suggestions:>9} {ratio:>11.2f}"
                    )
                    examples.append((collection.name, label, t))
    for name, label, t in examples:
        if t.held or t.absent:
            print(f"\n{name}, {label}:")
            if t.held:
                print("  held-word rewrites: " + ", ".join(t.held[:12]))
            if t.absent:
                print("  absent-word rewrites: " + ", ".join(t.absent[:12]))


if __name__ == "__main__":
    main()
