"""Ingestion, side by side in one run: extraction quality, indexing throughput, no-change re-runs.

    python -m bench.ingest [--quick] [--articles N] [--noop-files N [--only-noop-files]]

1. Extraction quality on real news pages: searchkit vs trafilatura (``bench.extraction``).
2. Indexing throughput on a generated corpus (``bench.corpus``; 14,000 articles in about 10,400
   files by default, 1,000 with --quick): searchkit's whole pipeline (read, decode, split,
   fingerprint, dedup, index) with 2 processes and with 1, against stock Whoosh usage (default
   StemmingAnalyzer, one writer) indexing the same articles already extracted (title and body).
3. A re-run with nothing changed, in a fresh process (imports included), against the first build.
4. With --noop-files N: the no-change re-run of an index of N small files (one short article
   each), to check the re-run cost at the scale of issue 6's target (100k files), and the time to
   cluster all N stored fingerprints (what a run that changes anything does).
5. Choices behind the defaults: encoding detection (``bench.encodings``); the stemmer cache
   (Whoosh's LFU cache vs functools' LRU, on the corpus text plus a growing tail of rare words);
   reading the file manifest as one document per file vs one manifest document (100k files).

Each build runs in its own process (bench.worker), so timings include start-up and peak memory is
per step. The machine is shared: compare the ratios within one run. Results go to
bench/out/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import time
from pathlib import Path

from bench import encodings, extraction
from bench.common import CACHE, OUT, ROOT, export_docs
from bench.corpus import corpus_for
from bench.worker import measure


def throughput(articles: int, noop_runs: int) -> dict:
    corpus = corpus_for(articles)
    files = sum(1 for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))
    work = CACHE / f"ingest-{articles}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    two = measure("index-ours", str(corpus), str(work / "ours-2"), "2")
    one = measure("index-ours", str(corpus), str(work / "ours-1"), "1")
    docs = export_docs(work / "ours-2", work / "docs.jsonl")
    stock = measure("build-peer", "StockWhoosh", str(work / "docs.jsonl"), str(work / "stock"))
    noops = [measure("noop-ours", str(work / "ours-2")) for _ in range(noop_runs)]
    assert all(not n["changed"] and n["files_read"] == 0 for n in noops), noops
    noop_wall = statistics.median(n["wall_seconds"] for n in noops)
    return {
        "corpus": str(corpus.relative_to(ROOT)),
        "files": files,
        "articles": two["articles"],
        "distinct": two["distinct"],
        "ours_2_procs": {
            "wall_s": two["wall_seconds"],
            "articles_per_s": two["articles"] / two["wall_seconds"],
            "peak_mib": two["peak_mib"],
        },
        "ours_1_proc": {
            "wall_s": one["wall_seconds"],
            "articles_per_s": one["articles"] / one["wall_seconds"],
            "peak_mib": one["peak_mib"],
        },
        "stock_whoosh": {
            "wall_s": stock["wall_seconds"],
            "articles_per_s": len(docs) / stock["wall_seconds"],
            "peak_mib": stock["peak_mib"],
        },
        "noop": {
            "wall_s": noop_wall,
            "in_process_s": statistics.median(n["seconds"] for n in noops),
            "share_of_build": noop_wall / two["wall_seconds"],
        },
    }


def write_small_files(folder: Path, count: int, seed: int = 5) -> None:
    """``count`` one-article text files of 40-80 words, in folders of 1,000."""
    vocabulary = sorted(
        {
            w.strip(".,;:!?\"'()[]“”‘’").lower()
            for p in sorted((ROOT / "seeds").glob("*.txt"))
            for w in p.read_text(encoding="utf-8").split()
            if w.isascii() and w.strip(".,;:!?\"'()[]").isalpha()
        }
    )
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(count):
        sub = folder / f"{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir()
        title = " ".join(rng.choice(vocabulary) for _ in range(5)).capitalize()
        body = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 80)))
        (sub / f"note_{i:06d}.txt").write_text(f"{title}\n\n{body.capitalize()}.\n")


def noop_at_scale(count: int, noop_runs: int) -> dict:
    folder = CACHE / f"small-{count}"
    index = CACHE / f"small-{count}-index"
    if not (folder / ".done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        write_small_files(folder, count)
        (folder / ".done").write_text("")
    shutil.rmtree(index, ignore_errors=True)
    build = measure("index-ours", str(folder), str(index), "2")
    noops = [measure("noop-ours", str(index)) for _ in range(noop_runs)]
    assert all(not n["changed"] and n["files_read"] == 0 for n in noops), noops
    dedup = dedup_stored(index)
    return {
        "dedup_articles": dedup["articles"],
        "dedup_s": dedup["seconds"],
        "files": count,
        "articles": build["articles"],
        "build_wall_s": build["wall_seconds"],
        "noop_wall_s": statistics.median(n["wall_seconds"] for n in noops),
        "noop_in_process_s": statistics.median(n["seconds"] for n in noops),
        "noop_peak_mib": max(n["peak_mib"] for n in noops),
    }


def stem_cache(corpus: Path) -> dict:
    """Text analysis of the corpus with Whoosh's LFU stem cache and with functools' LRU cache."""
    from whoosh.analysis import LowercaseFilter, StemFilter, StopFilter
    from whoosh.lang.porter import stem as porter_stem

    from searchkit.analysis import CJKBigramTokenizer, stem

    rng = random.Random(1)
    texts = [
        p.read_text(encoding="utf-8")
        + " "
        + " ".join(f"x{rng.choice('abcdefgh')}{rng.randrange(10**6)}" for _ in range(200))
        for p in sorted(corpus.rglob("*.txt"))
    ]
    words = sum(len(t.split()) for t in texts)
    chains = {
        "whoosh_lfu": lambda: StemFilter(stemfn=porter_stem, cachesize=100_000),
        "functools_lru": lambda: StemFilter(stemfn=stem, cachesize=None),
    }
    best: dict[str, float] = {}
    for name in [*chains, *chains]:  # interleaved, best of two: the machine is shared
        analyzer = CJKBigramTokenizer() | LowercaseFilter() | StopFilter(minsize=1) | chains[name]()
        stem.cache_clear()
        started = time.perf_counter()
        for text in texts:
            for _ in analyzer(text, positions=True):
                pass
        best[name] = min(best.get(name, 1e9), time.perf_counter() - started)
    return {"words": words, **best}


def manifest_read(files: int) -> dict:
    """Reading what a re-run needs for ``files`` files: one stored document each, or one in all."""
    from whoosh import index
    from whoosh.fields import ID, STORED, Schema

    folder = CACHE / f"manifest-read-{files}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ix = index.create_in(
        str(folder), Schema(kind=ID(stored=True), id=ID(stored=True), meta=STORED())
    )
    writer = ix.writer(limitmb=256)
    table = {}
    for i in range(files):
        rel = f"root/dir{i % 100}/file{i:06d}.txt"
        record = (1234 + i, 1.7e9 + i, f"{i:064x}", "utf-8", [f"{i:012x}"], None)
        table[rel] = record
        writer.add_document(kind="file", id="file:" + rel, meta=record)
    writer.add_document(kind="manifest", id="manifest", meta={"files": table})
    writer.commit()
    with index.open_dir(str(folder)).searcher() as searcher:
        reader = searcher.reader()
        started = time.perf_counter()
        per_file = [reader.stored_fields(n) for n in reader.postings("kind", b"file").all_ids()]
        per_file_s = time.perf_counter() - started
        started = time.perf_counter()
        one = searcher.document(id="manifest")
        one_s = time.perf_counter() - started
    assert len(per_file) == len(one["meta"]["files"]) == files
    shutil.rmtree(folder, ignore_errors=True)
    return {"files": files, "per_file_docs_s": per_file_s, "one_manifest_doc_s": one_s}


def dedup_stored(index: Path) -> dict:
    """Clustering every article of an index from its stored dedup table (what a changed run does)."""
    from searchkit.dedup import cluster_items
    from searchkit.index.generations import IndexStore
    from searchkit.index.manifest import load_dedup

    items, _ = load_dedup(IndexStore(index))
    ordered = [items[k] for k in sorted(items)]
    started = time.perf_counter()
    clusters = cluster_items(ordered)
    return {
        "articles": len(ordered),
        "clusters": sum(1 for c in clusters if c.duplicates),
        "seconds": time.perf_counter() - started,
    }


def markdown(results: dict) -> str:
    lines = []
    ex = results["extraction"]["extraction"]
    lines.append(f"Extraction ({ex['searchkit']['pages']} real news pages, bench/extraction):\n")
    lines.append("| extractor | body token F1 (mean) | title | authors | date | ms/page |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for name, r in ex.items():
        lines.append(
            f"| {name} | {r['body_f1_mean']:.3f} | {r['title_accuracy']:.2f} | "
            f"{r['author_accuracy']:.2f} | {r['date_accuracy']:.2f} | {r['ms_per_page']:.0f} |"
        )
    t = results["throughput"]
    lines.append(
        f"\nIndexing {t['articles']:,} articles ({t['distinct']:,} distinct) from {t['files']:,} "
        f"files ({t['corpus']}):\n"
    )
    lines.append("| what | wall s | articles/s | peak MiB | vs stock Whoosh |")
    lines.append("| --- | --- | --- | --- | --- |")
    stock_rate = t["stock_whoosh"]["articles_per_s"]
    for label, key in (
        ("searchkit, 2 processes (whole pipeline)", "ours_2_procs"),
        ("searchkit, 1 process (whole pipeline)", "ours_1_proc"),
        ("stock Whoosh (extracted title+body only)", "stock_whoosh"),
    ):
        r = t[key]
        lines.append(
            f"| {label} | {r['wall_s']:.1f} | {r['articles_per_s']:.0f} | {r['peak_mib']:.0f} | "
            f"{r['articles_per_s'] / stock_rate:.2f}x |"
        )
    n = t["noop"]
    lines.append(
        f"\nNo-change re-run (fresh process, median): {n['wall_s']:.2f} s wall "
        f"({n['in_process_s']:.2f} s in the library) = {100 * n['share_of_build']:.1f} % of the "
        "2-process build."
    )
    if "noop_scale" in results:
        s = results["noop_scale"]
        lines.append(
            f"\nNo-change re-run at {s['files']:,} small files ({s['articles']:,} articles; built in "
            f"{s['build_wall_s']:.0f} s): {s['noop_wall_s']:.2f} s wall "
            f"({s['noop_in_process_s']:.2f} s in the library, peak {s['noop_peak_mib']:.0f} MiB). "
            f"Clustering its {s['dedup_articles']:,} stored fingerprints: {s['dedup_s']:.1f} s."
        )
    e = results["encodings"]
    lines.append("\nEncoding detection (bench.encodings, 11 legacy-encoded samples):\n")
    lines.append("| detector | right | ms/file |")
    lines.append("| --- | --- | --- |")
    for name, r in e.items():
        lines.append(f"| {name} | {r['right']}/{r['samples']} | {r['ms_per_file']:.1f} |")
    c = results["stem_cache"]
    lines.append(
        f"\nAnalysing {c['words']:,} words: Whoosh's LFU stem cache {c['whoosh_lfu']:.2f} s, "
        f"functools' LRU cache {c['functools_lru']:.2f} s "
        f"({c['whoosh_lfu'] / c['functools_lru']:.2f}x)."
    )
    m = results["manifest_read"]
    lines.append(
        f"\nReading the manifest of {m['files']:,} files: one stored document per file "
        f"{m['per_file_docs_s']:.2f} s, one manifest document {m['one_manifest_doc_s']:.2f} s "
        f"({m['per_file_docs_s'] / m['one_manifest_doc_s']:.0f}x)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 articles, 6 pages")
    parser.add_argument("--articles", type=int, default=14_000)
    parser.add_argument("--noop-files", type=int, default=0, help="also measure at N small files")
    parser.add_argument(
        "--only-noop-files", action="store_true", help="measure only the --noop-files part"
    )
    args = parser.parse_args(argv)
    started = time.time()
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S")}
    if args.only_noop_files:
        results["noop_scale"] = noop_at_scale(args.noop_files or 100_000, 3)
        print(json.dumps(results["noop_scale"], indent=2))
        return results
    results["extraction"] = extraction.main(["--quick"] if args.quick else [])
    results["encodings"] = encodings.main([])
    results["throughput"] = throughput(1000 if args.quick else args.articles, 3)
    results["stem_cache"] = stem_cache(corpus_for(1000 if args.quick else 3000))
    results["manifest_read"] = manifest_read(10_000 if args.quick else 100_000)
    if args.noop_files:
        results["noop_scale"] = noop_at_scale(args.noop_files, 3)
    results["seconds"] = time.time() - started
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ingest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print()
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
