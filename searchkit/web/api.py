"""The JSON API: requests -> the dicts of ``searchkit.render`` (the shapes ``--json`` prints).

Errors are raised as exceptions (``ParamError``, ``QueryError``, ``ArticleNotFound``,
``StoreError``) and turned into JSON error responses with the right status by ``app``.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from searchkit import render
from searchkit.web.openapi import openapi_document
from searchkit.web.params import check_article_id, parse_limit, parse_search_params
from searchkit.web.shared import SharedSearcher, costly


class JSON(JSONResponse):
    """UTF-8 JSON without ASCII escapes (names and titles stay readable), never cached."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _shared(request: Request) -> SharedSearcher:
    return request.app.state.searcher


def search(request: Request) -> JSON:
    params = parse_search_params(request.query_params.getlist, require_q=True)
    with _shared(request).use(costly=costly(params.q)) as searcher:
        results = searcher.search(
            params.q,
            filters=params.filters(),
            page=params.page,
            limit=params.limit,
            sort=params.sort,
            time_limit=_shared(request).time_limit,
            correct=params.correct,
        )
    return JSON(render.results_json(results))


def article(request: Request) -> JSON:
    article_id = check_article_id(request.path_params["id"])
    with _shared(request).use() as searcher:
        found = searcher.article(article_id)
    return JSON(render.article_json(found))


def similar(request: Request) -> JSON:
    """More like this: the articles closest to this one, its own copies left out."""
    article_id = check_article_id(request.path_params["id"])
    limit = parse_limit(request.query_params.getlist, default=10)
    with _shared(request).use() as searcher:
        hits = searcher.similar(article_id, limit=limit)
    return JSON(render.similar_json(article_id, hits))


def stats(request: Request) -> JSON:
    with _shared(request).use() as searcher:
        return JSON(searcher.stats())


def healthz(request: Request) -> JSON:
    """200 when the live index opens and can be searched; 503 (via ``app``) when it cannot.

    While a search holds the index, the answer comes from the index folder alone (``"busy":
    true``): a health check that queued behind a slow query would report a healthy server dead.
    """
    shared = _shared(request)
    if shared.busy():
        return JSON({"status": "ok", "built_at": shared.store.meta().get("built_at"), "busy": True})
    with shared.use() as searcher:
        built_at = searcher.store.meta().get("built_at")
    return JSON({"status": "ok", "built_at": built_at})


def openapi(request: Request) -> JSON:
    return JSON(openapi_document())
