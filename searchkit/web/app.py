"""The Starlette application: routes, error responses and the security headers on every response.

``create_app(store)`` -> an ASGI app. Errors map to statuses in one place: a bad parameter or query
is 400, an unknown article 404, a missing or broken index 503, and anything unexpected 500 with a
generic message (the details go to the server log, never to the client). Under ``/api/`` and
``/healthz`` errors are JSON ``{"error": message, "status": code}``; elsewhere an HTML page.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from searchkit import __version__
from searchkit.index.generations import IndexStore, StoreError
from searchkit.query.searcher import ArticleNotFound, QueryError
from searchkit.render import byline
from searchkit.web import api, pages
from searchkit.web.params import ParamError
from searchkit.web.shared import SEARCH_TIME_LIMIT, SharedSearcher

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
log = logging.getLogger("searchkit.web")

# Names a browser sends for this machine. When the server listens on loopback only, any other Host
# header means a foreign page reached us through DNS rebinding: refuse it (``HostCheck``).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# Only our own files, no inline script or style: a document that smuggled markup past escaping
# still could not run or load anything.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SAVED_COPY_SUFFIX = "/saved"  # /articles/{id}/saved: the file an article was read from
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware: add ``SECURITY_HEADERS`` to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if scope["path"].endswith(SAVED_COPY_SUFFIX):
                    # a scraped page's own bytes: even opened, never live HTML on our origin
                    headers["content-security-policy"] = CONTENT_SECURITY_POLICY + "; sandbox"
                if scope["path"].startswith("/static/"):
                    # Asset URLs carry a hash of their content (``asset_url``): cache them for good.
                    headers["cache-control"] = "public, max-age=31536000, immutable"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """ASGI middleware: answer 400 to a request whose Host header names no allowed host."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = Headers(scope=scope).get("host", "")
            name = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
            if name.lower() not in self.allowed:
                error = {"error": "this server answers only to localhost", "status": 400}
                await api.JSON(error, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class CrossSiteCheck:
    """ASGI middleware: answer 403 to a request another site's page made the browser send.

    Any page the user has open can point ``<img src="http://127.0.0.1:8732/api/search?q=…">`` or
    a ``fetch`` at this server: the Host check does not stop that (the browser sends our own
    host), and each such request runs a search. Browsers say where a request comes from:
    ``Sec-Fetch-Site`` (``same-origin``, ``same-site``, ``cross-site``, or ``none`` for an address
    typed or bookmarked) and, on fetches and form posts, ``Origin``. Allowed: our own pages, the
    user's own navigation, and a link followed from elsewhere (a top-level ``navigate`` shows a
    page and runs one search, as if typed); refused: everything else from another origin. Clients
    that send neither header (curl, scripts) are not browsers carrying someone else's page.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            headers = Headers(scope=scope)
            site = headers.get("sec-fetch-site", "")
            navigation = headers.get("sec-fetch-mode", "") == "navigate"
            origin = headers.get("origin")
            foreign_origin = origin is not None and not _same_origin(origin, headers)
            if (site in ("cross-site", "same-site") and not navigation) or foreign_origin:
                error = {"error": "cross-site requests are refused", "status": 403}
                await api.JSON(error, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _same_origin(origin: str, headers: Headers) -> bool:
    """Whether an ``Origin`` header names this server (as its ``Host`` header does)."""
    host = headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz"


def _error(request: Request, status: int, message: str, title: str | None = None) -> Response:
    if _wants_json(request):
        return api.JSON({"error": message, "status": status}, status_code=status)
    return pages.error_page(request, status, title or message, message)


async def _bad_request(request: Request, exc: Exception) -> Response:
    return _error(request, 400, str(exc), "Bad request")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(request, 404, str(exc), "No such article")


async def _unavailable(request: Request, exc: Exception) -> Response:
    return _error(request, 503, str(exc), "The index is not available")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "Not found", 405: "Method not allowed"}
    message = messages.get(exc.status_code, exc.detail)
    response = _error(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("error serving %s", request.url.path)
    response = _error(
        request, 500, "Internal error: the server could not answer this request", "Internal error"
    )
    # ServerErrorMiddleware sits outside our middleware: add the headers here too.
    response.headers.update(SECURITY_HEADERS)
    return response


def _templates(assets: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset_url"] = lambda name: assets[name]
    env.globals["byline"] = byline
    env.globals["version"] = __version__
    env.globals["syntax_help"] = pages.SYNTAX_HELP
    # Defaults for names that only some pages set (templates use StrictUndefined to catch typos).
    env.globals.update(error=None, autofocus=False, help_open=False)
    env.filters["nice_date"] = lambda d: f"{d.day} {d:%b %Y}" if d else ""
    env.filters["joined_marks"] = pages.joined_marks
    env.filters["percent"] = lambda x: f"{round(x * 100)}%"
    return env


def _asset_urls() -> dict[str, str]:
    """Each static file's URL with a short content hash, so browsers may cache it for good."""
    urls = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            name = path.relative_to(STATIC).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            urls[name] = f"/static/{name}?v={digest}"
    return urls


def create_app(
    store: IndexStore,
    *,
    allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS,
    time_limit: float = SEARCH_TIME_LIMIT,
) -> Starlette:
    """The web app over the index in ``store``. ``allowed_hosts=None`` accepts any Host header;
    ``time_limit`` bounds each search (seconds), after which it answers with what it has."""
    shared = SharedSearcher(store, time_limit=time_limit)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        shared.close()

    routes = [
        Route("/", pages.search_page, name="search"),
        Route("/articles/{id}", pages.article_page, name="article"),
        Route("/articles/{id}" + SAVED_COPY_SUFFIX, pages.saved_copy, name="saved_copy"),
        Route("/export", pages.export_results, name="export"),
        Route("/status", pages.status_page, name="status"),
        Route("/api/search", api.search, name="api_search"),
        Route("/api/articles/{id}", api.article, name="api_article"),
        Route("/api/articles/{id}/similar", api.similar, name="api_similar"),
        Route("/api/stats", api.stats, name="api_stats"),
        Route("/api/openapi.json", api.openapi, name="openapi"),
        Route("/healthz", api.healthz, name="healthz"),
        Mount("/static", StaticFiles(directory=STATIC, follow_symlink=False), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.append(Middleware(HostCheck, allowed_hosts=allowed_hosts))
    middleware.append(Middleware(CrossSiteCheck))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            ParamError: _bad_request,
            QueryError: _bad_request,
            ArticleNotFound: _not_found,
            StoreError: _unavailable,
            HTTPException: _http_error,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.searcher = shared
    app.state.templates = _templates(_asset_urls())
    return app
