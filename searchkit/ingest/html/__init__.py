"""HTML pages -> ``list[Article]``: the main text without page chrome, and the page's own metadata.

Steps:
1. Parse with BeautifulSoup (lxml's parser: faster than html.parser, see docs/benchmarks.md).
2. ``page_metadata``: title, authors, date, site, canonical URL, language, description, section and
   tags, from the places pages state them — Open Graph / article:* meta tags, JSON-LD, microdata,
   ``<time datetime>``, ``rel=author`` links and byline text.
3. The page's main text comes from trafilatura (``BODY_EXTRACTOR``), which measured better than our
   own container scoring (``own_main_text``, kept as the fallback when trafilatura finds nothing);
   see bench/extraction.py and docs/benchmarks.md.
4. ``find_entries`` and ``real_posts``: a page that lists several real posts (an archive or tag
   page, a thread: ``<article>`` or ``.hentry`` blocks, each with its own heading and body, that
   together hold the main text) yields one article per post, each with its own title, byline and
   date. Otherwise — one story, with teasers of related ones in ``<article>`` markup around it —
   the page is one article with the main text of step 3.

Deeply nested or broken markup never raises out of here except as ``RecursionError``, which the
pipeline turns into a counted skip.

Modules: ``metadata`` (step 2), ``posts`` (step 4), ``clutter`` (chrome removal before 3 and 4),
``main_text`` (step 3), ``text`` (shared helpers). This module ties them together; it reads
``BODY_EXTRACTOR`` at call time, so setting ``searchkit.ingest.html.BODY_EXTRACTOR`` switches
the extractor.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from searchkit.ingest import lines as L
from searchkit.ingest.html.clutter import _drop_chrome, _drop_link_lists, _strip_invisible
from searchkit.ingest.html.main_text import block_text, own_main_text, trafilatura_main_text
from searchkit.ingest.html.metadata import PageMeta, _htmldate, page_metadata, strip_site_suffix
from searchkit.ingest.html.posts import _entry_article, find_entries, real_posts
from searchkit.ingest.html.text import _key
from searchkit.ingest.text_dump import derive_title
from searchkit.models import Article, Page

__all__ = [
    "BODY_EXTRACTOR",
    "PARSER",
    "PageMeta",
    "block_text",
    "find_entries",
    "html_articles",
    "own_main_text",
    "page_metadata",
    "parse",
    "strip_site_suffix",
    "trafilatura_main_text",
]

# "trafilatura" or "own": how the main text of a one-article page is found (bench/extraction.py).
BODY_EXTRACTOR = "trafilatura"
PARSER = "lxml"


def html_articles(page: Page, *, body_extractor: str | None = None) -> list[Article]:
    soup = parse(page.text)
    meta = page_metadata(soup)
    if meta.date is None:
        meta.date = _htmldate(page.text)
    _strip_invisible(soup)
    _drop_chrome(soup)
    _drop_link_lists(soup)
    use_trafilatura = (body_extractor or BODY_EXTRACTOR) == "trafilatura"
    body = _main_text(soup, use_trafilatura)
    posts = real_posts(find_entries(soup), body)
    if posts:
        found = [
            _entry_article(post, meta, page.source.relpath, use_trafilatura=use_trafilatura)
            for post in posts
        ]
        articles = [a for a in found if a is not None]
    else:
        single = _single_article(body, meta, page.source.relpath)
        articles = [single] if single is not None else []
    for position, article in enumerate(articles, start=1):
        article.position = position
    return articles


# A "Follow @handle" button after a closing byline. (?<!\s): linear on runs of spaces.
_FOLLOW_HANDLE = re.compile(r"(?<!\s)\s+(?:follow\s+)?@\w{1,30}$", re.I)


def _closing_byline(body: str) -> tuple[list[str], str]:
    """A byline signed at the end of the story ("-- By Michael Russell"): its names, and the
    body without that line. Only the last two paragraphs are looked at, so a quoted "by" in the
    story is never taken for one."""
    paragraphs = body.split("\n\n")
    for back in (1, 2):
        if len(paragraphs) <= back:
            break
        line = _FOLLOW_HANDLE.sub("", paragraphs[-back].lstrip("-–—― ").strip())
        names = L.byline_names(line)
        if names:
            del paragraphs[-back]
            return names, "\n\n".join(paragraphs)
    return [], body


def parse(html: str, parser: str | None = None) -> BeautifulSoup:
    return BeautifulSoup(html, parser or PARSER)


def _main_text(soup: BeautifulSoup, use_trafilatura: bool) -> str:
    """The page's main text as one article (before any split into posts).

    trafilatura reads the tree we have already cleared of hidden elements, chrome and link lists,
    not the page as saved: on bench/extraction's 19 news pages that took body F1 from 0.911 to
    0.951, and on trafilatura's own 884 evaluation pages it stays level (0.929 -> 0.930).
    """
    body = trafilatura_main_text(str(soup)) if use_trafilatura else ""
    return body or own_main_text(soup)


def _single_article(body: str, meta: PageMeta, source: str) -> Article | None:
    if not meta.authors:
        meta.authors, body = _closing_byline(body)
    title = meta.title
    if title and body:
        # Extractors often keep the headline as the first line of the text.
        first, _, rest = body.partition("\n\n")
        if _key(first) == _key(title):
            body = rest
    if not body:
        return None
    title_derived = not title
    if title_derived:
        title = derive_title(body)
    summary = meta.description
    if summary and _key(body[: len(summary) + 20]).startswith(_key(summary)[:60]):
        summary = None  # a description that only repeats the first sentence adds nothing
    return Article(
        source=source,
        position=0,
        title=title or "",
        body=body,
        title_derived=title_derived,
        summary=summary,
        authors=list(meta.authors),
        date=meta.date,
        year=meta.date.year if meta.date else None,
        site=meta.site,
        category=meta.section,
        tags=list(meta.tags),
        url=meta.url,
        lang=meta.lang,
    )
