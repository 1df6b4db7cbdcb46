"""Web fixtures: an index of the seeds plus hostile articles, the app over it, a TestClient.

The hostile pages go through the real pipeline (segmentation, dedup, indexing), so what the web
layer must escape is what a scraped page can really put into the index: markup in titles,
standfirsts, site names, body text and even source file names.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from searchkit.index.build import build_index
from searchkit.index.generations import IndexStore
from searchkit.query.searcher import Searcher
from searchkit.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent.parent
SEEDS = ROOT / "seeds"

HOSTILE_TITLE = 'Hostile <script>alert("title")</script> Headline About Spam'
HOSTILE_SUMMARY = "A standfirst with <img src=x onerror=alert(1)> inside it and more words."
HOSTILE_SITE = 'Evil"Site<script>'
HOSTILE_FILE = '"><img src=x onerror=alert(5)>.txt'  # a copy of the page, under a hostile name
HOSTILE_PAGE = f"""{HOSTILE_TITLE}

{HOSTILE_SUMMARY}

Mallory Evil

Published

:

March 3, 2019

The body mentions zanzibar spam and <script>alert("body")</script> and a </mark><mark> trick, & ampersands, "quotes" and 'single' ones. More text follows here about zanzibar iMessage spam being hostile.

Another paragraph of text so the article is long enough to count as an article for the segmenter, with many words in it about hostile web content and escaping <b>bold</b> claims.

© 2019 {HOSTILE_SITE}. All rights reserved.
"""


# An exported record: JSON Lines carry every field as given, names and sections included.
HOSTILE_RECORD = {
    "title": "</title><script>alert(9)</script> Yottabyte Leak",
    "text": "A yottabyte of <script>alert(10)</script> data leaked. "
    "The second sentence says more about the yottabyte and the leak, in plain words.",
    "authors": ["<img src=x onerror=alert(6)>", "Eve <Hacker>"],
    "category": "<svg onload=alert(7)>",
    "tags": ["<b>tag</b>"],
    "site": "javascript:alert(8)",
    "url": "javascript:alert(8)",
    "date": "2021-04-01",
}


def write_hostile_corpus(folder: Path) -> Path:
    """The seeds, a hostile page (twice: once under a hostile file name) and a hostile record."""
    shutil.copytree(SEEDS, folder)
    (folder / "hostile.txt").write_text(HOSTILE_PAGE, encoding="utf-8")
    (folder / HOSTILE_FILE).write_text(HOSTILE_PAGE, encoding="utf-8")
    (folder / "export.jsonl").write_text(json.dumps(HOSTILE_RECORD) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> IndexStore:
    root = tmp_path_factory.mktemp("web")
    corpus = write_hostile_corpus(root / "corpus")
    store = IndexStore(root / "index")
    build_index([corpus], store)
    return store


@pytest.fixture(scope="session")
def hostile_id(web_store: IndexStore) -> str:
    """The id of the hostile article shown in results, after checking the index really holds it."""
    with Searcher(web_store) as searcher:
        hit = searcher.search("zanzibar").hits[0]
        article = searcher.article(hit.id)
    # The test data must stay hostile whatever the segmenter learns: fail loudly if it does not.
    assert article.title == HOSTILE_TITLE
    assert article.summary == HOSTILE_SUMMARY
    assert article.site == HOSTILE_SITE
    sources = {article.source, *(d.source for d in article.duplicates)}
    assert sources == {f"corpus/{HOSTILE_FILE}", "corpus/hostile.txt"}
    return hit.id


@pytest.fixture(scope="session")
def hostile_record_id(web_store: IndexStore) -> str:
    """The id of the hostile JSON Lines record, after checking its fields reached the index."""
    with Searcher(web_store) as searcher:
        hit = searcher.search("yottabyte").hits[0]
        article = searcher.article(hit.id)
    assert article.title == HOSTILE_RECORD["title"]
    assert article.authors == HOSTILE_RECORD["authors"]
    assert article.category == HOSTILE_RECORD["category"]
    assert article.tags == HOSTILE_RECORD["tags"]
    return hit.id


@pytest.fixture(scope="session")
def client(web_store: IndexStore) -> Iterator[TestClient]:
    with TestClient(create_app(web_store), base_url="http://localhost") as test_client:
        yield test_client


@pytest.fixture()
def lenient_client(web_store: IndexStore) -> Iterator[TestClient]:
    """A client that returns 500 responses instead of raising the server's exception."""
    app = create_app(web_store)
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
        yield c


# --- a real server process ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running_server(
    index: Path, log: Path, *extra: str, startup_seconds: float = 60
) -> Iterator[ServerProcess]:
    """``python -m searchkit serve`` on a free port, as a user starts it; stopped with Ctrl+C."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SEARCHKIT_INDEX"}
    env["PYTHONPATH"] = str(ROOT)  # the code under test, even when another copy is installed
    cmd = [sys.executable, "-m", "searchkit", "serve", "--port", str(port), "--index", str(index)]
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [*cmd, *extra], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=index.parent
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited at start:\n{server.output()}")
            try:
                with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not come up:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
