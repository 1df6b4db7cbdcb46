"""The small typed records that pass between the pipeline's stages.

sources -> ``SourceFile`` / ``SkippedFile``
extract -> ``Page`` (decoded text of one file, plus any metadata the format itself carries)
segment -> ``Article`` (one article of a page, cleaned, with its metadata)
dedup   -> ``DuplicateCluster`` (copies of one story, a canonical one chosen)
search  -> ``Hit`` / ``SearchResults``
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field


def article_id(source: str, position: int) -> str:
    """A short, stable id: the same file and position always give the same id."""
    return hashlib.sha1(f"{source}#{position}".encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found under one of the roots the user asked to index."""

    path: str  # absolute path on disk
    relpath: str  # path shown to users and stored in the index (relative to its root's parent)
    size: int
    mtime: float
    # The real path of the folder it was found in, when it was found by walking one: the reader
    # checks the file it opens is still inside it (a file swapped for a link between discovery
    # and reading is not followed out of the folder). Empty for a file named on its own.
    root: str = ""


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file that was not indexed, and why (shown in the summary, never a traceback)."""

    relpath: str
    reason: str


@dataclass(slots=True)
class Page:
    """The decoded content of one source file, before it is split into articles."""

    source: SourceFile
    text: str
    kind: str = "text"  # "text", "markdown", "html", "jsonl"
    encoding: str = "utf-8"
    digest: str = ""  # sha256 of the file's bytes: how a re-run knows a file is unchanged


@dataclass(slots=True)
class Article:
    """One article found in a page, with its boilerplate stripped."""

    source: str  # relpath of the file it came from
    position: int  # 1-based order of the article within its file
    title: str
    body: str
    title_derived: bool = False  # True when the page gave no title and we made one from the text
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    date: dt.date | None = None  # the publication date the page states
    year: int | None = None  # date.year, or the year of the article's copyright line
    site: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    url: str | None = None
    lang: str | None = None

    @property
    def id(self) -> str:
        return article_id(self.source, self.position)

    @property
    def word_count(self) -> int:
        return len(self.body.split())


@dataclass(slots=True)
class FileRecord:
    """What the index remembers about a source file it has read."""

    relpath: str
    size: int
    mtime: float
    digest: str
    encoding: str
    article_ids: list[str] = field(default_factory=list)
    skipped: str | None = None  # why it gave no articles (remembered so it is not read again)


@dataclass(frozen=True, slots=True)
class DuplicateRef:
    """A non-canonical copy of a story: where else it was saved."""

    id: str
    source: str
    # estimated containment (share of the shorter copy's shingles in the other), not Jaccard
    similarity: float = 1.0


@dataclass(slots=True)
class DuplicateCluster:
    """Copies of one story: the canonical copy and every other copy, none of them dropped."""

    cluster_id: str
    canonical: str  # article id
    duplicates: list[DuplicateRef] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + len(self.duplicates)


@dataclass(slots=True)
class StoredArticle:
    """An article as the index holds it (what `searchkit show` prints)."""

    id: str
    title: str
    summary: str | None
    authors: list[str]
    date: dt.date | None
    year: int | None
    site: str | None
    category: str | None
    tags: list[str]
    source: str
    position: int
    text: str
    title_derived: bool
    canonical_id: str  # the copy shown for its cluster (itself when it is the canonical one)
    duplicates: list[DuplicateRef] = field(default_factory=list)  # other copies of its cluster
    url: str | None = None  # the original's address (http or https only: ``web_url``)


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One line of a hit's score explanation: what a field's match on a term added."""

    field: str  # "title", "body", "exact", … or "proximity" for query words found close together
    term: str  # the indexed term (a stem; "a b" for a proximity pair)
    score: float


@dataclass(slots=True)
class Hit:
    """One ranked search result (a duplicate cluster shows once, as its canonical copy)."""

    rank: int
    id: str
    title: str
    authors: list[str]
    date: dt.date | None
    site: str | None
    category: str | None
    source: str
    score: float
    snippet: list[tuple[str, bool]]  # text spans; True marks a matched term
    duplicates: list[DuplicateRef] = field(default_factory=list)
    title_derived: bool = False
    explanation: list[ScorePart] | None = None  # filled when the search asked to explain scores
    url: str | None = None  # the original's address (http or https only: ``web_url``)


@dataclass(frozen=True, slots=True)
class FacetCount:
    """How many distinct stories among the matches have this site / author / year / category."""

    value: str
    count: int


FACET_NAMES = ("site", "author", "year", "category")


@dataclass(slots=True)
class SearchResults:
    query: str
    total: int  # distinct stories matching (duplicate clusters counted once)
    page: int
    limit: int
    hits: list[Hit]
    notices: list[str] = field(default_factory=list)  # e.g. "no article matched every term…"
    # by facet name (FACET_NAMES): counts over the matches and the *other* active filters
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    corrected: str | None = None  # the spelling-corrected query that was searched instead
    sort: str = "relevance"
    complete: bool = True  # False when the search stopped at its time limit (a notice says so)
    suggested: str | None = None  # a correction offered but not searched (name-like words)
    correct: bool = True  # False: searched as typed, spelling correction turned off
    # stories holding every word, when fewer than a page did and ones with some followed them
    all_words: int | None = None


def web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address safe to show and link, else None.

    Scraped pages state their own URL (canonical link, og:url, JSON-LD): a ``javascript:`` or
    ``data:`` address there must never become a link, and one holding spaces or control
    characters is no address a browser or terminal should be handed.
    """
    if not url:
        return None
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or len(url) > 2000:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    return url
