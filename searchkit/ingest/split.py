"""A decoded ``Page`` -> its ``Article``s, by the reader its format needs.

In: a ``Page`` (decoded text and its kind: html, markdown, jsonl or text). Out: ``list[Article]``.
The format readers are imported on first use, so a run over text dumps never loads bs4 or
trafilatura; none of them imports this module back.
"""

from __future__ import annotations

from searchkit.models import Article, Page

__all__ = ["split_articles"]


def split_articles(page: Page) -> list[Article]:
    """A page's articles, read the way its format needs (HTML, Markdown, JSON Lines or text)."""
    if page.kind == "html":
        from searchkit.ingest.html import html_articles

        return html_articles(page)
    if page.kind == "markdown":
        from searchkit.ingest.markdown import markdown_articles

        return markdown_articles(page)
    if page.kind == "jsonl":
        from searchkit.ingest.jsonl import jsonl_articles

        return jsonl_articles(page)
    from searchkit.ingest.text_dump import split_text

    return split_text(page.text, page.source.relpath)
