"""The Dask path against the process pool: ``searchkit index --cluster local:N`` vs ``--workers N``.

    python -m bench.cluster [--articles 10000] [--workers 2] [--runs 3] [--quick]

In: a generated corpus (``bench.corpus``, cached in bench/.cache). Out: for each path, the median
of RUNS full builds (``--rebuild``), each in its own process (``bench.worker index-staged``, so
imports and, for the cluster, starting the LocalCluster are counted), split by stage (connect +
read, dedup, write, commit), and the ratio cluster / pool; bench/out/cluster.json, and one line per
figure on stdout. The two builds must agree on articles, distinct stories and duplicate clusters,
or the run stops: a faster path that builds another index is not a result.

Why the same machine for both, rather than a real cluster: it measures what the cluster path
costs (task round trips, pickling every file's postings back to the client, the band shuffle), the
one thing that decides whether adding machines can pay; docs/scale-out.md works out from it what
N machines could gain. The runs alternate (pool, cluster, pool, …) so drift on a shared machine
falls on both.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys

from bench.common import CACHE, OUT
from bench.corpus import corpus_for
from bench.worker import measure


def compare(articles: int, workers: int, runs: int) -> dict:
    corpus = corpus_for(articles)
    paths = {"pool": ("",), "cluster": (f"local:{workers}",)}
    measured: dict[str, list[dict]] = {name: [] for name in paths}
    for run in range(runs):
        for name, extra in paths.items():
            index = CACHE / f"cluster-bench-{name}"
            shutil.rmtree(index, ignore_errors=True)
            result = measure("index-staged", str(corpus), str(index), str(workers), *extra)
            measured[name].append(result)
            print(
                f"[{articles} articles] run {run + 1}/{runs} {name}: {result['seconds']:.2f} s "
                f"({', '.join(f'{k} {v:.2f}' for k, v in result['stages'].items())})",
                file=sys.stderr,
                flush=True,
            )
    facts = {
        name: {k: results[0][k] for k in ("files", "articles", "distinct", "clusters")}
        for name, results in measured.items()
    }
    if facts["pool"] != facts["cluster"]:
        raise SystemExit(f"the two paths built different indexes: {facts}")
    summary: dict = {"articles": articles, "workers": workers, "runs": runs, "index": facts["pool"]}
    for name, results in measured.items():
        summary[name] = {
            "seconds": statistics.median(r["seconds"] for r in results),
            "wall_seconds": statistics.median(r["wall_seconds"] for r in results),
            "client_peak_mib": max(r["peak_mib"] for r in results),
            "stages": {
                stage: statistics.median(r["stages"][stage] for r in results)
                for stage in results[0]["stages"]
            },
        }
    summary["ratio"] = summary["cluster"]["seconds"] / summary["pool"]["seconds"]
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[10_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 articles, one run")
    args = parser.parse_args(argv)
    scales, runs = ([1000], 1) if args.quick else (args.articles, args.runs)
    results = [compare(n, args.workers, runs) for n in scales]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cluster.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for r in results:
        print(
            f"{r['articles']} articles ({r['index']['files']} files), {r['workers']} workers: "
            f"pool {r['pool']['seconds']:.2f} s, cluster {r['cluster']['seconds']:.2f} s, "
            f"cluster / pool = {r['ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
