"""Request parameters -> validated ``SearchParams`` (or a ``ParamError`` naming the bad parameter).

The search page and ``GET /api/search`` take the same parameters and share this parser, so a URL
copied from the page works against the API and both refuse the same bad input with the same
message. Everything here is client input: sizes are capped before anything reaches the searcher.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from searchkit.ingest.dates import user_date_span
from searchkit.query.searcher import MAX_QUERY_CHARS, SORTS, ResultFilters

MAX_LIMIT = 100
MAX_PAGE = 1000
MAX_FILTER_CHARS = 200
MAX_AUTHOR_FILTERS = 10
MAX_DATE_CHARS = 40  # "Wednesday, September 30, 2026 11:59 PM" is 38; a longer value is not a date
DEFAULT_LIMIT = 10
_ARTICLE_ID = re.compile(r"[0-9a-f]{12}")
# Parameters that hold one value: a second copy is a mistake worth reporting, not a silent pick.
_SINGLE = ("q", "page", "limit", "sort", "site", "category", "year", "since", "until", "correct")
# ``correct``: spelling correction on (the default) or off, as a form or link spells a switch.
SWITCH = {"1": True, "true": True, "0": False, "false": False}
MIN_YEAR, MAX_YEAR = 1, 9999


class ParamError(ValueError):
    """A request parameter that cannot be used; ``str()`` is one line fit to show the user."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(slots=True)
class SearchParams:
    q: str = ""
    page: int = 1
    limit: int = DEFAULT_LIMIT
    sort: str = "relevance"
    authors: list[str] = field(default_factory=list)
    site: str | None = None
    category: str | None = None
    year: int | None = None
    since: str | None = None  # as typed (YYYY[-MM[-DD]]), shown back in links
    until: str | None = None
    correct: bool = True  # False: search the words as typed ("search instead for")

    def filters(self) -> ResultFilters:
        return ResultFilters(
            authors=list(self.authors),
            site=self.site,
            category=self.category,
            year=self.year,
            since=_day(self.since, end=False),
            until=_day(self.until, end=True),
        )

    @property
    def has_filters(self) -> bool:
        return bool(
            self.authors or self.site or self.category or self.year or self.since or self.until
        )

    def pairs(self, **changes: object) -> list[tuple[str, str]]:
        """These parameters as URL query pairs, defaults left out; ``changes`` override fields."""
        values = {
            "q": self.q,
            "page": self.page,
            "limit": self.limit,
            "sort": self.sort,
            "authors": self.authors,
            "site": self.site,
            "category": self.category,
            "year": self.year,
            "since": self.since,
            "until": self.until,
            "correct": self.correct,
        }
        values.update(changes)
        pairs: list[tuple[str, str]] = []
        if values["q"]:
            pairs.append(("q", str(values["q"])))
        authors = values["authors"]
        for author in authors if isinstance(authors, list) else []:
            pairs.append(("author", author))
        for name in ("site", "category", "year", "since", "until"):
            if values[name]:
                pairs.append((name, str(values[name])))
        if values["sort"] != "relevance":
            pairs.append(("sort", str(values["sort"])))
        if values["limit"] != DEFAULT_LIMIT:
            pairs.append(("limit", str(values["limit"])))
        if values["page"] != 1:
            pairs.append(("page", str(values["page"])))
        if values["correct"] is False:
            pairs.append(("correct", "0"))
        return pairs

    def url(self, path: str = "/", **changes: object) -> str:
        """A link to ``path`` with these parameters (and ``changes``), properly URL-encoded."""
        query = urlencode(self.pairs(**changes))
        return f"{path}?{query}" if query else path


