"""Stage 5a — an article (or a source file's record) -> the Whoosh document that stores it.

In: an ``Article``, its dedup ``Fingerprint`` and its ``DuplicateCluster``; or a ``FileRecord``.
Out: the field dict the index writer takes (schema in ``searchkit.index.schema``), and back again
(``article_from_stored``) when a stored article has to be re-written because its cluster changed.

An article's fields come in two parts: ``article_fields`` depend on the article alone, so the
reader processes analyse them while files are still being read; ``cluster_fields`` depend on the
duplicate clusters, known only once every article has been read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from searchkit.dedup import Fingerprint
from searchkit.index.schema import facet_value, url_domain
from searchkit.models import Article, DuplicateCluster, FileRecord

# Fields whose value is other fields' values joined by newlines (``fastwriter.Analyser`` reuses
# their words instead of finding them again).
COMPOSED_FIELDS: dict[str, tuple[str, ...]] = {"exact": ("title", "summary", "body")}


def article_document(
    article: Article, fp: Fingerprint, cluster: DuplicateCluster
) -> dict[str, Any]:
    """Every field of an article's document."""
    return {**article_fields(article), **cluster_fields(article, fp, cluster)}


def article_fields(article: Article) -> dict[str, Any]:
    """The fields that depend on the article alone."""
    date = dt.datetime.combine(article.date, dt.time()) if article.date else None
    # A title derived from the body's first words is shown, not indexed as a title: its words are
    # the body's, and weighting them again as a title ranked an article up for its first line.
    title = "" if article.title_derived else article.title
    doc: dict[str, Any] = {
        "kind": "article",
        "id": article.id,
        "title": title,
        "summary": article.summary or "",
        "body": article.body,
        "exact": "\n".join((title, article.summary or "", article.body)),
        "authors": " ; ".join(article.authors),
        "site": article.site or "",
        "category": article.category or "",
        "tags": " ; ".join(article.tags),
        "source": article.source,
        "dated": date is not None,
    }
    if article.title_derived:
        doc["_stored_title"] = article.title
    if date is not None:
        doc["date"] = date
    if article.year is not None:
        doc["year"] = article.year
    return doc


# The fields ``cluster_fields`` returns: the only ones an article read in this run still gains
# after dedup (the index writer hands the others' posting lists to a helper process early).
CLUSTER_FIELDS = ("cluster", "canonical", "duplicated", "facets", "meta")


def cluster_fields(article: Article, fp: Fingerprint, cluster: DuplicateCluster) -> dict[str, Any]:
    """The fields that depend on the article's duplicate cluster (and its stored metadata)."""
    canonical = cluster.canonical == article.id
    copies = (
        [{"id": d.id, "source": d.source, "similarity": d.similarity} for d in cluster.duplicates]
        if canonical
        else []
    )
    return {
        "cluster": cluster.cluster_id,
        "canonical": canonical,
        "duplicated": bool(cluster.duplicates),
        "facets": facet_value(
            canonical, article.site, article.category, article.authors, url_domain(article.url)
        ),
        "meta": {
            "authors": article.authors,
            "date": article.date.isoformat() if article.date else None,
            "year": article.year,
            "site": article.site,
            "category": article.category,
            "tags": article.tags,
            "position": article.position,
            "title_derived": article.title_derived,
            "url": article.url,
            "lang": article.lang,
            "words": article.word_count,
            "duplicates": copies,
            "canonical_id": cluster.canonical,
            "fingerprint": {
                "hash": fp.content_hash,
                "signature": fp.to_bytes(),
                "shingles": fp.shingles,
            },
        },
    }


def article_from_stored(stored: dict[str, Any]) -> Article:
    """The ``Article`` a stored document was made from (for re-writing it with new cluster facts)."""
    meta = stored["meta"]
    return Article(
        source=stored["source"],
        position=meta["position"],
        title=stored["title"],
        body=stored["body"],
        title_derived=meta["title_derived"],
        summary=stored.get("summary") or None,
        authors=list(meta["authors"]),
        date=dt.date.fromisoformat(meta["date"]) if meta.get("date") else None,
        year=meta.get("year"),
        site=meta.get("site"),
        category=meta.get("category"),
        tags=list(meta.get("tags") or []),
        url=meta.get("url"),
        lang=meta.get("lang"),
    )


def file_document(record: FileRecord) -> dict[str, Any]:
    """The ``kind="file"`` document of a source file (what ``searchkit stats`` counts)."""
    return {
        "kind": "file",
        "id": "file:" + record.relpath,
        "source": record.relpath,
        "meta": {
            "size": record.size,
            "mtime": record.mtime,
            "digest": record.digest,
            "encoding": record.encoding,
            "article_ids": record.article_ids,
        },
    }
