"""Page chrome and boilerplate removal: a parsed page (or one post of it) in, the same tree out
with invisible elements, navigation, footers, asides and blocks whose class, id or role names page
chrome removed in place.

A wrapper with a chrome-like class that holds the story itself ("layout-with-sidebar") is kept.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "form",
    "button",
    "select",
    "canvas",
    "object",
    "embed",
)
_CHROME_TAGS = ("nav", "footer", "aside")
# A class/id token naming page chrome: "share-buttons", "related_posts", "site-footer", "sidebar".
_CHROME_TOKEN = re.compile(
    r"(^|[-_])(share|sharing|social|related|recommended|comments?|newsletter|subscribe|signup|"
    r"promo|advert|advertisement|ads?|sponsored|sidebar|cookies?|consent|breadcrumbs?|menu|navbar|"
    r"nav|navigation|footer|masthead|popular|trending|most-read|widget|pagination|author-bio|bio|"
    r"disclaimer|skip-link|screen-reader-text|visually-hidden|sr-only)([-_]|$)"
)
# WordPress state classes on posts ("has-comments", "tag-social") are not chrome.
_STATE_PREFIXES = ("has-", "tag-", "category-", "format-", "status-", "type-", "no-")
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})


def _strip_invisible(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(style=re.compile(r"display:\s*none|visibility:\s*hidden", re.I)):
        tag.decompose()
    for tag in soup.find_all(None, {"hidden": True}):
        tag.decompose()
    for tag in soup.find_all(None, {"aria-hidden": "true"}):
        tag.decompose()


def _drop_chrome(scope: Tag) -> None:
    """Remove navigation, footers, asides and blocks whose class or id names page chrome."""
    for tag in scope.find_all(_CHROME_TAGS):
        if tag.attrs is not None and not _holds_article(tag):
            tag.decompose()
    for tag in scope.find_all(True):
        if tag.attrs is None or tag.name in ("body", "html", "article", "main"):
            continue  # already removed with an ancestor, or the page's frame
        if _is_chrome(tag) and not _holds_article(tag):
            tag.decompose()


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
