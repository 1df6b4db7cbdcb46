"""The HTML pages: a request -> the search page (home, results, errors) or an article's page.

Pages are rendered from ``templates/`` with autoescaping on: every value that came from a document
(titles, names, sites, text, snippets, source paths) is escaped by Jinja2 and no template marks
anything as safe. A bad parameter or query is shown on the page itself, with status 400.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from searchkit.models import SearchResults, StoredArticle
from searchkit.query.searcher import MAX_QUERY_CHARS, ArticleNotFound, QueryError
from searchkit.query.snippets import Snippet
from searchkit.web.params import (
    MAX_PAGE,
    ParamError,
    SearchParams,
    check_article_id,
    parse_search_params,
)
from searchkit.web.shared import SharedSearcher, costly

# Query syntax shown in the help box: (what to type, what it does).
SYNTAX_HELP = [
    ("social credit", "articles with both words (stemmed: credit also finds credits)"),
    ('"red envelope"', "the exact phrase"),
    ("wechat OR weibo", "either word"),
    ("apple NOT iphone", "leave out articles with a word"),
    ("title:huawei", "a word in the title; also author:, site:, category:, tag:, source:"),
    ("censor*", "words starting with censor"),
    ("date:2019 or date:[2018-11-01 to 2018-11-30]", "published in a year or a date range"),
]


FACET_TITLES = {"site": "Site", "author": "Author", "year": "Year", "category": "Section"}
FACETS_SHOWN = 8  # values per facet before "more"
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "oldest": "Oldest"}
SIMILAR_SHOWN = 5


@dataclass(slots=True)
class FacetValue:
    """One value of a facet as the sidebar shows it: a link that applies it, or takes it off."""

    value: str
    count: int
    url: str
    active: bool


@dataclass(slots=True)
class Facet:
    name: str  # "site", "author", "year", "category"
    title: str
    values: list[FacetValue]

    @property
    def shown(self) -> list[FacetValue]:
        return self.values[:FACETS_SHOWN]

    @property
    def more(self) -> list[FacetValue]:
        return self.values[FACETS_SHOWN:]


@dataclass(slots=True)
class PageLink:
    """One entry of the pagination bar: a page number with its URL, or a gap (number None)."""

    number: int | None
    url: str = ""
    current: bool = False


def _shared(request: Request) -> SharedSearcher:
    return request.app.state.searcher


def _render(request: Request, name: str, context: dict, status: int = 200) -> Response:
    html = request.app.state.templates.get_template(name).render(request=request, **context)
    return Response(
        html,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def _search(request: Request, params: SearchParams, status: int = 200, **context) -> Response:
    """Render search.html; every name it uses has a value (the templates use StrictUndefined)."""
    defaults: dict[str, Any] = {
        "error": None,
        "results": None,
        "stats": None,
        "pages": [],
        "facets": [],
        "sorts": [],
        "years": {},
        "suggestions": [],
    }
    return _render(request, "search.html", {**defaults, "params": params, **context}, status)


def search_page(request: Request) -> Response:
    """``/``: the home page without a query, results with one, the problem when it cannot run."""
    try:
        params = parse_search_params(request.query_params.getlist, require_q=False)
    except ParamError as exc:
        # Keep what the user typed in the box (cut to the limit) so they can fix it.
        typed = (request.query_params.getlist("q") or [""])[0][:MAX_QUERY_CHARS]
        return _search(request, SearchParams(q=typed.replace("\x00", "")), 400, error=str(exc))
    if not params.q:
        return _home(request, params)
    try:
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
            # A hit states no date when its page gave only a year (a copyright line): show that.
            years = {h.id: searcher.article(h.id).year for h in results.hits if h.date is None}
    except QueryError as exc:
        return _search(request, params, 400, error=str(exc))
    return _search(
        request,
        params,
        results=results,
        pages=pagination(results, params),
        facets=facets(results, params),
        years=years,
        sorts=[
            (label, params.url("/", sort=key, page=1), key == params.sort)
            for key, label in SORT_LABELS.items()
        ],
        suggestions=suggestions(params) if not results.total else [],
    )


def _home(request: Request, params: SearchParams) -> Response:
    with _shared(request).use() as searcher:
        stats = searcher.stats()
    return _search(request, params, stats=stats)


def article_page(request: Request) -> Response:
    """``/articles/{id}``: the cleaned text, metadata and copies of one article."""
    try:
        article_id = check_article_id(request.path_params["id"])
        params = parse_search_params(request.query_params.getlist, require_q=False)
    except ParamError as exc:
        return error_page(request, 400, "Bad request", str(exc))
    try:
        with _shared(request).use() as searcher:
            article: StoredArticle = searcher.article(article_id)
            similar = searcher.similar(article.id, limit=SIMILAR_SHOWN)
            shown = paragraphs(article.text)
            marked = [[(p, False)] for p in shown]
            if params.q:
                with contextlib.suppress(QueryError):  # a query that no longer parses: no marks
                    marked = searcher.marked_paragraphs(shown, params.q)
    except ArticleNotFound:
        return error_page(
            request,
            404,
            "No such article",
            "The index has no article with this id. It may have been removed by a re-index.",
        )
    return _render(
        request,
        "article.html",
        {
            "params": params,
            "article": article,
            "paragraphs": marked,
            "similar": similar,
        },
    )


def status_page(request: Request) -> Response:
    """``/status``: the folders the index covers, its counts, when it last changed, and the files
    it skipped with the reason for each."""
    from searchkit.index.generations import StoreError

    try:
        with _shared(request).use() as index:
            stats = index.stats()
            roots = index.roots()
    except StoreError as exc:
        return error_page(request, 503, "Index unavailable", str(exc))
    return _render(request, "status.html", {"stats": stats, "roots": roots, "params": SearchParams()})


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def export_results(request: Request) -> Response:
    """``/export?q=…&format=csv|jsonl`` (with the page's filters): the results, every field, as a
    download; without ``q``, every article."""
    import io

    from searchkit.index.generations import StoreError

    formats = request.query_params.getlist("format") or ["csv"]
    if len(formats) != 1 or formats[0] not in EXPORT_TYPES:
        return error_page(request, 400, "Bad request", "format must be csv or jsonl")
    fmt = formats[0]
    try:
        params = parse_search_params(request.query_params.getlist, require_q=False)
    except ParamError as exc:
        return error_page(request, 400, "Bad request", str(exc))
    out = io.StringIO()
    try:
        with _shared(request).use(costly=True) as index:
            index.export(out, fmt, params.q or None, filters=params.filters(), sort=params.sort)
    except QueryError as exc:
        return error_page(request, 400, "Bad query", str(exc))
    except StoreError as exc:
        return error_page(request, 503, "Index unavailable", str(exc))
    headers = {"content-disposition": f'attachment; filename="searchkit-export.{fmt}"'}
    return Response(out.getvalue(), media_type=EXPORT_TYPES[fmt], headers=headers)


def saved_copy(request: Request) -> Response:
    """``/articles/{id}/saved``: the file the article was read from, as a download.

    Never shown inline: it is a scraped page, scripts and all. ``Content-Disposition: attachment``
    makes the browser save it, and the middleware adds ``sandbox`` to its CSP in case it is opened
    anyway (app.SecurityHeaders).
    """
    import os

    from starlette.responses import FileResponse

    from searchkit.library import SavedCopyMissing

    try:
        article_id = check_article_id(request.path_params["id"])
    except ParamError as exc:
        return error_page(request, 400, "Bad request", str(exc))
    try:
        with _shared(request).use() as searcher:
            path = searcher.saved_copy(article_id)
    except ArticleNotFound:
        return error_page(request, 404, "No such article", "The index has no article with this id.")
    except SavedCopyMissing as exc:
        return error_page(request, 404, "Saved copy gone", f"{str(exc).capitalize()}.")
    return FileResponse(
        path, media_type="application/octet-stream", filename=os.path.basename(path)
    )


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return _render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message, "params": SearchParams()},
        status,
    )


def facets(results: SearchResults, params: SearchParams) -> list[Facet]:
    """The sidebar: per facet, its values with counts, each a link that applies that value (in
    place of the facet's current one) or, when it is the active value, takes the filter off."""
    out = []
    for name, title in FACET_TITLES.items():
        values = []
        counts = list(results.facets.get(name, []))
        if name == "year":
            counts.sort(key=lambda c: c.value, reverse=True)  # years read best in order
        for count in counts:
            active = _is_active(params, name, count.value)
            change: dict[str, Any]
            if name == "author":
                change = {"authors": [] if active else [count.value]}
            elif name == "year":
                change = {"year": None if active else int(count.value)}
            else:
                change = {name: None if active else count.value}
            url = params.url("/", page=1, **change)
            values.append(FacetValue(count.value, count.count, url, active))
        if values:
            out.append(Facet(name, title, values))
    return out


def _is_active(params: SearchParams, name: str, value: str) -> bool:
    folded = value.casefold()
    if name == "author":
        return any(a.casefold() == folded for a in params.authors)
    if name == "year":
        return params.year is not None and str(params.year) == value
    current = getattr(params, name)
    return current is not None and current.casefold() == folded


def pagination(results: SearchResults, params: SearchParams, window: int = 2) -> list[PageLink]:
    """Page links: the first, the last, and ``window`` either side of the current page."""
    last = min(MAX_PAGE, max(1, -(-results.total // results.limit)))
    if last == 1:
        return []
    shown = {1, last, *range(params.page - window, params.page + window + 1)}
    links: list[PageLink] = []
    previous = 0
    for number in sorted(n for n in shown if 1 <= n <= last):
        if number > previous + 1:
            links.append(PageLink(None))
        links.append(PageLink(number, params.url("/", page=number), number == params.page))
        previous = number
    return links


def suggestions(params: SearchParams) -> list[tuple[str, str]]:
    """Other queries worth a try after zero results: (query, URL) pairs."""
    words = params.q.split()
    if len(words) == 1 and re.fullmatch(r"\w{3,}", words[0]):
        prefix = words[0] + "*"  # a word's beginning finds its other forms and longer compounds
        return [(prefix, params.url("/", q=prefix, page=1))]
    return []


def joined_marks(snippet: Snippet) -> Snippet:
    """Matched words separated only by spaces become one highlight ("social credit", not two)."""
    out: Snippet = []
    for text, matched in snippet:
        if matched and len(out) >= 2 and out[-2][1] and not out[-1][0].strip():
            gap = out.pop()[0]
            out[-1] = (out[-1][0] + gap + text, True)
        else:
            out.append((text, matched))
    return out


def paragraphs(text: str) -> list[str]:
    """An article's text as paragraphs (blank lines separate them in the cleaned text)."""
    return [p.strip() for p in text.split("\n\n") if p.strip()]
