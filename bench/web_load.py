"""`searchkit serve` under load: 16 concurrent clients for 30 s -> req/s, p50/p99 latency, errors.

Starts the real server (``python -m searchkit serve``) on a free loopback port and drives it with a
small asyncio HTTP/1.1 client (keep-alive connections, one request at a time each, like browsers
and scripts do). The request mix is what people do with the page: 70 % JSON searches
(``/api/search``), 20 % result pages (``/?q=``), 10 % article pages. Queries are 1–3 title words
of random articles in the index (the scale benchmark's query maker), so they find things.

Side by side in one run: 1 and 2 server processes (``--workers``), and the same searches made
in-process without HTTP (the ceiling: what the search library alone does on one core). The load
client runs on the same 2-core machine as the server, so it takes some of the CPU it measures.

    python -m bench.web_load                 # seeds, 16 clients, 30 s per configuration
    python -m bench.web_load --quick         # 5 s per configuration
    python -m bench.web_load --articles 10000   # a generated corpus (bench/corpus.py, cached)

Every request goes to 127.0.0.1 and the run stops by itself when its time is up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import searchkit
from bench.common import CACHE, OUT, ROOT, index_docs, latency_summary, make_queries
from bench.corpus import corpus_for

MIX = (("api", 0.7), ("page", 0.2), ("article", 0.1))


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def summarise(tally: Tally, seconds: float) -> dict:
    every = [t for values in tally.latencies.values() for t in values]
    empty = {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None}
    out = {
        "requests": len(every),
        "req_per_s": len(every) / seconds,
        **(latency_summary(every) if every else empty),
        "errors": sum(tally.errors.values()),
        "by_kind": {},
    }
    for kind, values in sorted(tally.latencies.items()):
        out["by_kind"][kind] = {
            "requests": len(values),
            **latency_summary(values),
            "errors": tally.errors.get(kind, 0),
        }
    return out


# --- the load client ------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked body); return its status."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length = None
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def one_client(
    port: int, requests: list[tuple[str, str]], start: int, deadline: float, tally: Tally
) -> None:
    reader = writer = None
    i = start
    while time.perf_counter() < deadline:
        kind, path = requests[i % len(requests)]
        i += 1
        began = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n\r\n".encode()
            )
            await writer.drain()
            status = await _read_response(reader)
            tally.add(kind, time.perf_counter() - began, status == 200)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            tally.add(kind, time.perf_counter() - began, False)
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def drive(port: int, requests: list[tuple[str, str]], clients: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.perf_counter() + seconds
    step = max(1, len(requests) // clients)
    await asyncio.gather(
        *(one_client(port, requests, n * step, deadline, tally) for n in range(clients))
    )
    return tally


def request_mix(queries: list[str], article_ids: list[str], count: int, seed: int = 11) -> list:
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    mix = []
    for n in range(count):
        kind = rng.choices(kinds, weights)[0]
        q = queries[n % len(queries)]
        if kind == "api":
            mix.append((kind, "/api/search?" + urlencode({"q": q})))
        elif kind == "page":
            mix.append((kind, "/?" + urlencode({"q": q})))
        else:
            mix.append((kind, f"/articles/{rng.choice(article_ids)}"))
    return mix


# --- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``python -m searchkit serve`` in a child process, up until ``stop()``."""

    def __init__(self, index: Path, workers: int, *extra: str) -> None:
        self.port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("SEARCHKIT_INDEX", None)
        cmd = [sys.executable, "-m", "searchkit", "serve", "--index", str(index)]
        cmd += ["--port", str(self.port), "--workers", str(workers), *extra]
        self.process = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("server did not start within 60 s") from None
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                # after the command name: state, ppid, ..., utime (12th), stime (13th)
                stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
        tree, total = {self.process.pid}, 0
        changed = True
        while changed:
            children = {pid for pid, (ppid, _) in stats.items() if ppid in tree} - tree
            changed = bool(children)
            tree |= children
        for pid in tree:
            total += stats.get(pid, (0, 0))[1]
        return total / tick

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT, as Ctrl+C
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- one run --------------------------------------------------------------------------------------


def index_for(articles: int | None) -> Path:
    """The seeds' index, or one of a generated corpus of ``articles`` (both cached)."""
    from searchkit.index.build import build_index
    from searchkit.index.generations import IndexStore

    if articles is None:
        corpus, index = ROOT / "seeds", CACHE / "web-seeds-index"
    else:
        corpus, index = corpus_for(articles), CACHE / f"web-gen-{articles}-index"
    store = IndexStore(index)
    if not store.is_current_schema():
        import shutil

        shutil.rmtree(index, ignore_errors=True)
        build_index([corpus], store)
    return index


def queries_and_ids(index: Path, count: int) -> tuple[list[str], list[str]]:
    """The query set over the index's stories (one article each) and those articles' ids."""
    docs = index_docs(index, canonical=True)
    return make_queries(docs, count), [d.id for d in docs]


