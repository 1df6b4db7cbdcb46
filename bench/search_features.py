"""What each search feature costs per query, at scale, next to SQLite FTS5 on the same articles.

    python -m bench.search_features --index DIR [--queries 200] [--rounds 3]

DIR is a searchkit index (e.g. one `python -m bench` built in bench/.cache/run-N/index, or
`searchkit index` of bench/.cache/gen-N-seed42). Its articles are exported once and indexed by SQLite
FTS5 (bench/peers.py: porter, bm25 with column weights, words AND-ed, top 10), next to the index.
The query set is bench/scale.py's: 1–3 title words of random articles, words found in at most a
tenth of the articles.

Every variant runs the same queries warm and in-process, one after the other, for ``--rounds``
rounds, and reports the median and 99th percentile of CPU time per query (the machine is shared:
CPU time is steadier than wall time, which is given too) and the ratio to FTS5:

- ``full``: Searcher.search(q, limit=10) as the CLI and the web page use it (facets, snippets,
  proximity, spelling check, bulk scoring);
- ``no facets``; ``no proximity``; ``no snippets``; ``no exact field`` (exact-word boost 0, so
  its posting lists are not read); ``matchers``: scoring through Whoosh's
  matchers instead of the bulk scorer (as before postings.py);
- ``fts5``: the peer.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from bench.common import export_docs, latency_summary, make_queries
from bench.peers import Fts5


def timed(run, queries: list[str], rounds: int) -> dict:
    for q in queries[:20]:
        run(q)
    cpu, wall = [], []
    for _ in range(rounds):
        for q in queries:
            c, w = time.process_time(), time.perf_counter()
            run(q)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
    return {**latency_summary(cpu, prefix="cpu_"), **latency_summary(wall, prefix="wall_")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from searchkit.index.generations import IndexStore
    from searchkit.query import rank as ranking
    from searchkit.query import snippets
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
    started = time.perf_counter()
    searcher.table  # noqa: B018  (built once per index generation)
    table_s = time.perf_counter() - started

    def full(q):
        return searcher.search(q, limit=10)

    def no_facets(q):
        return searcher.search(q, limit=10, facets=False)

    no_prox = Searcher(IndexStore(args.index), dataclasses.replace(searcher.params, proximity=0.0))

    def no_proximity(q):
        return no_prox.search(q, limit=10)

    boosts = {**searcher.params.boosts, "exact": 0.0}
    no_exact_searcher = Searcher(
        IndexStore(args.index), dataclasses.replace(searcher.params, boosts=boosts)
    )

    def no_exact(q):
        return no_exact_searcher.search(q, limit=10)

    def no_snippets(q):
        saved = snippets.make_snippet
        snippets.make_snippet = lambda text, light, **kw: []
        try:
            return searcher.search(q, limit=10)
        finally:
            snippets.make_snippet = saved

    def matchers(q):
        saved = ranking.term_groups
        ranking.term_groups = lambda q: None
        try:
            return searcher.search(q, limit=10)
        finally:
            ranking.term_groups = saved

    variants = {
        "full": full,
        "no facets": no_facets,
        "no proximity": no_proximity,
        "no snippets": no_snippets,
        "no exact field": no_exact,
        "matchers": matchers,
        "fts5": fts.query,
    }
    results = {name: timed(run, queries, args.rounds) for name, run in variants.items()}
    base = results["fts5"]["cpu_p50_ms"]
    print(
        f"{len(docs)} articles, {len(queries)} queries × {args.rounds} rounds; "
        f"story table built in {table_s:.2f} s (once per index generation)"
    )
    print(f"{'variant':<14} {'CPU p50':>9} {'CPU p99':>9} {'wall p50':>9} {'÷ FTS5 p50':>11}")
    for name, r in results.items():
        print(
            f"{name:<14} {r['cpu_p50_ms']:7.2f}ms {r['cpu_p99_ms']:7.2f}ms "
            f"{r['wall_p50_ms']:7.2f}ms {r['cpu_p50_ms'] / base:10.2f}×"
        )


if __name__ == "__main__":
    main()
