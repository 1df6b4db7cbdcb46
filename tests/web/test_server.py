"""`searchkit serve`: defaults, the warning beyond loopback, a live index, and a fast CLI start."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from searchkit.cli import app as cli_app
from searchkit.index.build import build_index
from searchkit.index.generations import IndexStore
from searchkit.web.app import create_app
from searchkit.web.server import DEFAULT_HOST, DEFAULT_PORT, is_loopback
from tests.web.conftest import ROOT, SEEDS, running_server

UNIQUE_WORD = "quetzalcoatlus"
NEW_PAGE = f"""A Story About the {UNIQUE_WORD.title()} Added Later

Published

:

June 5, 2020

This article arrives after the server started. It talks about the {UNIQUE_WORD}, a giant
pterosaur, and about nothing else that the seed pages mention at all, so only it can match.

It has a second paragraph, to be a proper article for the segmenter and the index.
"""


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def _index_in_another_process(paths: list[Path], index: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "searchkit", "index", *map(str, paths), "--index", str(index)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_defaults_are_loopback_and_a_fixed_port(runner):
    assert (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 8732)
    result = runner.invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.stdout and "--port" in result.stdout
    assert "127.0.0.1" in result.stdout and "8732" in result.stdout


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.fixture()
def fake_serve(monkeypatch, seed_store):
    """Stand in for uvicorn: record how `serve` would have been started."""
    calls: list[dict] = []

    def record(store, **kwargs):
        calls.append({"index": store.path, **kwargs})

    monkeypatch.setattr("searchkit.web.server.serve", record)
    monkeypatch.setenv("SEARCHKIT_INDEX", str(seed_store.path))
    return calls


def test_serving_on_loopback_says_nothing_alarming(runner, fake_serve):
    result = runner.invoke(cli_app, ["serve"])
    assert result.exit_code == 0, result.output
    assert fake_serve[0]["host"] == "127.0.0.1" and fake_serve[0]["port"] == 8732
    assert "warning" not in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_binding_beyond_loopback_warns(runner, fake_serve, host):
    result = runner.invoke(cli_app, ["serve", "--host", host, "--port", "9000"])
    assert result.exit_code == 0, result.output
    assert fake_serve[0]["host"] == host and fake_serve[0]["port"] == 9000
    assert result.stderr.startswith(f"searchkit: warning: listening on {host}, beyond")
    assert "anyone who can reach port 9000 can read everything in the index" in result.stderr


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_port_is_a_usage_error(runner, fake_serve, port):
    result = runner.invoke(cli_app, ["serve", "--port", port])
    assert result.exit_code == 2
    assert fake_serve == []


def test_serving_without_an_index_is_a_one_line_error(runner, tmp_path):
    result = runner.invoke(cli_app, ["serve", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.stderr.startswith("searchkit: error: no index at ")
    assert len(result.stderr.splitlines()) == 1


def test_a_port_in_use_is_a_one_line_error(runner, seed_store):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(
            cli_app, ["serve", "--port", str(port), "--index", str(seed_store.path)]
        )
    assert result.exit_code == 1
    assert result.stderr == (
        f"searchkit: error: port {port} on 127.0.0.1 is already in use; "
        "choose another with --port\n"
    )


def test_a_new_index_from_another_process_shows_without_a_restart(tmp_path):
    corpus, index = _one_page_index(tmp_path)
    with TestClient(create_app(IndexStore(index)), base_url="http://localhost") as client:
        assert client.get("/api/search", params={"q": UNIQUE_WORD}).json()["total"] == 0
        before = client.get("/api/stats").json()["articles"]
        (corpus / "later.txt").write_text(NEW_PAGE)
        _index_in_another_process([corpus], index)
        found = client.get("/api/search", params={"q": UNIQUE_WORD}).json()
        assert [h["source"] for h in found["hits"]] == ["corpus/later.txt"]
        assert client.get("/api/stats").json()["articles"] == before + 1
        page = client.get("/", params={"q": UNIQUE_WORD}).text
        assert "A Story About the Quetzalcoatlus Added Later" in page


def _one_page_index(tmp_path: Path) -> tuple[Path, Path]:
    """A folder holding one seed page, and an index of it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "first.txt").write_text((SEEDS / "000_8c6565e280eec17d.txt").read_text())
    index = tmp_path / "index"
    build_index([corpus], IndexStore(index))
    return corpus, index


