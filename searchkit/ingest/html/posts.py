"""Pages that list several posts (an archive or tag page, a forum thread: repeated ``<article>``
or ``.hentry`` blocks): a de-chromed page and its main text in, the page's posts out
(``find_entries`` for the candidates, ``real_posts`` for the ones to split it into), and each post as
an ``Article`` with its own title, byline, date and link (``_entry_article``).

Why not every ``<article>``: pages mark up much more than posts with it. News pages put their
related-story teasers, and magazines each section of one guide, in ``<article>`` elements; NYT wraps
the whole page in ``itemtype=NewsArticle`` around an inner ``<article>``. Splitting on the markup
alone made 29 of trafilatura's 884 evaluation pages miss snippets of their story that
trafilatura found (11 after this rule; bench/extraction_snippets.py --misses searchkit). So a page is split only into *real posts* — each with a heading of
its own and a body of some length — when there are at least two, when together they hold most of
the page's main text (teasers around a story hold little of it), and when no one of them outweighs
the rest (the article with small teasers of related stories is one article). Nested candidates
count once, as the outermost.
"""

from __future__ import annotations

from collections import Counter

from bs4 import BeautifulSoup, Tag

from searchkit.dedup import tokens
from searchkit.ingest.html.clutter import _drop_chrome
from searchkit.ingest.html.main_text import block_text, trafilatura_main_text
from searchkit.ingest.html.metadata import PageMeta, _element_authors, _element_date, _names
from searchkit.ingest.html.text import _clean
from searchkit.ingest.text_dump import derive_title
from searchkit.models import Article

_ENTRY_SELECTOR = "article, .hentry, .h-entry, [itemtype*='BlogPosting'], [itemtype*='NewsArticle']"
_HEADINGS = ("h1", "h2", "h3", "h4")
# A post's body (its words without the heading) shorter than this is a teaser or a link, not a post:
# the tag-archive summaries in tests/fixtures run 35-40 words, the teasers of trafilatura's
# evaluation pages 15-30.
_MIN_POST_WORDS = 30
# Posts that hold less than this share of the page's main text are what surrounds the story.
_MIN_MAIN_TEXT_SHARE = 0.5
_MAIN_DOMINANCE = 3.0  # one post this many times heavier than the next is the page's article
_MAIN_MIN_WORDS = 150


def find_entries(soup: BeautifulSoup) -> list[Tag]:
    """Every element marked up as a post, in page order; one nested inside another counts once."""
    candidates = soup.select(_ENTRY_SELECTOR)
    marked = {id(el) for el in candidates}
    return [el for el in candidates if not any(id(parent) in marked for parent in el.parents)]


def real_posts(entries: list[Tag], main_text: str) -> list[Tag]:
    """The posts to split the page into: two or more, or [] when the page is one article."""
    posts: list[tuple[Tag, int]] = []
    seen: set[tuple[str, ...]] = set()
    for el in entries:
        words = _body_words(el)
        text = tuple(tokens(el.get_text(" ")))
        if words >= _MIN_POST_WORDS and text not in seen:  # a copy of a post is no second post
            seen.add(text)
            posts.append((el, words))
    if len(posts) < 2:
        return []
    weights = sorted((words for _, words in posts), reverse=True)
    if weights[0] >= _MAIN_DOMINANCE * weights[1] and weights[0] >= _MAIN_MIN_WORDS:
        return []  # the article, and teasers of related stories around it
    if main_text and _share_of(main_text, [el for el, _ in posts]) < _MIN_MAIN_TEXT_SHARE:
        return []  # the story is elsewhere on the page; these are its surroundings
    return [el for el, _ in posts]


def _body_words(entry: Tag) -> int:
    """Words of the entry outside its heading; 0 for an entry without a heading of its own."""
    heading = entry.find(_HEADINGS)
    if not isinstance(heading, Tag):
        return 0
    return len(tokens(entry.get_text(" "))) - len(tokens(heading.get_text(" ")))


def _share_of(main_text: str, posts: list[Tag]) -> float:
    """How much of the main text's words the posts' words cover (as multisets)."""
    want = Counter(tokens(main_text))
    have: Counter[str] = Counter()
    for post in posts:
        have.update(tokens(post.get_text(" ")))
    total = sum(want.values())
    return sum((want & have).values()) / total if total else 0.0


def _entry_article(
    entry: Tag, meta: PageMeta, source: str, *, use_trafilatura: bool = True
) -> Article | None:
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
    body = (trafilatura_main_text(str(entry)) if use_trafilatura else "") or block_text(entry)
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
