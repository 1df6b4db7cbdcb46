"""One entry point for every benchmark: ``python -m bench`` (``--quick`` for a fast pass).

Runs the scale benchmark (searchkit vs SQLite FTS5, stock Whoosh, tantivy at 1k/10k/100k generated
articles; --quick: 1k only, fewer queries), writes bench/out/results.json, a markdown table
(bench/out/report.md) and charts (bench/out/*.png) to copy into docs/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench.report import charts, markdown
from bench.scale import run_scale
from bench.worker import ROOT

OUT = ROOT / "bench" / "out"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k articles only, 50 queries")
    parser.add_argument(
        "--scales", default="1000,10000,100000", help="comma-separated article counts"
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-peers", action="store_true", help="measure searchkit only")
    args = parser.parse_args(argv)
    scales = [1000] if args.quick else [int(s) for s in args.scales.split(",")]
    queries = 50 if args.quick else args.queries
    cli_runs = 5 if args.quick else 11

    OUT.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results = {"scales": [], "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    for n in scales:
        results["scales"].append(
            run_scale(n, queries=queries, cli_runs=cli_runs, peers=not args.no_peers)
        )
        (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    results["seconds"] = time.time() - started
    (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    report = markdown(results)
    (OUT / "report.md").write_text(report, encoding="utf-8")
    charts(results, OUT)
    print(report)
    print(f"results: {OUT / 'results.json'}; charts: {OUT}/*.png", file=sys.stderr)


if __name__ == "__main__":
    main()
