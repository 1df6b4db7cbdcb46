"""One measured step, run in its own process so its peak memory is its own.

    python -m bench.worker build-ours CORPUS INDEX
    python -m bench.worker reindex-ours CORPUS INDEX     (a re-run with nothing changed)
    python -m bench.worker index-ours CORPUS INDEX WORKERS  (a full build with that many processes)
    python -m bench.worker index-staged CORPUS INDEX WORKERS [CLUSTER]  (timed by stage; CLUSTER:
                                                         local:N or tcp://HOST:PORT for --cluster)
    python -m bench.worker noop-ours INDEX               (re-scan the index's remembered roots)
    python -m bench.worker dedup CORPUS
    python -m bench.worker build-peer NAME DOCS.jsonl OUTDIR

Each prints one JSON object on stdout. ``measure()`` runs a step and adds the child's wall time and
peak RSS (from wait4), so the numbers cover the whole process, imports included.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, read_docs


def measure(*args: str) -> dict:
    """Run ``python -m bench.worker ARGS`` and return its JSON plus wall seconds and peak MiB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.worker", *args], stdout=subprocess.PIPE, env=env, cwd=ROOT
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"bench worker {args} failed with status {status}")
    result = json.loads(out)
    result["wall_seconds"] = wall
    result["peak_mib"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


def _build_ours(corpus: str, index: str) -> dict:
    from searchkit.index.build import build_index
    from searchkit.index.generations import IndexStore

    report = build_index([corpus], IndexStore(index))
    return {"files": report.files, "articles": report.articles, "distinct": report.distinct,
            "clusters": report.duplicate_clusters, "skipped": len(report.skipped),
            "seconds": report.seconds}  # fmt: skip


def _reindex_ours(corpus: str, index: str) -> dict:
    """``searchkit index CORPUS`` on an index already holding it: only new or changed files are read."""
    from searchkit.index.build import update_index
    from searchkit.index.generations import IndexStore

    report = update_index([corpus], IndexStore(index))
    return {"files": report.files, "articles": report.articles, "files_read": report.files_read,
            "changed": report.changed, "seconds": report.seconds}  # fmt: skip


def _index_ours(corpus: str, index: str, workers: str) -> dict:
    from searchkit.index.build import update_index
    from searchkit.index.generations import IndexStore

    report = update_index([corpus], IndexStore(index), rebuild=True, workers=int(workers))
    return {"files": report.files, "articles": report.articles, "distinct": report.distinct,
            "clusters": report.duplicate_clusters, "skipped": len(report.skipped),
            "seconds": report.seconds}  # fmt: skip


def _index_staged(corpus: str, index: str, workers: str, cluster: str = "") -> dict:
    """A full build timed by stage (connect + read, dedup, write, commit): the process pool with
    WORKERS processes, or with CLUSTER (``local:N``, ``tcp://HOST:PORT``) the Dask path."""
    from searchkit.index.build import Progress, update_index
    from searchkit.index.generations import IndexStore

    marks: list[tuple[str, float]] = [("read", time.perf_counter())]
    progress = Progress(on_stage=lambda name: marks.append((name, time.perf_counter())))
    report = update_index([corpus], IndexStore(index), rebuild=True, workers=int(workers),
                          cluster=cluster or None, progress=progress)  # fmt: skip
    marks.append(("end", time.perf_counter()))
    stages = {name: later - at for (name, at), (_, later) in itertools.pairwise(marks)}
    return {"files": report.files, "articles": report.articles, "distinct": report.distinct,
            "clusters": report.duplicate_clusters, "skipped": len(report.skipped),
            "seconds": report.seconds, "stages": stages}  # fmt: skip


def _noop_ours(index: str) -> dict:
    from searchkit.index.build import update_index
    from searchkit.index.generations import IndexStore

    report = update_index([], IndexStore(index))
    return {"files": report.files_seen, "files_read": report.files_read,
            "changed": report.changed, "seconds": report.seconds}  # fmt: skip


def _dedup(corpus: str) -> dict:
    from searchkit.dedup import find_clusters
    from searchkit.ingest.discover import discover
    from searchkit.ingest.parallel import process_file

    articles, fingerprints = [], []
    for found in discover([corpus]):
        if hasattr(found, "size"):
            result = process_file(found)
            articles.extend(result.articles)
            fingerprints.extend(result.fingerprints)
    started = time.perf_counter()
    clusters = find_clusters(articles, fingerprints)
    seconds = time.perf_counter() - started
    return {"articles": len(articles), "clusters": sum(1 for c in clusters if c.duplicates),
            "seconds": seconds}  # fmt: skip


def _build_peer(name: str, docs_path: str, out: str) -> dict:
    from bench.peers import PEERS

    (engine_cls,) = [p for p in PEERS if p.__name__ == name]
    docs = read_docs(Path(docs_path))
    engine = engine_cls(Path(out))
    started = time.perf_counter()
    engine.build(docs)
    return {"docs": len(docs), "seconds": time.perf_counter() - started, "bytes": engine.size()}


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "build-ours":
        result = _build_ours(*args)
    elif command == "reindex-ours":
        result = _reindex_ours(*args)
    elif command == "index-ours":
        result = _index_ours(*args)
    elif command == "index-staged":
        result = _index_staged(*args)
    elif command == "noop-ours":
        result = _noop_ours(*args)
    elif command == "dedup":
        result = _dedup(*args)
    elif command == "build-peer":
        result = _build_peer(*args)
    else:
        raise SystemExit(f"unknown step {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
