"""Near-duplicate folding on collections of distinct documents: how many different ones it hides.

    python -m bench.false_folds [collection ...]    (default: ../shared/ir/cranfield and cacm)

Every document of a judged collection is a document of its own, so a fold there is a claim that two
of them are the same text. Each collection is indexed as a user's files are (``searchkit eval``'s
path: one text file per document, ``searchkit index``), and every copy folded under another is
classed by the two documents' texts as the collection gives them (case and spacing aside):

- same text: word for word the same (CACM's remarks and certifications share a bare title with
  the algorithm they discuss). Folding them is what folding is for: nothing tells them apart;
- false folds: the texts differ. A hidden document can never be found, so the goal is 0;
- judged apart: of the folds, those a judged query tells apart (one judged relevant, the other
  not, or with another grade): the assessors' word that they are different documents.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import SHARED
from searchkit import evaluate, library

COLLECTIONS = (SHARED / "ir" / "cranfield", SHARED / "ir" / "cacm")


@dataclass(slots=True)
class Folds:
    documents: int
    stories: int
    same_text: int = 0
    false: list[tuple[str, str, float]] = field(default_factory=list)  # (shown, hidden, similarity)
    judged_apart: int = 0


def words(title: str, text: str) -> list[str]:
    return re.findall(r"\w+", f"{title}\n{text}".lower())


def judged_apart(qrels: evaluate.Qrels, a: str, b: str) -> bool:
    return any(grades.get(a, 0) != grades.get(b, 0) for grades in qrels.values())


def measure(collection: evaluate.Collection) -> Folds:
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = evaluate.index_collection(collection, Path(tmp))
        with library.open(index_dir) as index:
            stats = index.stats()
            folds = Folds(stats["articles"], stats["distinct_articles"])
            for shown in index.duplicates():
                a = Path(shown.source).stem
                for copy in shown.duplicates:
                    b = Path(copy.source).stem
                    if words(*collection.documents[a]) == words(*collection.documents[b]):
                        folds.same_text += 1
                    else:
                        folds.false.append((a, b, copy.similarity))
                    folds.judged_apart += judged_apart(collection.qrels, a, b)
    return folds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("collections", nargs="*", default=[str(c) for c in COLLECTIONS])
    args = parser.parse_args()
    print(
        f"{'collection':<10} {'documents':>9} {'stories':>8} {'same text':>9} "
        f"{'false folds':>11} {'judged apart':>12}"
    )
    found = []
    for folder in args.collections:
        collection = evaluate.load_collection(Path(folder))
        f = measure(collection)
        print(
            f"{collection.name:<10} {f.documents:>9} {f.stories:>8} {f.same_text:>9} "
            f"{len(f.false):>11} {f.judged_apart:>12}"
        )
        found.append((collection.name, f))
    for name, f in found:
        if f.false:
            shown = ", ".join(f"{a}/{b} ({s:.2f})" for a, b, s in f.false[:12])
            print(f"\n{name} false folds (shown/hidden, containment): {shown}")


if __name__ == "__main__":
    main()
