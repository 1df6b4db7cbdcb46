"""Page chrome and boilerplate removal: a parsed page (or one post of it) in, the same tree out
with invisible elements, navigation, footers, asides and blocks whose class, id or role names page
chrome, and lists of links removed in place.

A wrapper with a chrome-like class that holds the story itself ("layout-with-sidebar") is kept.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from searchkit.ingest.html.text import _link_density

_DROP_TAGS = (
    "script",
    "style",
    "template",
    "svg",
    "iframe",
    "button",
    "select",
    "canvas",
    "object",
    "embed",
)
# A <form> is dropped only when it does not hold the story: ASP.NET and some CMSs wrap the whole
# page in one ("aspnetForm").
_CHROME_TAGS = ("nav", "footer", "aside", "form")
# A class/id token naming page chrome: "share-buttons", "related_posts", "site-footer", "sidebar".
_CHROME_TOKEN = re.compile(
    r"(^|[-_])(share|sharing|social|related|recommended|comments?|newsletter|subscribe|signup|"
    r"promo|advert|advertisement|ads?|sponsored|sidebar|cookies?|consent|breadcrumbs?|menu|navbar|"
    r"nav|navigation|footer|masthead|popular|trending|most-read|pagination|author-bio|bio|"
    r"disclaimer|skip-link|screen-reader-text|visually-hidden|sr-only)([-_]|$)"
)
# WordPress state classes on posts ("has-comments", "tag-social") are not chrome.
_STATE_PREFIXES = ("has-", "tag-", "category-", "format-", "status-", "type-", "no-")
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})


def _strip_invisible(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    guard = _TextGuard(soup)
    for tag in soup.find_all(_is_hidden):  # one walk over the tree, not one per kind
        if tag.attrs is not None and not guard.holds_story(tag):
            tag.decompose()


_HIDING_STYLE = re.compile(r"display:\s*none|visibility:\s*hidden", re.I)


def _is_hidden(tag: Tag) -> bool:
    if tag.name == "noscript":  # Blogger serves its posts to readers without scripts here
        return True
    if tag.has_attr("hidden") or tag.get("aria-hidden") == "true":
        return True
    style = tag.get("style")
    return isinstance(style, str) and _HIDING_STYLE.search(style) is not None


def _drop_chrome(scope: Tag) -> None:
    """Remove navigation, footers, asides and blocks whose class or id names page chrome."""
    guard = _TextGuard(scope)
    for tag in scope.find_all(_CHROME_TAGS):
        if tag.attrs is not None and not _holds_article(tag) and not guard.holds_story(tag):
            tag.decompose()
    for tag in scope.find_all(True):
        if tag.attrs is None or tag.name in ("body", "html", "article", "main"):
            continue  # already removed with an ancestor, or the page's frame
        if _is_chrome(tag) and not _holds_article(tag) and not guard.holds_story(tag):
            tag.decompose()


class _TextGuard:
    """Whether an element marked as chrome or hidden holds the page's story all the same.

    Pages hide their article until a script runs (``aria-hidden`` on the page wrapper behind a
    cookie dialog), or give its container a class like "content-with-sidebar"; removing those
    emptied 4 of trafilatura's 884 evaluation pages and cost 0.03 of recall there. An element
    holding ``_STORY_SHARE`` of the page's paragraph words is the story, whatever its markup says.
    """

    def __init__(self, scope: Tag) -> None:
        self.total = _paragraph_words(scope)

    def holds_story(self, tag: Tag) -> bool:
        return self.total > 0 and _paragraph_words(tag) >= _STORY_SHARE * self.total


# 0.3 and 0.5 gave the same figures on both halves of trafilatura's evaluation pages and on the
# 19 news pages (bench/extraction_snippets.py, bench/extraction.py); the lower keeps more.
_STORY_SHARE = 0.3


def _paragraph_words(scope: Tag) -> int:
    return sum(len(p.get_text(" ", strip=True).split()) for p in scope.find_all("p"))


def _is_chrome(tag: Tag) -> bool:
    if (tag.get("role") or "") in _CHROME_ROLES:
        return True
    tokens = [*(tag.get("class") or []), tag.get("id") or ""]
    return any(
        _CHROME_TOKEN.search(token.lower())
        for token in tokens
        if token and not token.lower().startswith(_STATE_PREFIXES)
    )


def _holds_article(tag: Tag) -> bool:
    """A wrapper that happens to carry a chrome-like class ("layout-with-sidebar") around the story."""
    return (
        tag.find(("h1", "main", "article")) is not None
        or tag.find(itemprop="articleBody") is not None
    )


def _drop_link_lists(scope: Tag) -> None:
    """Remove lists that are only links ("More on this story", a site's section index) in place.

    A list of links inside a story's body points at other stories: kept, their headlines made a
    ransomware query find a story about threats to a politician. A list of three or more items,
    at least ``_LINK_ITEMS`` of them mostly link text, is such a list; a list of sources with
    words around each link is not.
    """
    for found in scope.find_all(("ul", "ol")):
        if found.attrs is None:
            continue  # removed with an enclosing list
        items = found.find_all("li", recursive=False)
        if len(items) < 3:
            continue
        linked = sum(1 for item in items if _link_density(item) > _LINKED)
        if linked >= _LINK_ITEMS * len(items) and _link_density(found) > _LINKED:
            found.decompose()


_LINKED = 0.7  # an item whose text is this much link text is a link
_LINK_ITEMS = 0.8

