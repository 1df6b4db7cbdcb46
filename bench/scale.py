"""searchkit at 1k / 10k / 100k articles, side by side with SQLite FTS5, stock Whoosh and tantivy.

For each scale: generate the corpus (bench/corpus.py, cached), build searchkit's index from the files
(wall time, articles/s, peak memory), re-run the build with nothing changed, time dedup alone, size
the index on disk; export the segmented articles and build each peer on them; then run one fixed
query set against every engine (warm, in-process: p50/p99) and time the cold `search` command.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from bench.corpus import generate
from bench.peers import PEERS, Doc, folder_size
from bench.worker import ROOT, measure

CACHE = ROOT / "bench" / ".cache"
STOPWORDS = STOP_WORDS | {"can", "could", "may", "might", "would", "should", "has", "had", "did"}


def corpus_for(articles: int, seed: int = 42) -> Path:
    folder = CACHE / f"gen-{articles}-seed{seed}"
    manifest = folder / ".manifest.json"
    if not manifest.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate(articles, folder, seed=seed)
    return folder


def export_docs(index: Path, out: Path) -> list[Doc]:
    """The articles as searchkit segmented them, for the peers to index."""
    from searchkit.index.generations import IndexStore

    ix = IndexStore(index).open()
    docs = []
    with ix.searcher() as searcher:
        for fields in searcher.documents(kind="article"):
            docs.append(Doc(fields["id"], fields["title"], fields["body"]))
    out.write_text("\n".join(json.dumps(dataclasses.asdict(d)) for d in docs), encoding="utf-8")
    return docs


def make_queries(docs: list[Doc], count: int, seed: int = 7) -> list[str]:
    """A fixed, reproducible query set: 1–3 topic words taken from titles, as users type them."""
    rng = random.Random(seed)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(re.findall(r"[a-z]{3,}", (d.title + " " + d.body).lower())))
    n = len(docs)
    useful = {w for w, c in df.items() if w not in STOPWORDS and 2 <= c <= max(3, n // 10)}
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


def latencies(run, queries: list[str], rounds: int = 1) -> dict:
    for q in queries[: min(20, len(queries))]:  # warm caches and imports
        run(q)
    times = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            run(q)
            times.append(time.perf_counter() - started)
    times.sort()
    return {
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
        "queries": len(times),
    }


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
    articles: int, *, queries: int, cli_runs: int, peers: bool = True, quick: bool = False
) -> dict:
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
    from searchkit.index.generations import IndexStore

    store = IndexStore(index)
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
            "index_bytes": folder_size(store.current()),
        },
        "peers": {},
    }
    docs_path = work / "docs.jsonl"
    docs = export_docs(index, docs_path)
    qs = make_queries(docs, queries)
    result["queries"] = len(qs)

    from searchkit.query.searcher import Searcher

    with Searcher(store) as searcher:
        result["searchkit"].update(latencies(lambda q: searcher.search(q, limit=10), qs))
    result["searchkit"]["cold_cli"] = cold_cli(index, qs, cli_runs)
    print(f"[{articles}] searchkit serve under load…", file=sys.stderr)
    from bench.web_load import load_server, request_mix

    ids = [d.id for d in docs]
    result["searchkit"]["server"] = load_server(
        index, request_mix(qs, ids, 2000), workers=1, clients=16, seconds=5.0 if quick else 30.0
    )

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
