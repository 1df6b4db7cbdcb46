"""The main text of a one-article page: HTML (or its parsed, de-chromed tree) in, the article's
text out as paragraphs separated by blank lines.

``trafilatura_main_text`` is the default (it measured better than our own scoring; see
bench/extraction.py and docs/benchmarks.md); ``own_main_text`` — the block holding most paragraph
text, readability-style — is the fallback when trafilatura finds nothing. ``block_text`` turns an
element into paragraph lines, leaving link lists, bylines and repeats out.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from searchkit.ingest import lines as L
from searchkit.ingest.html.text import _clean, _link_density, _word_count

_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td", "dd")


def trafilatura_main_text(html: str) -> str:
    """trafilatura's main text (comments, tables of navigation and link lists left out)."""
    import trafilatura

    try:
        text = trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            include_links=False,
            deduplicate=False,
        )
    except (RecursionError, ValueError, TypeError):  # malformed or hostile markup
        return ""
    return _tidy(text or "")


def own_main_text(soup: BeautifulSoup) -> str:
    """The block of the page holding most paragraph text (readability-style scoring), as text."""
    root = soup.body or soup
    marked = root.select_one(
        "[itemprop=articleBody], .article-body, .article__body, .entry-content, .post-content, .story-body"
    )
    container = (
        marked if isinstance(marked, Tag) and _word_count(marked) >= 50 else _best_container(root)
    )
    return block_text(container)


def _best_container(root: Tag) -> Tag:
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for p in root.find_all(("p", "pre", "blockquote")):
        words = len(p.get_text(" ", strip=True).split())
        if words < 5 or _link_density(p) > 0.5:
            continue
        parent = p.parent
        for share in (1.0, 0.5):
            if not isinstance(parent, Tag):
                break
            scores[id(parent)] = scores.get(id(parent), 0.0) + words * share
            nodes[id(parent)] = parent
            parent = parent.parent
    if not scores:
        return root
    best = max(scores, key=lambda k: scores[k])
    return nodes[best]


def block_text(scope: Tag) -> str:
    """Paragraph-level blocks of ``scope`` as lines of text, link lists and repeats left out."""
    lines: list[str] = []
    seen: set[str] = set()
    blocks = scope.find_all(_BLOCKS)
    if not blocks:
        text = _clean(scope.get_text(" ", strip=True))
        return text
    for block in blocks:
        if block.find(_BLOCKS):  # an outer block: its inner blocks are taken one by one
            continue
        text = _clean(block.get_text(" ", strip=True))
        if not text or not L.has_words(text):
            continue
        if block.name == "li" and _link_density(block) > 0.6:
            continue
        if L.classify(text) in (L.Kind.CHROME, L.Kind.END_HARD, L.Kind.BYLINE, L.Kind.COPYRIGHT):
            continue
        if text in seen:
            continue
        seen.add(text)
        lines.append(text)
    return "\n\n".join(lines)


# Lines trafilatura keeps that are the page's, not the story's: chrome, section labels ending a
# story, and copyright notices ("© 2020 General Mills All Rights Reserved").
_NOT_TEXT = (L.Kind.CHROME, L.Kind.END_HARD, L.Kind.COPYRIGHT)


def _tidy(text: str) -> str:
    """One paragraph per line -> paragraphs separated by blank lines, stray chrome lines dropped."""
    paragraphs = [_clean(p) for p in text.split("\n")]
    kept = [p for p in paragraphs if p and L.classify(p) not in _NOT_TEXT]
    return "\n\n".join(kept)
