"""Warm search latency, searchkit beside SQLite FTS5 in one run: the NumPy query engine's figure.

    python -m bench.query_engine --index DIR [--queries 200] [--rounds 3] [--json OUT]

In: a searchkit index (e.g. bench/.cache/run-N/index, or ``searchkit index`` of a generated
corpus); its articles are exported once and indexed by FTS5 beside it, as bench/search_features.py
does. Out: CPU-time p50 / p99 per query for searchkit's full search (facets, snippets, proximity,
spelling check; top 10) and for FTS5, and their ratio, printed (and written as JSON with
``--json``), headed by the file the ``searchkit`` package was imported from.

Two figures, because searchkit now keeps posting lists for the open index's life: ``first
sight`` is the first round (after the usual 20 warm-up queries), each query searched once, so
only terms an earlier query shared are already read; ``repeated`` is the later rounds, every
term already read. The first is the fair comparison with an engine that keeps nothing.

The before/after comparison runs this file twice on the same index: once as is (the branch) and
once with another checkout's ``searchkit`` first on the import path (it does not depend on
anything the query engine added). CPU time, not wall: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.common import export_docs, latency_summary, make_queries
from bench.peers import Fts5

WARM_UP = 20  # queries run before timing, as bench/scale.py does: imports, story table, lengths


def timed_rounds(run, queries: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """CPU seconds per query: the first round's, and every later round's."""
    for q in queries[:WARM_UP]:
        run(q)
    first: list[float] = []
    later: list[float] = []
    for n in range(rounds):
        for q in queries:
            started = time.process_time()
            run(q)
            (first if n == 0 else later).append(time.process_time() - started)
    return first, later


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import searchkit.query.rank
    from searchkit.index.generations import IndexStore
    from searchkit.query.searcher import Searcher

    work = args.index.resolve().parent / "features"
    work.mkdir(exist_ok=True)
    docs = export_docs(args.index, work / "docs.jsonl", reuse=True)
    queries = make_queries(docs, args.queries)
    fts = Fts5(work)
    if not fts.path.exists():
        fts.build(docs)
    fts.open()
    searcher = Searcher(IndexStore(args.index))

    results: dict = {
        "searchkit_from": str(Path(searchkit.query.rank.__file__).resolve().parents[1]),
        "articles": len(docs),
        "queries": len(queries),
        "rounds": args.rounds,
    }
    for name, run in (
        ("searchkit", lambda q: searcher.search(q, limit=10)),
        ("fts5", fts.query),
    ):
        first, later = timed_rounds(run, queries, args.rounds)
        results[name] = {"first sight": latency_summary(first)}
        if later:
            results[name]["repeated"] = latency_summary(later)

    print(f"searchkit from {results['searchkit_from']}")
    print(f"{len(docs)} articles, {len(queries)} queries × {args.rounds} rounds, CPU time")
    print(f"{'':<12} {'searchkit p50 / p99':>22} {'FTS5 p50 / p99':>18} {'÷ FTS5 p50':>11}")
    for kind in results["fts5"]:
        ours, fts5 = results["searchkit"][kind], results["fts5"][kind]
        print(
            f"{kind:<12} {ours['p50_ms']:9.2f} / {ours['p99_ms']:6.2f} ms "
            f"{fts5['p50_ms']:6.2f} / {fts5['p99_ms']:6.2f} ms "
            f"{ours['p50_ms'] / fts5['p50_ms']:10.2f}×"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