def test_real_server_process_serves_and_follows_the_index(tmp_path):
    corpus, index = _one_page_index(tmp_path)
    with running_server(index, tmp_path / "server.log") as server:
        assert _get_json(server.url + f"/api/search?q={UNIQUE_WORD}")["total"] == 0
        (corpus / "later.txt").write_text(NEW_PAGE)
        _index_in_another_process([corpus], index)
        hits = _get_json(server.url + f"/api/search?q={UNIQUE_WORD}")["hits"]
        assert [h["source"] for h in hits] == ["corpus/later.txt"]
        with urllib.request.urlopen(server.url + "/", timeout=30) as response:
            assert "content-security-policy" in response.headers
            assert "server" not in response.headers  # no software banner
    assert server.process.returncode == 0
    log = server.output()
    assert f"searchkit: serving {index}/ at {server.url}/ (Ctrl+C to stop)" in log
    assert "Traceback" not in log


def test_real_server_with_two_workers(tmp_path, seed_store):
    with running_server(seed_store.path, tmp_path / "server.log", "--workers", "2") as server:
        for _ in range(4):
            data = _get_json(server.url + "/api/search?q=sesame+credit")
            assert data["total"] >= 2
    assert "Traceback" not in server.output()


def test_search_does_not_load_the_web_stack(seed_store):
    """`search QUERY` must start fast: Starlette, uvicorn and Jinja2 load only for `serve`."""
    code = (
        "import atexit, sys\n"
        "web = {'starlette', 'uvicorn', 'jinja2', 'anyio', 'h11'}\n"
        "atexit.register(lambda: print(sorted(web & {m.split('.')[0] for m in sys.modules}),"
        " file=sys.stderr))\n"
        f"sys.argv = ['search', 'china', '--index', {str(seed_store.path)!r}]\n"
        "from searchkit.cli import search_main\n"
        "search_main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "results for 'china'" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_healthz_answers_while_a_search_holds_the_index(client):
    """A slow query used to make /healthz wait behind it (34 s during ``a* OR b*``)."""
    import threading

    shared = client.app.state.searcher
    holding, release = threading.Event(), threading.Event()

    def slow_search() -> None:
        with shared.use():
            holding.set()
            release.wait(30)

    worker = threading.Thread(target=slow_search)
    worker.start()
    try:
        assert holding.wait(10)
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok" and response.json()["busy"] is True
    finally:
        release.set()
        worker.join(10)
    assert "busy" not in client.get("/healthz").json()


@pytest.mark.parametrize(("soft", "hard"), [(256, 4096), (256, 256)])
def test_the_server_caps_connections_below_its_open_file_limit(tmp_path, soft, hard):
    """1,100 slow connections against 1,024 descriptors stopped the server accepting."""
    script = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))\n"
        "from searchkit.web.server import connection_limit\n"
        "limit = connection_limit()\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], limit)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    raised, limit = map(int, done.stdout.split())
    if hard > soft:
        assert raised > soft and limit == 512  # the soft limit raised to make room
    else:
        assert raised == soft and limit == soft - 64  # room kept for the index's own files


def test_serve_gives_each_search_the_time_limit_asked_for(runner, fake_serve, monkeypatch):
    from searchkit.web.server import app_from_env
    from searchkit.web.shared import SEARCH_TIME_LIMIT

    assert runner.invoke(cli_app, ["serve"]).exit_code == 0
    assert runner.invoke(cli_app, ["serve", "--time-limit", "0.5"]).exit_code == 0
    assert [call["time_limit"] for call in fake_serve] == [SEARCH_TIME_LIMIT, 0.5]
    # The worker processes read it from the environment `serve` sets for them.
    monkeypatch.setenv("SEARCHKIT_WEB_TIME_LIMIT", "0.5")
    assert app_from_env().state.searcher.time_limit == 0.5
    bad = runner.invoke(cli_app, ["serve", "--time-limit", "0"])
    assert bad.exit_code == 2 and "--time-limit" in bad.output


def test_serve_watch_indexes_new_files_while_serving(tmp_path):
    import time

    corpus, index = _one_page_index(tmp_path)
    with running_server(index, tmp_path / "server.log", "--watch") as server:
        assert _get_json(server.url + f"/api/search?q={UNIQUE_WORD}")["total"] == 0
        time.sleep(1.0)  # the watcher starts beside the server
        (corpus / "later.txt").write_text(NEW_PAGE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _get_json(server.url + f"/api/search?q={UNIQUE_WORD}")["total"]:
                break
            time.sleep(0.3)
        hits = _get_json(server.url + f"/api/search?q={UNIQUE_WORD}")["hits"]
        assert [h["source"] for h in hits] == ["corpus/later.txt"]
    assert server.process.returncode == 0
    log = server.output()
    assert "searchkit: re-indexed: " in log and "Traceback" not in log
