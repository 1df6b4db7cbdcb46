"""Running the app: host/port/workers -> a uvicorn server (what ``searchkit serve`` calls).

Listening on loopback is the default. Bound to any other address the server warns that everyone who
can reach the machine can read the index, and then accepts any Host header (on loopback it accepts
only localhost names, which shuts out DNS-rebinding pages).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
from collections.abc import Callable

from searchkit.index.generations import IndexStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8732
_ENV_INDEX = "SEARCHKIT_INDEX"
_ENV_ANY_HOST = "SEARCHKIT_WEB_ANY_HOST"
_ENV_TIME_LIMIT = "SEARCHKIT_WEB_TIME_LIMIT"


class ServeError(Exception):
    """The server cannot start; the message is one line fit to show the user."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Fail early with a clear message, instead of uvicorn's log line, when we cannot listen."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use; choose another with --port"
                ) from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def app_from_env():
    """App factory for uvicorn's worker processes (``--workers`` > 1), configured by environment."""
    from searchkit.web.app import LOOPBACK_HOSTS, create_app
    from searchkit.web.shared import SEARCH_TIME_LIMIT

    any_host = os.environ.get(_ENV_ANY_HOST) == "1"
    return create_app(
        IndexStore(os.environ.get(_ENV_INDEX)),
        allowed_hosts=None if any_host else LOOPBACK_HOSTS,
        time_limit=float(os.environ.get(_ENV_TIME_LIMIT, SEARCH_TIME_LIMIT)),
    )


def serve(
    store: IndexStore,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 1,
    access_log: bool = False,
    time_limit: float | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the index in ``store`` until interrupted (``time_limit``: seconds per search)."""
    import uvicorn

    from searchkit.web.protocol import HeaderDeadlineProtocol

    check_port_free(host, port)
    os.environ[_ENV_INDEX] = str(store.path.resolve())
    os.environ[_ENV_ANY_HOST] = "0" if is_loopback(host) else "1"
    if time_limit is not None:
        os.environ[_ENV_TIME_LIMIT] = str(time_limit)
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{port}/")
    uvicorn.run(
        "searchkit.web.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        server_header=False,
        log_level="warning",
        limit_concurrency=connection_limit(),
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        http=HeaderDeadlineProtocol,  # uvicorn's h11 protocol, with a deadline for headers
    )


# An idle keep-alive connection is closed after this long: it holds a file descriptor.
KEEP_ALIVE_SECONDS = 5
# Connections served at once (more get 503), kept below the open-file limit: 1,100 slow-header
# connections against the default 1,024 descriptors stopped the server accepting and logged a
# traceback for every refused one (issue 15.11).
MAX_CONNECTIONS = 512
_SPARE_DESCRIPTORS = 64  # the index's files, the log, the listening socket


def connection_limit() -> int:
    """Raise this process's open-file limit to its hard limit, and the connection cap below it."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = MAX_CONNECTIONS * 2 + _SPARE_DESCRIPTORS
        target = wanted if hard == resource.RLIM_INFINITY else min(hard, max(soft, wanted))
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return max(1, min(MAX_CONNECTIONS, soft - _SPARE_DESCRIPTORS))
