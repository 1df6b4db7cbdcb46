"""The long hostile-input and fault suite: the red team's classes of attack -> held / failed per class.

tests/test_hostile.py and its neighbours keep one regression test per finding of issue 15; this
runs many cases of each class against the real programs (``searchkit index`` in a child process,
``searchkit serve`` on a loopback port) and reports in the red team's form: cases tried per
class, how many held, each failure named, and the load the server held (req/s, p99, errors)
while a client sent pathological queries without pause.

    python -m bench.hostile              # 3,000 generated articles (bench/corpus.py, cached)
    python -m bench.hostile --quick      # fewer cases, 5 s of load

What "held" means, class by class:
- hostile files: each file indexed by ``searchkit index`` beside one plain page: exit 0 within
  ``FILE_SECONDS``, no traceback, the file indexed or counted as a skip with its reason, and
  nothing it holds reaching the terminal as an escape sequence (``search`` over it included).
- killed indexer: SIGKILL to the indexer's main process at a random moment: the previous index
  still answers, and the next run (``--no-wait``) takes the lock and completes.
- pathological queries: through the server, an answer (200, or 400 with a message) within the
  server's time limit plus ``GRACE_SECONDS``, never a 5xx.
- fuzzed requests: random parameters on every route: never a 5xx.
- raw socket probes: the server answers each with a 4xx (or closes the connection) and still
  answers ``/healthz`` afterwards; a client whose headers never finish gets 408.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.common import OUT, ROOT
from bench.web_load import (
    Server,
    Tally,
    index_for,
    one_client,
    queries_and_ids,
    request_mix,
    summarise,
)
from searchkit.web.protocol import HEADER_SECONDS
from searchkit.web.shared import SEARCH_TIME_LIMIT

FILE_SECONDS = 60.0  # one hostile file indexed alone; a clean file takes about 1 s (start-up)
GRACE_SECONDS = 1.5  # a search past its time limit: the step in hand finishes, then rendering
ESC = "\x1b"
COMPANION = "Quokka census\n\nA plain note beside the hostile file, about quokkas on Rottnest.\n"


@dataclass
class ClassResult:
    """One class of attack: how many cases were tried, and each one that failed, with why."""

    name: str
    tried: int = 0
    failures: list[str] = field(default_factory=list)
    worst_seconds: float = 0.0

    def record(self, case: str, held: bool, why: str = "", seconds: float = 0.0) -> None:
        self.tried += 1
        self.worst_seconds = max(self.worst_seconds, seconds)
        if not held:
            self.failures.append(f"{case}: {why}")

    @property
    def held(self) -> int:
        return self.tried - len(self.failures)


# --- hostile files ------------------------------------------------------------------------------


def hostile_files(quick: bool) -> dict[str, Callable[[Path], None]]:
    """name -> a function writing that case's file(s) into an empty folder."""
    big = 40_000 if quick else 400_000
    escapes = "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\x9b31m"

    def text(name: str, content: str | bytes) -> Callable[[Path], None]:
        def write(folder: Path) -> None:
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / name).write_bytes(data)

        return write

    def bad_name(folder: Path) -> None:
        os.close(os.open(os.fsencode(folder) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY))
        (folder / "ok.txt").write_text("A plain note about the Great Firewall.\n")

    def loop(folder: Path) -> None:
        (folder / "sub").mkdir()
        (folder / "sub" / "loop").symlink_to("..")
        (folder / "sub" / "a.txt").write_text("Inside a folder that links to itself.\n")

    para = "<p>Sesame Credit scores citizens by their shopping.</p>"
    return {
        "markdown: a line of spaces then a list item": text("spaces.md", " " * big + "- x\n"),
        "markdown: table rule of spaces": text("rule.md", "|" + " " * big + "|\n|---|\n"),
        "markdown: deeply nested list": text(
            "nested.md", "".join("  " * i + "- item\n" for i in range(big // 200))
        ),
        "markdown: heading of hashes": text("hashes.md", "#" * big + " title\n"),
        "html: 20,000 nested divs": text(
            "deep.html", "<html><body>" + "<div>" * 20_000 + para + "</div>" * 20_000
        ),
        "html: one 5 MB line": text("line.html", "<p>" + "word " * (1_000_000 if not quick else 100_000)),
        "html: unclosed comment and script": text("open.html", "<p>x</p><!-- <script>" + "a" * big),
        "html: charset that does not exist": text(
            "charset.html", '<meta charset="x-no-such">' + para
        ),
        "html: escape sequences in title and body": text(
            "escapes.html", f"<title>Bank {escapes} login</title><p>zanzibar {escapes}</p>" * 3
        ),
        "text: NUL bytes": text("nul.txt", b"Sesame\x00Credit\x00" * 1000),
        "text: invalid UTF-8": text("invalid.txt", b"Social credit \xff\xfe\xc3\x28 score\n" * 100),
        "text: UTF-16 without a BOM": text(
            "utf16.txt", "WeChat privacy policy, in UTF-16.\n".encode("utf-16-le") * 50
        ),
        "text: random bytes named .html": text("noise.html", random.Random(5).randbytes(200_000)),
        "text: empty": text("empty.txt", b""),
        "text: one word repeated a million times": text("same.txt", "blacklist " * 1_000_000),
        "json lines: malformed and deeply nested": text(
            "records.jsonl", '{"title": "x"\n' + "[" * 100_000 + "\n" + '{"text": 5}\n'
        ),
        "file name not UTF-8": bad_name,
        "folder that links to itself": loop,
    }


def run_index(corpus: Path, index: Path, *extra: str, timeout: float = FILE_SECONDS):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "searchkit", "index", str(corpus), "--index", str(index), *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def _search_output(index: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "searchkit", "search", "quokkas OR zanzibar OR bank",
           "--index", str(index), "--color", "always"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    # Our own styling (SGR colours) is allowed; anything else from a page is not.
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def files_class(quick: bool) -> ClassResult:
    result = ClassResult("hostile files (each beside one plain page)")
    for case, write in hostile_files(quick).items():
        with tempfile.TemporaryDirectory() as tmp:
            corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
            corpus.mkdir()
            write(corpus)
            # A plain page beside it: a run that finds nothing at all is (rightly) an error.
            (corpus / "companion.txt").write_text(COMPANION, encoding="utf-8")
            began = time.perf_counter()
            try:
                done = run_index(corpus, index)
            except subprocess.TimeoutExpired:
                result.record(case, False, f"still running after {FILE_SECONDS:.0f} s", FILE_SECONDS)
                continue
            seconds = time.perf_counter() - began
            output = done.stdout + done.stderr
            if done.returncode != 0:
                result.record(case, False, f"exit {done.returncode}: {output.strip()[-200:]}", seconds)
            elif "Traceback" in output:
                result.record(case, False, "a traceback", seconds)
            elif ESC in output or ESC in _search_output(index):
                result.record(case, False, "an escape sequence reached the terminal", seconds)
            else:
                result.record(case, True, seconds=seconds)
    return result


# --- a killed indexer -----------------------------------------------------------------------------


def kill_class(corpus: Path, kills: int) -> ClassResult:
    """SIGKILL the indexer's main process at random moments of a full rebuild."""
    result = ClassResult("indexer killed (SIGKILL to the main process)")
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        run_index(corpus, index, "-q", timeout=900)  # the previous index every kill must keep
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for n in range(kills):
            wait = rng.uniform(0.5, 8.0)
            cmd = [sys.executable, "-m", "searchkit", "index", str(corpus), "--index", str(index)]
            process = subprocess.Popen(
                [*cmd, "--rebuild", "-q"], env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            time.sleep(wait)
            process.send_signal(signal.SIGKILL)
            process.wait()
            case = f"kill {n + 1} after {wait:.1f} s"
            answers = subprocess.run(
                [sys.executable, "-m", "searchkit", "search", "china", "--json",
                 "--index", str(index)],
                env=env, capture_output=True, text=True, timeout=120,
            )
            if answers.returncode != 0 or not json.loads(answers.stdout)["hits"]:
                result.record(case, False, f"the previous index stopped answering: {answers.stderr}")
                continue
            began = time.perf_counter()
            try:
                again = run_index(corpus, index, "--no-wait", "-q", timeout=900)
            except subprocess.TimeoutExpired:
                result.record(case, False, "the next run did not finish")
                continue
            ok = again.returncode == 0
            result.record(case, ok, again.stderr.strip()[-200:], time.perf_counter() - began)
    return result


# --- the server: queries, fuzzing, raw sockets -----------------------------------------------------


PATHOLOGICAL = [
    "*", "a*", "a* b*", "a* OR b*", " OR ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz"),
    " ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz"),
    " OR ".join(f"{c}{d}*" for c in "abcdefgh" for d in "aeiou"),
    "*a*", "?*?*?*", "a?" * 20, "title:*", "body:s*", "exact:c*",
    "china~3 OR social~3 OR credit~3", "date:[0001 to 9999]", "title:[a to z]",
    "NOT china", "NOT a*", "(" * 200 + "china" + ")" * 200, '"' + "china " * 150 + '"',
    " OR ".join(["china"] * 150), "china " * 160, "x" * 999, '"a b" OR "c d" OR "e f" OR "g h"',
    "\x00\x1b[2J", "%s%n%x", "../../../../etc/passwd", "<script>alert(1)</script>",
]


def _get(url: str, timeout: float = 120) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def query_class(server: Server) -> ClassResult:
    result = ClassResult(f"pathological queries (server time limit {SEARCH_TIME_LIMIT:g} s)")
    for q in PATHOLOGICAL:
        for route in ("/api/search?", "/?"):
            began = time.perf_counter()
            status, _ = _get(server.url(route + urlencode({"q": q})))
            seconds = time.perf_counter() - began
            case = f"{route[:-1]} {q[:40]!r}"
            if status >= 500:
                result.record(case, False, f"HTTP {status}", seconds)
            elif seconds > SEARCH_TIME_LIMIT + GRACE_SECONDS:
                result.record(case, False, f"{seconds:.1f} s", seconds)
            else:
                result.record(case, True, seconds=seconds)
    return result


def fuzz_class(server: Server, article_ids: list[str], cases: int) -> ClassResult:
    result = ClassResult("fuzzed requests (random parameters, every route)")
    rng = random.Random(17)
    alphabet = "ab *?~\"()[]{}:^-+!&|\\/%\x00\x1b\u202e漢字é\ud7ff😀<>'=;,."
    names = ["q", "page", "limit", "sort", "site", "author", "category", "year", "since", "until"]

    def junk() -> str:
        kind = rng.random()
        if kind < 0.2:
            return str(rng.choice([-1, 0, 10**30, 2**63, "1e9", "NaN", "", "2019-02-30"]))
        if kind < 0.3:
            return "2019-01-01" + "x" * rng.randint(1, 60)
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))

    for _ in range(cases):
        params = [(rng.choice(names), junk()) for _ in range(rng.randint(0, 5))]
        ident = rng.choice(article_ids) if rng.random() < 0.5 else junk()
        route = rng.choice(
            ["/api/search?", "/?", f"/api/articles/{ident}?", f"/articles/{ident}?",
             f"/api/articles/{ident}/similar?", "/api/stats?"]
        )
        path = urllib.request.quote(route.split("?")[0], safe="/") + "?" + urlencode(params)
        status, _ = _get(server.url(path))
        result.record(path[:60], status < 500, f"HTTP {status}")
    return result