def parse_search_params(getlist: Callable[[str], list[str]], *, require_q: bool) -> SearchParams:
    """Validate query-string parameters. ``getlist(name)`` returns every value given for ``name``.

    Unknown parameters are ignored (browsers and proxies add their own); empty values count as
    absent, as an HTML form submits an empty field.
    """
    for name in _SINGLE:
        if len(getlist(name)) > 1:
            raise ParamError(name, f"'{name}' was given more than once")

    def one(name: str) -> str | None:
        values = getlist(name)
        value = values[0].strip() if values else ""
        return value or None

    q = one("q") or ""
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError(
            "q", f"query too long ({len(q)} characters; the limit is {MAX_QUERY_CHARS})"
        )
    if "\x00" in q:
        raise ParamError("q", "the query contains a NUL character")
    if require_q and not q:
        raise ParamError("q", "missing query: add ?q=words")
    page = _int(one("page"), "page", 1, MAX_PAGE, default=1) or 1
    limit = _int(one("limit"), "limit", 1, MAX_LIMIT, default=DEFAULT_LIMIT) or DEFAULT_LIMIT
    sort = one("sort") or "relevance"
    if sort not in SORTS:
        raise ParamError("sort", f"sort must be one of {', '.join(SORTS)} (got {_show(sort)})")
    authors = [a.strip() for a in getlist("author") if a.strip()]
    if len(authors) > MAX_AUTHOR_FILTERS:
        raise ParamError("author", f"at most {MAX_AUTHOR_FILTERS} author filters")
    for author in authors:
        _text(author, "author")
    since, until = one("since"), one("until")
    for name, value in (("since", since), ("until", until)):
        if value is None:
            continue
        if len(value) > MAX_DATE_CHARS:
            raise ParamError(name, f"{name}: not a date: {_show(value)} (too long)")
        try:
            user_date_span(value)  # the whole value, as the search will parse it
        except ValueError:
            raise ParamError(
                name, f"{name}: not a date: {_show(value)} (use YYYY, YYYY-MM or YYYY-MM-DD)"
            ) from None
    correct = one("correct")
    if correct is not None and correct.lower() not in SWITCH:
        raise ParamError("correct", f"correct must be 1 or 0 (got {_show(correct)})")
    return SearchParams(
        q=q,
        page=page,
        limit=limit,
        sort=sort,
        authors=authors,
        site=_text(one("site"), "site"),
        category=_text(one("category"), "category"),
        year=_int(one("year"), "year", MIN_YEAR, MAX_YEAR, default=None),
        since=since,
        until=until,
        correct=True if correct is None else SWITCH[correct.lower()],
    )


def parse_limit(getlist: Callable[[str], list[str]], default: int) -> int:
    """Just ``limit`` (for endpoints that take no query), validated like the search's."""
    values = getlist("limit")
    if len(values) > 1:
        raise ParamError("limit", "'limit' was given more than once")
    value = values[0].strip() if values else ""
    return _int(value or None, "limit", 1, MAX_LIMIT, default=default) or default


def check_article_id(value: str) -> str:
    """An article id as the index writes it (12 hex digits); anything else is refused."""
    if not _ARTICLE_ID.fullmatch(value):
        raise ParamError("id", f"not an article id: {_show(value)} (ids are 12 hex digits)")
    return value


def _int(value: str | None, name: str, low: int, high: int, *, default: int | None) -> int | None:
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", value):
        raise ParamError(name, f"{name} must be a whole number from {low} to {high}")
    number = int(value)
    if not low <= number <= high:
        raise ParamError(name, f"{name} must be a whole number from {low} to {high}")
    return number


def _text(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_FILTER_CHARS:
        raise ParamError(name, f"{name} filter too long (the limit is {MAX_FILTER_CHARS})")
    if "\x00" in value:
        raise ParamError(name, f"the {name} filter contains a NUL character")
    return value


def _day(value: str | None, *, end: bool) -> dt.date | None:
    if value is None:
        return None
    first, last = user_date_span(value)
    return last if end else first


def _show(value: str, limit: int = 40) -> str:
    """A client's value quoted for an error message, cut short (it is echoed back)."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
