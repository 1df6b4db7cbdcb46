"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Written by hand next to the shapes it describes (``searchkit.render``) and checked against real
responses by the tests, so it cannot drift from what the API returns.
"""

from __future__ import annotations

from typing import Any

from searchkit import __version__
from searchkit.models import FACET_NAMES
from searchkit.query.searcher import MAX_QUERY_CHARS, SORTS
from searchkit.web.params import (
    MAX_AUTHOR_FILTERS,
    MAX_FILTER_CHARS,
    MAX_LIMIT,
    MAX_PAGE,
    MAX_YEAR,
    MIN_YEAR,
    SWITCH,
)

_STR = {"type": "string"}
_NULLABLE_STR = {"type": ["string", "null"]}
_STR_LIST = {"type": "array", "items": _STR}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "A bad parameter or an unparsable query."),
    "503": _json(_ref("Error"), "No usable index."),
}

_SEARCH_PARAMETERS = [
    {
        "name": "q",
        "in": "query",
        "required": True,
        "description": 'Words, "phrases", AND/OR/NOT, field:value, wild*cards, date:[A to B].',
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
    },
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    },
    {
        "name": "limit",
        "in": "query",
        "description": "Hits per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
    },
    {
        "name": "sort",
        "in": "query",
        "description": "Relevance, or by publication date (undated articles last).",
        "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"},
    },
    {
        "name": "correct",
        "in": "query",
        "description": "0 searches the words as typed, with no spelling correction (the page's "
        "'search instead for' link); 1, the default, corrects words the index does not hold.",
        "schema": {"type": "string", "enum": list(SWITCH), "default": "1"},
    },
    {
        "name": "author",
        "in": "query",
        "description": "Only articles by this author; repeat for several (all must match).",
        "style": "form",
        "explode": True,
        "schema": {
            "type": "array",
            "maxItems": MAX_AUTHOR_FILTERS,
            "items": {"type": "string", "maxLength": MAX_FILTER_CHARS},
        },
    },
    {
        "name": "site",
        "in": "query",
        "schema": {"type": "string", "maxLength": MAX_FILTER_CHARS},
    },
    {
        "name": "category",
        "in": "query",
        "schema": {"type": "string", "maxLength": MAX_FILTER_CHARS},
    },
    {
        "name": "year",
        "in": "query",
        "description": "Only articles published in this year (a value of the year facet).",
        "schema": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
    },
    {
        "name": "since",
        "in": "query",
        "description": "Published on or after (YYYY, YYYY-MM or YYYY-MM-DD).",
        "schema": {"type": "string"},
    },
    {
        "name": "until",
        "in": "query",
        "description": "Published on or before (YYYY, YYYY-MM or YYYY-MM-DD).",
        "schema": {"type": "string"},
    },
]

_ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "An article id as search results give it (12 hex digits).",
    "schema": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
}

_SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _STR, "status": {"type": "integer"}}),
    "Duplicate": _object({"id": _STR, "source": _STR, "similarity": {"type": "number"}}),
    "Hit": _object(
        {
            "rank": {"type": "integer"},
            "id": _STR,
            "title": _STR,
            "title_derived": {"type": "boolean"},
            "authors": _STR_LIST,
            "date": {"type": ["string", "null"], "format": "date"},
            "site": _NULLABLE_STR,
            "category": _NULLABLE_STR,
            "source": _STR,
            "url": {
                "type": ["string", "null"],
                "description": "The original's address as the page stated it (http or https only).",
            },
            "score": {"type": "number"},
            "snippet": {
                "type": "string",
                "description": "HTML: the text escaped, matched words in <mark>.",
            },
            "duplicates": {"type": "array", "items": _ref("Duplicate")},
        }
    ),
    "FacetCount": _object({"value": _STR, "count": {"type": "integer"}}),
    "SearchResults": _object(
        {
            "query": _STR,
            "total": {"type": "integer", "description": "Distinct stories matching."},
            "page": {"type": "integer"},
            "limit": {"type": "integer"},
            "sort": {"type": "string", "enum": list(SORTS)},
            "corrected": {
                "type": ["string", "null"],
                "description": "The spelling-corrected query searched instead of `query`, the "
                "text as typed; search that with correct=0 to see its own results.",
            },
            "suggested": {
                "type": ["string", "null"],
                "description": "A correction only offered (did you mean): words that look like "
                "names are not replaced.",
            },
            "correct": {
                "type": "boolean",
                "description": "Whether spelling correction was on for this search.",
            },
            "all_words": {
                "type": ["integer", "null"],
                "description": "When fewer stories than a page hold every word: how many do. "
                "They rank first; stories with some of the words follow (and count in `total`).",
            },
            "complete": {
                "type": "boolean",
                "description": "False when the search stopped at its time limit and answered "
                "with what it had found by then (a notice says so).",
            },
            "notices": _STR_LIST,
            "facets": {
                "type": "object",
                "description": "Counts of distinct stories per value, over the matches and the "
                "other active filters, most frequent first.",
                "properties": {
                    name: {"type": "array", "items": _ref("FacetCount")} for name in FACET_NAMES
                },
                "required": list(FACET_NAMES),
            },
            "hits": {"type": "array", "items": _ref("Hit")},
        }
    ),
    "Similar": _object({"id": _STR, "hits": {"type": "array", "items": _ref("Hit")}}),
    "Article": _object(
        {
            "id": _STR,
            "title": _STR,
            "title_derived": {"type": "boolean"},
            "summary": _NULLABLE_STR,
            "authors": _STR_LIST,
            "date": {"type": ["string", "null"], "format": "date"},
            "year": {"type": ["integer", "null"]},
            "site": _NULLABLE_STR,
            "category": _NULLABLE_STR,
            "tags": _STR_LIST,
            "source": _STR,
            "url": {
                "type": ["string", "null"],
                "description": "The original's address as the page stated it (http or https only).",
            },
            "position": {"type": "integer"},
            "canonical_id": _STR,
            "text": _STR,
            "duplicates": {"type": "array", "items": _ref("Duplicate")},
        }
    ),
    "Stats": _object(
        {
            "articles": {"type": "integer"},
            "distinct_articles": {"type": "integer"},
            "duplicates": {"type": "integer"},
            "duplicate_clusters": {"type": "integer"},
            "sources": {"type": "integer"},
            "skipped": {
                "type": "array",
                "items": _object({"source": _STR, "reason": _STR}),
            },
            "index": _STR,
            "built_at": _NULLABLE_STR,
            "roots": _STR_LIST,
        }
    ),
    "Health": _object(
        {"status": _STR, "built_at": _NULLABLE_STR, "busy": {"type": "boolean"}},
        optional=("busy",),  # present (true) while a search holds the index
    ),
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchkit",
            "version": __version__,
            "description": (
                "Full-text search over a local index of saved web articles. The shapes are the "
                "ones `searchkit search --json` and `searchkit show --json` print."
            ),
        },
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked search; copies of one story show once.",
                    "operationId": "search",
                    "parameters": _SEARCH_PARAMETERS,
                    "responses": {
                        "200": _json(_ref("SearchResults"), "One page of ranked hits."),
                        **_ERRORS,
                    },
                }
            },
            "/api/articles/{id}": {
                "get": {
                    "summary": "One article: metadata, cleaned text and its other copies.",
                    "operationId": "article",
                    "parameters": [_ID_PARAMETER],
                    "responses": {
                        "200": _json(_ref("Article"), "The article."),
                        "404": _json(_ref("Error"), "No article with this id."),
                        **_ERRORS,
                    },
                }
            },
            "/api/articles/{id}/similar": {
                "get": {
                    "summary": "More like this: the closest articles, this story's copies left out.",
                    "operationId": "similar",
                    "parameters": [
                        _ID_PARAMETER,
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_LIMIT,
                                "default": 10,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Similar"), "The closest articles, best first."),
                        "404": _json(_ref("Error"), "No article with this id."),
                        **_ERRORS,
                    },
                }
            },
            "/api/stats": {
                "get": {
                    "summary": "Counts of articles, duplicates, sources and skipped files.",
                    "operationId": "stats",
                    "responses": {"200": _json(_ref("Stats"), "Index statistics."), **_ERRORS},
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Whether the index can be searched.",
                    "operationId": "health",
                    "responses": {
                        "200": _json(_ref("Health"), "The index is live."),
                        "503": _json(_ref("Error"), "No usable index."),
                    },
                }
            },
        },
        "components": {"schemas": _SCHEMAS},
    }
