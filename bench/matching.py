"""Strict (every word) matching against relaxing it when few articles match every word.

    python -m bench.matching

Runs the seeds' judged queries (tests/judged/seeds.json) as a user types them, with the fallback
to "articles with some of the words, after those with all of them" switched on below several
thresholds (1 = only when nothing matches every word; 10, a page, is the default).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import ROOT
from searchkit import evaluate
from searchkit.index.build import build_index
from searchkit.index.generations import IndexStore
from searchkit.query.searcher import Searcher


def main() -> None:
    judged = evaluate.load_judged(ROOT / "tests" / "judged" / "seeds.json")
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore(Path(tmp) / "ix")
        build_index([ROOT / "seeds"], store)
        print(f"{'relax when fewer than':<22} {'nDCG@10':>8} {'MRR@10':>8} {'R@100':>8}")
        with Searcher(store) as searcher:
            for below in (1, 2, 3, 5, 10):
                searcher.fill_below = below
                s = evaluate.evaluate_judged(searcher, judged)
                label = f"{below} {'story' if below == 1 else 'stories'}"
                print(f"{label:<22} {s.ndcg10:8.4f} {s.mrr10:8.4f} {s.recall100:8.4f}")


if __name__ == "__main__":
    main()
