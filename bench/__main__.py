"""One entry point for every benchmark: ``python -m bench [SUITE ...] [--quick]``.

With no SUITE it runs ``scale``: searchkit at 1k / 10k / 100k generated articles side by side with
SQLite FTS5, stock Whoosh and tantivy (build, memory, no-change re-run, dedup, index size, warm query
p50/p99, cold ``search``, server req/s), writing bench/out/results.json, bench/out/report.md and the
chart bench/out/scale.png. ``all`` runs every suite below, each in its own process, in one run.
``--quick`` makes every suite small (scale: 1k articles, 50 queries, 5 s of load).

Install the extras first: ``pip install -e '.[test,bench]'``. Cranfield is read from
../shared/ir/cranfield (the path can be given with ``--collection``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.common import CRANFIELD as COLLECTION
from bench.common import OUT, ROOT

# name -> (module, takes --quick, extra arguments, what it measures)
SUITES: dict[str, tuple[str, bool, list[str], str]] = {
    "scale": ("", True, [], "searchkit vs FTS5, stock Whoosh, tantivy at 1k/10k/100k articles"),
    "ingest": (
        "bench.ingest",
        True,
        [],
        "extraction quality vs trafilatura, throughput, no-change re-run",
    ),
    "extraction": ("bench.extraction", True, [], "HTML main text and metadata on 19 real pages"),
    "extraction-snippets": (
        "bench.extraction_snippets",
        True,
        [],
        "main text on trafilatura's 884 judged evaluation pages, vs trafilatura",
    ),
    "encodings": ("bench.encodings", False, [], "legacy-encoding detection"),
    "dedup": ("bench.dedup_threshold", False, [], "near-duplicate threshold on perturbed copies"),
    "web": ("bench.web_load", True, [], "searchkit serve under 16 concurrent clients"),
    "cluster": ("bench.cluster", True, [], "index --cluster local:2 vs the process pool"),
    "eval": (
        "searchkit",
        False,
        ["eval", "{collection}"],
        "nDCG@10/MRR/Recall on Cranfield vs FTS5",
    ),
    "cjk": ("bench.cjk", False, [], "Chinese: bigrams vs jieba"),
    "typos": ("bench.typos", False, ["{collection}"], "spelling correction precision/recall"),
    "matching": ("bench.matching", False, [], "when to show partial matches"),
}


def run_suite(name: str, quick: bool, collection: str) -> int:
    module, takes_quick, extra, _ = SUITES[name]
    args = [a.format(collection=collection) for a in extra]
    if takes_quick and quick:
        args.append("--quick")
    print(f"\n=== {name}: python -m {module} {' '.join(args)}", flush=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env).returncode


def run_scale(scales: list[int], queries: int, quick: bool, peers: bool) -> None:
    from bench.report import charts, markdown
    from bench.scale import run_scale as measure_scale
    from bench.scale import seeds_cold_cli
    from bench.web_load import scale_load

    OUT.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results: dict = {"scales": [], "started": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": quick}
    print("[seeds] cold search…", file=sys.stderr)
    results["seeds_cold_cli"] = seeds_cold_cli(11)
    for n in scales:
        results["scales"].append(
            measure_scale(
                n,
                queries=queries,
                cli_runs=5 if quick else 11,
                peers=peers,
                quick=quick,
                server_load=scale_load,
            )
        )
        (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    results["seconds"] = time.time() - started
    (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    report = markdown(results)
    (OUT / "report.md").write_text(report, encoding="utf-8")
    charts(results, OUT)
    print(report)
    print(f"results: {OUT / 'results.json'}; chart: {OUT / 'scale.png'}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        epilog="suites: " + "; ".join(f"{k}: {v[3]}" for k, v in SUITES.items()),
    )
    parser.add_argument("suites", nargs="*", default=["scale"], help="suites to run, or 'all'")
    parser.add_argument("--quick", action="store_true", help="small sizes everywhere")
    parser.add_argument("--scales", default="1000,10000,100000", help="article counts (scale)")
    parser.add_argument("--queries", type=int, default=200, help="query set size (scale)")
    parser.add_argument("--no-peers", action="store_true", help="scale: measure searchkit only")
    parser.add_argument("--collection", default=str(COLLECTION), help="Cranfield folder")
    args = parser.parse_args(argv)
    names = list(SUITES) if args.suites == ["all"] else args.suites
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(unknown)} (choose from {', '.join(SUITES)})")
    failed = []
    for name in names:
        if name == "scale":
            scales = [1000] if args.quick else [int(s) for s in args.scales.split(",")]
            run_scale(scales, 50 if args.quick else args.queries, args.quick, not args.no_peers)
        elif run_suite(name, args.quick, args.collection) != 0:
            failed.append(name)
    if failed:
        sys.exit(f"bench: suites failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
