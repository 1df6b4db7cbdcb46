"""Pages that list several posts (an archive or tag page: repeated ``<article>`` or ``.hentry``
blocks of similar weight): a de-chromed page in, its post elements out (``find_entries``), and
each post as an ``Article`` with its own title, byline, date and link (``_entry_article``).

A page with one main article and small teasers of related stories yields only the main one: one
block ``_MAIN_DOMINANCE`` times heavier than the next is the page's article.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from searchkit.ingest.html.clutter import _drop_chrome
from searchkit.ingest.html.main_text import block_text
from searchkit.ingest.html.metadata import PageMeta, _element_authors, _element_date, _names
from searchkit.ingest.html.text import _clean, _word_count
from searchkit.ingest.text_dump import derive_title
from searchkit.models import Article

_ENTRY_SELECTOR = "article, .hentry, .h-entry, [itemtype*='BlogPosting'], [itemtype*='NewsArticle']"
_HEADINGS = ("h1", "h2", "h3", "h4")
_MIN_ENTRY_WORDS = 15  # a post on an archive page shorter than this is a link, not an article
_MAIN_DOMINANCE = 3.0  # one block this many times heavier than the next is the page's article


def find_entries(soup: BeautifulSoup) -> list[Tag]:
    """The posts of a page that lists several; [] or one element for a one-article page."""
    entries = [el for el in soup.select(_ENTRY_SELECTOR) if not _has_entry_ancestor(el)]
    weights = [_word_count(el) for el in entries]
    kept = [(el, w) for el, w in zip(entries, weights, strict=True) if w >= _MIN_ENTRY_WORDS]
    if len(kept) < 2:
        return [el for el, _ in kept]
    kept.sort(key=lambda pair: pair[1], reverse=True)
    if kept[0][1] >= _MAIN_DOMINANCE * kept[1][1] and kept[0][1] >= 150:
        return [kept[0][0]]  # the article, and teasers of related stories around it
    order = {id(el): i for i, el in enumerate(entries)}
    return sorted((el for el, _ in kept), key=lambda el: order[id(el)])


def _has_entry_ancestor(el: Tag) -> bool:
    for parent in el.parents:
        if parent.name == "article" or (
            isinstance(parent, Tag) and ({"hentry", "h-entry"} & set(parent.get("class") or []))
        ):
            return True
    return False


def _entry_article(entry: Tag, meta: PageMeta, source: str) -> Article | None:
    heading = entry.find(_HEADINGS)
    title = _clean(heading.get_text(" ", strip=True)) if isinstance(heading, Tag) else ""
    authors = _names(_element_authors(entry))
    date = _element_date(entry)
    url = _entry_url(entry, heading)
    _drop_chrome(entry)
    if isinstance(heading, Tag):
        heading.decompose()
    for el in entry.select(
        "time, .byline, .author, [rel~=author], [itemprop=author], .entry-meta, .post-meta"
    ):
        el.decompose()
    body = block_text(entry)
    if not body:
        return None
    title_derived = not title
    if title_derived:
        title = derive_title(body)
    return Article(
        source=source,
        position=0,
        title=title,
        body=body,
        title_derived=title_derived,
        authors=authors,
        date=date,
        year=date.year if date else None,
        site=meta.site,
        category=meta.section,
        tags=list(meta.tags),
        url=url,
        lang=meta.lang,
    )


def _entry_url(entry: Tag, heading: Tag | None) -> str | None:
    link = None
    if isinstance(heading, Tag):
        link = heading.find("a", href=True)
    if link is None:
        link = entry.find("a", rel="bookmark", href=True)
    href = link.get("href") if isinstance(link, Tag) else None
    return href if isinstance(href, str) else None  # bs4 types href as possibly multi-valued
