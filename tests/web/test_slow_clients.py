"""The server under slow clients and slow queries: headers have a deadline, searches a time limit.

Issue 15: a client sending its request headers a byte at a time held a connection for as long
as it liked (uvicorn times out only idle keep-alive connections), and one pathological query
held the worker's searcher for minutes. The header deadline is exercised on a real uvicorn
server in a thread with a half-second deadline; the search limit through the app.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.testclient import TestClient

from searchkit.query.budget import Budget
from searchkit.web.app import create_app
from searchkit.web.protocol import HeaderDeadlineProtocol
from searchkit.web.shared import _Turns, costly
from tests.web.conftest import free_port


class _QuickDeadline(HeaderDeadlineProtocol):
    header_seconds = 0.5


@contextlib.contextmanager
def _server(web_store) -> Iterator[int]:
    port = free_port()
    config = uvicorn.Config(
        create_app(web_store),
        host="127.0.0.1",
        port=port,
        http=_QuickDeadline,
        log_level="warning",
        timeout_keep_alive=5,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def _read_all(sock: socket.socket, timeout: float = 5) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout`` passes)."""
    sock.settimeout(timeout)
    chunks = []
    with contextlib.suppress(TimeoutError):
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks)


def _request(sock: socket.socket, path: str = "/healthz") -> bytes:
    """One whole response (headers, then the Content-Length of body): a single recv may return
    the headers alone, leaving the body to be misread as the next request's answer."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_request_headers_that_never_finish_get_408_and_the_connection_closed(web_store):
    with _server(web_store) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: unfinished
        started = time.monotonic()
        answer = _read_all(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer
    assert answer.endswith(b"the request headers took too long to arrive\n")
    assert waited < 4, "closed by the header deadline, not by the client giving up"


def test_a_connection_that_sends_nothing_is_closed_after_the_header_deadline(web_store):
    with _server(web_store) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer


def test_a_prompt_client_is_served_and_may_pause_between_requests(web_store):
    """The deadline runs while headers arrive, not while a kept-alive connection is idle."""
    with _server(web_store) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        assert _request(sock).startswith(b"HTTP/1.1 200")
        time.sleep(1.0)  # twice the header deadline, well inside the keep-alive timeout
        assert _request(sock).startswith(b"HTTP/1.1 200")


def test_the_api_answers_a_search_out_of_time_with_what_it_has(web_store, monkeypatch):
    with TestClient(create_app(web_store, time_limit=0.75), base_url="http://localhost") as client:
        assert client.get("/api/search", params={"q": "wechat"}).json()["complete"] is True
        original = Budget.expired

        def expired(self: Budget, at: str) -> bool:
            if at == "scoring" and self.ran_out_in is None:
                assert self.seconds == 0.75, "the app's time limit reaches the search"
                self.deadline = 0.0
            return original(self, at)

        monkeypatch.setattr(Budget, "expired", expired)
        response = client.get("/api/search", params={"q": "wechat"})
        page = client.get("/", params={"q": "wechat"})
    assert response.status_code == 200
    body = response.json()
    assert body["complete"] is False and body["hits"]
    assert "0.75-second time limit" in body["notices"][-1]
    assert page.status_code == 200 and "0.75-second time limit" in page.text


def test_a_pattern_query_lets_waiting_ordinary_searches_go_first():
    """One client sending `a* OR b* …` without pause used to take most of the worker's time."""
    turns, order = _Turns(), []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turns.turn():
            holding.set()
            release.wait(10)

    def search(name: str, is_costly: bool) -> None:
        with turns.turn(costly=is_costly):
            order.append(name)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    pattern = threading.Thread(target=search, args=("a* OR b*", True))
    pattern.start()
    time.sleep(0.2)  # the pattern query is first in line
    ordinary = threading.Thread(target=search, args=("china", False))
    ordinary.start()
    time.sleep(0.2)
    release.set()
    for thread in (holder, pattern, ordinary):
        thread.join(10)
    assert order == ["china", "a* OR b*"]


def test_a_pattern_query_is_deferred_for_a_while_not_forever(monkeypatch):
    monkeypatch.setattr("searchkit.web.shared.PATTERN_DEFER_SECONDS", 0.3)
    turns, ran = _Turns(), threading.Event()
    stop = time.monotonic() + 5

    def ordinary_flood() -> None:
        while time.monotonic() < stop and not ran.is_set():
            with turns.turn():
                time.sleep(0.02)

    flood = [threading.Thread(target=ordinary_flood) for _ in range(4)]
    for thread in flood:
        thread.start()
    began = time.monotonic()
    with turns.turn(costly=True):
        waited = time.monotonic() - began
        ran.set()
    for thread in flood:
        thread.join(10)
    assert waited < 4, "the pattern query got its turn while ordinary searches kept coming"


@pytest.mark.parametrize(
    ("text", "is_costly"),
    [
        ("a* OR b*", True),
        ("wech?t", True),
        ("china~2", True),
        ("date:[2018 TO 2019]", True),
        ("title:{a TO b}", True),
        ("social credit blacklist", False),
        ('"sesame credit"', False),
    ],
)
def test_queries_with_patterns_are_the_costly_ones(text, is_costly):
    assert costly(text) is is_costly