RAW_PROBES: dict[str, bytes] = {
    "garbage request line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "HTTP/0.9 request": b"GET /\r\n\r\n",
    "unknown method": b"BREW /api/search?q=a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "100 KB header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: " + b"a" * 100_000 + b"\r\n\r\n",
    "10,000 headers": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X: y\r\n" * 10_000 + b"\r\n",
    "foreign Host": b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    "no Host": b"GET / HTTP/1.1\r\n\r\n",
    "cross-site fetch": (
        b"GET /api/search?q=a* HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Site: cross-site\r\n\r\n"
    ),
    "huge Content-Length": (
        b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\n\r\nx"
    ),
    "bad chunked body": (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    ),
    "50 pipelined requests": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 50,
    "path traversal": b"GET /static/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "encoded traversal": b"GET /static/%2e%2e/%2e%2e/pyproject.toml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "headers never finished": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    "nothing sent": b"",
}


def _probe(port: int, data: bytes, wait: float) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        if data:
            sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def raw_class(server: Server) -> ClassResult:
    result = ClassResult("raw socket probes")
    for case, data in RAW_PROBES.items():
        slow = case in ("headers never finished", "nothing sent")
        began = time.perf_counter()
        answer = _probe(server.port, data, HEADER_SECONDS + 5 if slow else 10)
        seconds = time.perf_counter() - began
        first = answer.split(b"\r\n", 1)[0].decode("latin-1")
        alive = _get(server.url("/healthz"), timeout=10)[0] == 200
        if not alive:
            result.record(case, False, "the server stopped answering /healthz", seconds)
        elif slow and not first.startswith("HTTP/1.1 408"):
            result.record(case, False, f"no 408 after {seconds:.0f} s ({first or 'nothing'})", seconds)
        elif " 5" in first[8:12]:
            result.record(case, False, first, seconds)
        else:
            result.record(case, True, seconds=seconds)
    return result


