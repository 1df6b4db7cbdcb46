"""Articles: look-ups that are not searches — one article by id, articles like it, the clusters
of copies, the index's counts.

In: an ``OpenIndex`` and an article id (or a unique id prefix of 4+ hex characters). Out:
``StoredArticle`` (or ``ArticleNotFound``), the ``Hit``s of the articles most like one (its own
story left out), the canonical copy of every cluster of copies, and ``stats``' counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from whoosh import query

from searchkit.index.generations import IndexStore
from searchkit.models import Hit, StoredArticle
from searchkit.query import match, order, results
from searchkit.query import rank as ranking
from searchkit.query.snapshot import OpenIndex

_ARTICLES = query.Term("kind", "article")
_CLUSTERS = query.And([_ARTICLES, query.Term("canonical", True), query.Term("duplicated", True)])


class ArticleNotFound(LookupError):
    """No article has this id, or an id prefix names more than one."""


def article(index: OpenIndex, article_id: str) -> StoredArticle:
    """The article with this id (or unique id prefix of 4+ characters)."""
    stored = results.stored_article(index, article_id)
    if stored is None and len(article_id) >= 4 and re.fullmatch(r"[0-9a-f]+", article_id):
        matches = _prefixed(index, article_id)
        if len(matches) > 1:
            raise ArticleNotFound(f"id prefix {article_id!r} matches {len(matches)} articles")
        stored = matches[0] if matches else None
    if stored is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    return results.to_article(index, stored)


def _prefixed(index: OpenIndex, prefix: str) -> list[dict[str, Any]]:
    q = query.And([_ARTICLES, query.Prefix("id", prefix)])
    return [hit.fields() for hit in index.whoosh.search(q, limit=3)]


def similar(index: OpenIndex, article: StoredArticle, limit: int) -> list[Hit]:
    """Articles most like this one (its own copies excluded), by its most telling words."""
    docnum = index.whoosh.document_number(id=article.id, kind="article")
    own_story = index.table.story_of[docnum]
    q = ranking.like_query(index.whoosh, article.title, article.text)
    if q is None:
        return []
    found = match.matches(index, q)
    ranked = order.by_relevance(index, found, found.stories - {own_story}, limit)
    return results.hits(index, q, ranked[:limit])


def duplicate_clusters(index: OpenIndex) -> list[StoredArticle]:
    """The canonical copy of every cluster that holds two or more copies, by title."""
    found = [
        results.to_article(index, hit.fields())
        for hit in index.whoosh.search(_CLUSTERS, limit=None)
    ]
    return sorted(found, key=lambda a: a.title.lower())


def every_article(index: OpenIndex) -> Iterator[StoredArticle]:
    """Every article of the index, copies included, in index order."""
    for hit in index.whoosh.search(_ARTICLES, limit=None, scored=False, sortedby=None):
        yield results.to_article(index, hit.fields())


def stats(index: OpenIndex, store: IndexStore) -> dict[str, Any]:
    """Counts of articles, distinct stories, copies, clusters and sources; the build's record."""

    def count(q: query.Query) -> int:
        return len(index.whoosh.search(q, limit=None, scored=False))

    articles = count(_ARTICLES)
    distinct = count(query.And([_ARTICLES, query.Term("canonical", True)]))
    meta = store.meta()
    return {
        "articles": articles,
        "distinct_articles": distinct,
        "duplicates": articles - distinct,
        "duplicate_clusters": count(_CLUSTERS),
        "sources": count(query.Term("kind", "file")),
        "skipped": meta.get("skipped", []),
        "index": str(store.path),
        "built_at": meta.get("built_at"),
        "roots": meta.get("roots", []),
    }
