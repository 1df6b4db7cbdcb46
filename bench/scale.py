"""searchkit at 1k / 10k / 100k articles, side by side with SQLite FTS5, stock Whoosh and tantivy.

For each scale: generate the corpus (bench/corpus.py, cached), build searchkit's index from the files
(wall time, articles/s, peak memory), re-run the build with nothing changed, time dedup alone, size
the index on disk; export the segmented articles and build each peer on them; then run one fixed
query set against every engine (warm, in-process: p50/p99) and time the cold `search` command.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import searchkit
from bench.common import CACHE, ROOT, export_docs, latency_summary, make_queries
from bench.corpus import corpus_for
from bench.peers import PEERS, folder_size
from bench.worker import measure

# (index, queries, article ids, quick) -> the server's figures; bench/__main__ passes
# bench.web_load.scale_load, so this module and bench/web_load.py do not import each other.
ServerLoad = Callable[[Path, list[str], list[str], bool], dict]


def latencies(run, queries: list[str], rounds: int = 1) -> dict:
    for q in queries[: min(20, len(queries))]:  # warm caches and imports
        run(q)
    times = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            run(q)
            times.append(time.perf_counter() - started)
    return {**latency_summary(times), "queries": len(times)}


def cold_cli(index: Path, queries: list[str], runs: int) -> dict:
    exe = shutil.which("search", path=str(Path(sys.executable).parent)) or shutil.which("search")
    cmd = (
        [exe]
        if exe
        else [sys.executable, "-c", "from searchkit.cli import search_main; search_main()"]
    )
    env = {**os.environ, "SEARCHKIT_INDEX": str(index), "PYTHONPATH": str(ROOT)}
    # As users run it: with cached bytecode (this sandbox sets PYTHONDONTWRITEBYTECODE, which
    # would recompile searchkit's modules on every start).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [*cmd, queries[0]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    walls, baseline = [], []
    for i in range(runs):
        q = queries[i % len(queries)]
        started = time.perf_counter()
        subprocess.run(
            [*cmd, q], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        walls.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.perf_counter() - started)
    return {
        "median_s": statistics.median(walls),
        "python_start_s": statistics.median(baseline),
        "runs": runs,
    }


SEEDS_QUERIES = ["social credit blacklist", "wechat privacy", "sesame credit", "imessage spam"]


def seeds_cold_cli(runs: int) -> dict:
    """Cold ``search`` on the seeds, the README's corpus: a fresh process per query, index built."""
    index = CACHE / "seeds-index"
    shutil.rmtree(index, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "searchkit", "index", "--rebuild", "--quiet", str(ROOT / "seeds")],
        env={**os.environ, "SEARCHKIT_INDEX": str(index), "PYTHONPATH": str(ROOT)},
        check=True,
    )
    return cold_cli(index, SEEDS_QUERIES, runs)


def run_scale(
    articles: int,
    *,
    queries: int,
    cli_runs: int,
    peers: bool = True,
    quick: bool = False,
    server_load: ServerLoad | None = None,
) -> dict:
    """One scale: searchkit built and searched, then (with ``peers``) every peer on its articles.

    ``server_load`` measures ``searchkit serve`` on the index; without it there is no server row.
    """
    work = CACHE / f"run-{articles}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    corpus = corpus_for(articles)
    index = work / "index"
    print(f"[{articles}] building searchkit index…", file=sys.stderr)
    build = measure("build-ours", str(corpus), str(index))
    print(f"[{articles}] re-running with nothing changed…", file=sys.stderr)
    rebuild = measure("reindex-ours", str(corpus), str(index))
    print(f"[{articles}] dedup alone…", file=sys.stderr)
    dedup = measure("dedup", str(corpus))
    ix = searchkit.open(index)
    planted = json.loads((corpus / ".manifest.json").read_text(encoding="utf-8"))
    result: dict = {
        "articles": articles,
        "files": build["files"],
        # what the generator wrote vs what the pipeline found: segmentation and dedup at scale
        "planted": {
            "articles": planted["articles"] + planted["copies"],
            "copies": planted["copies"],
        },
        "indexed_articles": build["articles"],
        "duplicate_clusters": build["clusters"],
        "searchkit": {
            "build_s": build["wall_seconds"],
            "articles_per_s": build["articles"] / build["wall_seconds"],
            "peak_mib": build["peak_mib"],
            "noop_reindex_s": rebuild["wall_seconds"],
            "dedup_s": dedup["seconds"],
            "index_bytes": folder_size(ix.store.current()),
        },
        "peers": {},
    }
    docs_path = work / "docs.jsonl"
    docs = export_docs(index, docs_path)
    qs = make_queries(docs, queries)
    result["queries"] = len(qs)

    with ix:
        result["searchkit"].update(latencies(lambda q: ix.search(q, limit=10), qs))
    result["searchkit"]["cold_cli"] = cold_cli(index, qs, cli_runs)
    if server_load is not None:
        print(f"[{articles}] searchkit serve under load…", file=sys.stderr)
        result["searchkit"]["server"] = server_load(index, qs, [d.id for d in docs], quick)

    if peers:
        for peer in PEERS:
            print(f"[{articles}] {peer.name}…", file=sys.stderr)
            built = measure("build-peer", peer.__name__, str(docs_path), str(work))
            engine = peer(work)
            engine.open()
            stats = {
                "build_s": built["seconds"],
                "docs_per_s": built["docs"] / built["seconds"],
                "peak_mib": built["peak_mib"],
                "index_bytes": built["bytes"],
            }
            stats.update(latencies(engine.query, qs))
            result["peers"][peer.name] = stats
    shutil.rmtree(work / "whoosh", ignore_errors=True)
    return result