# --- load with a pathological client ---------------------------------------------------------------


async def _load(port: int, normal: list, pathological: list, clients: int, seconds: float):
    tally, bad = Tally(), Tally()
    deadline = time.perf_counter() + seconds
    step = max(1, len(normal) // clients)
    runs = [one_client(port, normal, n * step, deadline, tally) for n in range(clients)]
    if pathological:
        runs.append(one_client(port, pathological, 0, deadline, bad))
    await asyncio.gather(*runs)
    return tally, bad


def load_rows(server: Server, normal: list, clients: int, seconds: float) -> dict:
    pathological = [("api", "/api/search?" + urlencode({"q": q})) for q in PATHOLOGICAL[:8]]
    rows = {}
    for name, bad_queries in (("alone", []), ("with a pathological client", pathological)):
        tally, bad = asyncio.run(_load(server.port, normal, bad_queries, clients, seconds))
        rows[name] = summarise(tally, seconds)
        if bad_queries:
            rows[name]["pathological"] = summarise(bad, seconds)
    return rows


# --- the report -------------------------------------------------------------------------------------


def run(quick: bool = False, articles: int = 3000) -> dict:
    index = index_for(articles)
    queries, ids = queries_and_ids(index, 200)
    classes = [files_class(quick)]
    from bench.corpus import corpus_for

    classes.append(kill_class(corpus_for(articles), 3 if quick else 10))
    server = Server(index, workers=1)
    try:
        classes += [query_class(server), fuzz_class(server, ids, 100 if quick else 1000)]
        classes.append(raw_class(server))
        load = load_rows(server, request_mix(queries, ids, 2000), 16, 5.0 if quick else 20.0)
    finally:
        server.stop()
    return {
        "corpus": f"generated, {articles} articles",
        "classes": [
            {"class": c.name, "tried": c.tried, "held": c.held, "failures": c.failures,
             "worst_seconds": round(c.worst_seconds, 2)}
            for c in classes
        ],
        "load": load,
    }


def markdown(results: dict) -> str:
    lines = [
        f"Corpus: {results['corpus']}; one server worker.",
        "",
        "| class | cases | held | failed | slowest case |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in results["classes"]:
        lines.append(
            f"| {c['class']} | {c['tried']} | {c['held']} | {c['tried'] - c['held']} | "
            f"{c['worst_seconds']:.1f} s |"
        )
    failures = [f"- {c['class']}: {f}" for c in results["classes"] for f in c["failures"]]
    lines += ["", *(failures or ["No case failed."]), ""]
    lines += [
        "| 16 clients of ordinary searches | req/s | p50 | p99 | errors | pathological client |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in results["load"].items():
        bad = row.get("pathological")
        extra = (
            f"{bad['requests']} queries, p99 {bad['p99_ms'] / 1000:.1f} s, {bad['errors']} errors"
            if bad and bad["requests"]
            else "–"
        )
        lines.append(
            f"| {name} | {row['req_per_s']:.0f} | {row['p50_ms']:.0f} ms | {row['p99_ms']:.0f} ms | "
            f"{row['errors']} | {extra} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hostile", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer cases, 5 s of load")
    parser.add_argument("--articles", type=int, default=3000)
    args = parser.parse_args(argv)
    results = run(quick=args.quick, articles=args.articles)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "hostile.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(markdown(results))
    print(f"results: {OUT / 'hostile.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
