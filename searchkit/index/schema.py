"""The Whoosh schema: which article fields are searchable, filterable, sortable and stored.

Searchable text (BM25F; title > summary > authors > body, boosted at query time so weights can be
tuned without a rebuild) is stemmed English with Chinese/Japanese/Korean as character bigrams
(``searchkit.analysis``); ``exact`` holds the same words unstemmed, so an exact match can outrank a
stemmed one and spelling suggestions are real words. Names, sites and categories are tokenised but
not stemmed, so ``author:koetse`` matches exactly. Display metadata lives in one stored ``meta`` dict
so a hit needs one stored-field read; the facet values (site, category, authors) are also in one
``facets`` column, which search reads for every document of a generation once (facet counts and
filters then cost a list look-up per matching story).

The index also holds one ``kind="file"`` record per source file (its hash, size, mtime and the ids of
its articles), so the file manifest commits atomically with the articles it describes.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.columns import VarBytesColumn
from whoosh.fields import BOOLEAN, COLUMN, DATETIME, ID, NUMERIC, STORED, TEXT, Schema

from searchkit.analysis import exact_analyzer, name_analyzer, text_analyzer

# Query-time field weights for BM25F, measured on Cranfield and CACM (``python -m
# bench.tune_ranking``, docs/benchmarks.md); summary and authors, which neither has, by hand.
FIELD_BOOSTS = {"title": 1.0, "summary": 1.0, "authors": 1.5, "body": 1.0, "exact": 0.5}
# Bump when the schema or what goes into it changes: older indexes are then rebuilt, not misread.
SCHEMA_VERSION = 6  # 4: Snowball, derived titles, titles in dedup; 5: 1-letter words; 6: domains
SEARCH_FIELDS = ("title", "summary", "body", "authors")
# Names users may type before a colon, and the field each one means.
FIELD_ALIASES = {
    "authors": ["author", "by"],
    "site": ["publisher", "publication"],
    "category": ["section"],
    "tags": ["tag"],
}


# The ``facets`` column of an article: "1" for the canonical copy of its cluster ("0" for another
# copy), then site, category, authors and the domain of its URL, joined by these separators.
FACET_SEP = "\x1f"
AUTHOR_SEP = "\x1e"


@dataclass(frozen=True, slots=True)
class FacetFields:
    canonical: bool
    site: str | None
    category: str | None
    authors: tuple[str, ...]
    domain: str | None = None  # "nypost.com" for https://www.nypost.com/...


def url_domain(url: str | None) -> str | None:
    """The host of an http(s) URL, lowercased, without "www." (None for anything else)."""
    if not url:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or "." not in host:
        return None
    return host.removeprefix("www.")


def facet_value(
    canonical: bool,
    site: str | None,
    category: str | None,
    authors: list[str],
    domain: str | None = None,
) -> bytes:
    """What the ``facets`` column holds for one article."""

    def clean(value: str | None) -> str:
        return " ".join((value or "").replace(FACET_SEP, " ").replace(AUTHOR_SEP, " ").split())

    names = AUTHOR_SEP.join(name for name in map(clean, authors) if name)
    parts = ["1" if canonical else "0", clean(site), clean(category), names, clean(domain)]
    return FACET_SEP.join(parts).encode("utf-8")


def parse_facet_value(raw: bytes) -> FacetFields | None:
    """The facet fields of a ``facets`` column value; None for a document that is no article."""
    if not raw:
        return None
    flag, site, category, authors, *rest = raw.decode("utf-8").split(FACET_SEP)
    names = tuple(a for a in authors.split(AUTHOR_SEP) if a)
    domain = rest[0] if rest else ""
    return FacetFields(flag == "1", site or None, category or None, names, domain or None)


def build_schema() -> Schema:
    stem = text_analyzer()
    names = name_analyzer()
    return Schema(
        kind=ID(stored=True),
        id=ID(stored=True, unique=True),
        # A query word that analyses to several terms (a CJK word's bigrams) is a phrase.
        title=TEXT(analyzer=stem, stored=True, multitoken_query="phrase"),
        summary=TEXT(analyzer=stem, stored=True, multitoken_query="phrase"),
        body=TEXT(analyzer=stem, stored=True, multitoken_query="phrase"),
        exact=TEXT(analyzer=exact_analyzer(), phrase=False, multitoken_query="phrase"),
        authors=TEXT(analyzer=names),
        site=TEXT(analyzer=names, phrase=True),
        category=TEXT(analyzer=names, phrase=True),
        tags=TEXT(analyzer=names),
        source=ID(stored=True),
        date=DATETIME(sortable=True),
        dated=BOOLEAN(),
        year=NUMERIC(int, bits=16, sortable=True, signed=False),
        cluster=ID(stored=True, sortable=True),
        canonical=BOOLEAN(stored=True),
        duplicated=BOOLEAN(),  # a member of a cluster of two or more copies
        facets=COLUMN(VarBytesColumn()),
        meta=STORED(),
    )