def in_process(index: Path, queries: list[str], seconds: float) -> dict:
    """The same searches and JSON rendering without HTTP, one after another, for ``seconds``."""
    from searchkit.render import results_json

    times = []
    cpu_before = time.process_time()
    with searchkit.open(index) as ix:
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            json.dumps(results_json(ix.search(queries[i % len(queries)])))
            times.append(time.perf_counter() - began)
            i += 1
    cpu = time.process_time() - cpu_before
    return {
        "cpu_ms_per_request": 1000 * cpu / max(1, len(times)),
        "requests": len(times),
        "req_per_s": len(times) / seconds,
        **latency_summary(times),
        "errors": 0,
    }


def load_server(index: Path, requests: list, workers: int, clients: int, seconds: float) -> dict:
    """Start `searchkit serve` on ``index``, warm it, drive ``clients`` for ``seconds``, stop it."""
    server = Server(index, workers)
    try:
        asyncio.run(drive(server.port, requests[:200], clients, min(2.0, seconds)))  # warm
        cpu_before, client_before = server.cpu_seconds(), time.process_time()
        tally = asyncio.run(drive(server.port, requests, clients, seconds))
        cpu = server.cpu_seconds() - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        server.stop()
    summary = summarise(tally, seconds)
    # CPU per request: how much work a request costs, whatever else the machine is doing.
    summary["cpu_ms_per_request"] = 1000 * cpu / max(1, summary["requests"])
    summary["server_cores_used"] = cpu / seconds
    summary["client_cores_used"] = client_cpu / seconds
    return summary


def scale_load(index: Path, queries: list[str], article_ids: list[str], quick: bool) -> dict:
    """The scale benchmark's server row: one worker, 16 clients, 30 s (5 s with ``quick``)."""
    requests = request_mix(queries, article_ids, 2000)
    return load_server(index, requests, workers=1, clients=16, seconds=5.0 if quick else 30.0)


def run_web_load(
    *,
    quick: bool = False,
    clients: int = 16,
    seconds: float | None = None,
    workers: tuple[int, ...] = (1, 2),
    articles: int | None = None,
) -> dict:
    """Every configuration in one run; the dict is what ``python -m bench`` can fold in."""
    seconds = seconds if seconds is not None else (5.0 if quick else 30.0)
    index = index_for(articles)
    queries, ids = queries_and_ids(index, 200)
    requests = request_mix(queries, ids, 2000)
    results: dict = {
        "corpus": "seeds" if articles is None else f"generated, {articles} articles",
        "clients": clients,
        "seconds": seconds,
        "mix": dict(MIX),
        "servers": {},
    }
    for count in workers:
        name = f"{count} worker{'s' if count > 1 else ''}"
        results["servers"][name] = load_server(index, requests, count, clients, seconds)
    results["in_process"] = in_process(index, queries, min(seconds, 10.0))
    return results


def markdown(results: dict) -> str:
    lines = [
        f"{results['clients']} clients, {results['seconds']:.0f} s per row, corpus: "
        f"{results['corpus']}; mix: 70 % /api/search, 20 % result pages, 10 % article pages.",
        "",
        "| server | requests | req/s | p50 | p99 | errors | CPU per request | search API p50 / p99 | "
        "result page p50 / p99 | article p50 / p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    base = None
    for name, r in results["servers"].items():
        base = base or r["req_per_s"]
        kinds = r["by_kind"]
        cells = [
            f"{kinds[k]['p50_ms']:.1f} / {kinds[k]['p99_ms']:.1f} ms" if k in kinds else "–"
            for k in ("api", "page", "article")
        ]
        lines.append(
            f"| {name} | {r['requests']:,} | {r['req_per_s']:.0f} ({r['req_per_s'] / base:.2f}×) | "
            f"{r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['errors']} | "
            f"{r['cpu_ms_per_request']:.1f} ms | " + " | ".join(cells) + " |"
        )
    used = ", ".join(
        f"{name}: server {r['server_cores_used']:.2f}, load client {r['client_cores_used']:.2f}"
        for name, r in results["servers"].items()
    )
    ip = results["in_process"]
    lines.append(
        f"| no HTTP (Searcher + JSON in-process, one thread, searches only) | {ip['requests']:,} | "
        f"{ip['req_per_s']:.0f} | {ip['p50_ms']:.1f} ms | {ip['p99_ms']:.1f} ms | 0 | "
        f"{ip['cpu_ms_per_request']:.1f} ms | – | – | – |"
    )
    lines += ["", f"Cores busy during the runs: {used}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.web_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="5 s per configuration")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=None, help="per configuration (30)")
    parser.add_argument("--workers", default="1,2", help="server processes to compare")
    parser.add_argument("--articles", type=int, default=None, help="generated corpus size")
    args = parser.parse_args(argv)
    results = run_web_load(
        quick=args.quick,
        clients=args.clients,
        seconds=args.seconds,
        workers=tuple(int(w) for w in args.workers.split(",")),
        articles=args.articles,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "web_load.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(markdown(results))
    print(f"results: {OUT / 'web_load.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
