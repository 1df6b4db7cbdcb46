"""The Whoosh schema: which article fields are searchable, filterable, sortable and stored.

Searchable text (BM25F; title > summary > authors > body, boosted at query time so weights can be
tuned without a rebuild) is stemmed English; names, sites
and categories are tokenised but not stemmed, so ``author:koetse`` and ``--site whatsonweibo`` match
exactly. Display metadata lives in one stored ``meta`` dict so a hit needs one stored-field read.

The index also holds one ``kind="file"`` record per source file (its hash, size, mtime and the ids of
its articles), so the file manifest commits atomically with the articles it describes.
"""

from __future__ import annotations

from whoosh.analysis import (
    Analyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemmingAnalyzer,
    StopFilter,
)
from whoosh.fields import BOOLEAN, DATETIME, ID, NUMERIC, STORED, TEXT, Schema

# Query-time field weights for BM25F.
FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "authors": 1.5, "body": 1.0}
# Bump when the schema or what goes into it changes: older indexes are then rebuilt, not misread.
SCHEMA_VERSION = 1
SEARCH_FIELDS = ("title", "summary", "body", "authors")
# Names users may type before a colon, and the field each one means.
FIELD_ALIASES = {
    "authors": ["author", "by"],
    "site": ["publisher", "publication"],
    "category": ["section"],
    "tags": ["tag"],
}


def text_analyzer() -> Analyzer:
    return StemmingAnalyzer()


def name_analyzer() -> Analyzer:
    return RegexTokenizer() | LowercaseFilter() | StopFilter(minsize=1)


def build_schema() -> Schema:
    stem = text_analyzer()
    names = name_analyzer()
    return Schema(
        kind=ID(stored=True),
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=stem, stored=True),
        summary=TEXT(analyzer=stem, stored=True),
        body=TEXT(analyzer=stem, stored=True),
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
        meta=STORED(),
    )
