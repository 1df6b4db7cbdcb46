"""Stage 5 — index: ``Corpus`` -> a published Whoosh generation (see ``store`` for the on-disk story).

One Whoosh document per article copy (duplicates included, so nothing is lost and any copy can be
shown), each carrying its duplicate cluster id so search can collapse copies at query time; plus one
``kind="file"`` record per source file.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from searchkit.dedup import DEFAULT_THRESHOLD, Fingerprint
from searchkit.models import Article, DuplicateCluster, FileRecord, SkippedFile
from searchkit.pipeline import Corpus, FileResult, ingest
from searchkit.schema import facet_value
from searchkit.store import IndexStore, StoreError


class NothingToIndex(StoreError):
    """The paths held no article at all; the existing index is kept rather than emptied."""


@dataclass(slots=True)
class BuildReport:
    files: int
    articles: int
    distinct: int
    duplicate_clusters: int
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "articles": self.articles,
            "distinct_articles": self.distinct,
            "duplicate_clusters": self.duplicate_clusters,
            "skipped": [{"source": s.relpath, "reason": s.reason} for s in self.skipped],
            "seconds": round(self.seconds, 3),
        }


def build_index(
    roots: Iterable[str | os.PathLike[str]],
    store: IndexStore,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> BuildReport:
    """Read ``roots`` and publish a fresh index generation. The old one stays live until the end."""
    started = time.perf_counter()
    roots = [os.fspath(r) for r in roots]
    with store.writing(wait=wait, on_wait=on_wait):
        corpus = ingest(roots, threshold=threshold, on_file=on_file)
        if not corpus.articles:
            reasons = "; ".join(f"{s.relpath}: {s.reason}" for s in corpus.skipped[:3])
            kept = " (the existing index was left as it was)" if store.exists() else ""
            raise NothingToIndex(
                f"no articles found in {', '.join(roots)}{f' ({reasons})' if reasons else ''}{kept}"
            )
        report = _publish(store, corpus, roots, threshold)
    report.seconds = time.perf_counter() - started
    return report


def write_articles(
    store: IndexStore, articles: list[Article], roots: Iterable[str] = ()
) -> BuildReport:
    """Publish an index of ready-made articles, each its own story (no duplicate detection).

    For collections whose documents come already split and judged one by one (``evaluate``).
    """
    from searchkit.dedup import fingerprint

    started = time.perf_counter()
    corpus = Corpus(
        articles=list(articles),
        fingerprints=[fingerprint(a.body) for a in articles],
        clusters=[DuplicateCluster(a.id, a.id, []) for a in articles],
    )
    with store.writing():
        report = _publish(store, corpus, [os.fspath(r) for r in roots], 1.0)
    report.seconds = time.perf_counter() - started
    return report


def _publish(store: IndexStore, corpus: Corpus, roots: list[str], threshold: float) -> BuildReport:
    gen = store.new_generation()
    _write_generation(gen, corpus)
    report = BuildReport(
        files=len(corpus.files),
        articles=len(corpus.articles),
        distinct=len(corpus.clusters),
        duplicate_clusters=sum(1 for c in corpus.clusters if c.duplicates),
        skipped=corpus.skipped,
    )
    store.write_meta(
        gen,
        {
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "roots": [os.path.abspath(r) for r in roots],
            "threshold": threshold,
            **report.as_dict(),
        },
    )
    store.publish(gen)
    return report


def _write_generation(gen: os.PathLike[str], corpus: Corpus) -> None:
    from whoosh import index as whoosh_index

    from searchkit.schema import build_schema

    ix = whoosh_index.create_in(os.fspath(gen), build_schema())
    writer = ix.writer(limitmb=256)
    try:
        cluster_of = _cluster_lookup(corpus.clusters)
        for article, fp in zip(corpus.articles, corpus.fingerprints, strict=True):
            writer.add_document(**article_document(article, fp, cluster_of[article.id]))
        for record in corpus.files:
            writer.add_document(**file_document(record))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _cluster_lookup(clusters: list[DuplicateCluster]) -> dict[str, DuplicateCluster]:
    lookup = {}
    for cluster in clusters:
        lookup[cluster.canonical] = cluster
        for ref in cluster.duplicates:
            lookup[ref.id] = cluster
    return lookup


def article_document(
    article: Article, fp: Fingerprint, cluster: DuplicateCluster
) -> dict[str, Any]:
    canonical = cluster.canonical == article.id
    copies = (
        [{"id": d.id, "source": d.source, "similarity": d.similarity} for d in cluster.duplicates]
        if canonical
        else []
    )
    date = dt.datetime.combine(article.date, dt.time()) if article.date else None
    doc: dict[str, Any] = {
        "kind": "article",
        "id": article.id,
        "title": article.title,
        "summary": article.summary or "",
        "body": article.body,
        "exact": "\n".join((article.title, article.summary or "", article.body)),
        "authors": " ; ".join(article.authors),
        "site": article.site or "",
        "category": article.category or "",
        "tags": " ; ".join(article.tags),
        "source": article.source,
        "dated": date is not None,
        "cluster": cluster.cluster_id,
        "canonical": canonical,
        "duplicated": bool(cluster.duplicates),
        "facets": facet_value(canonical, article.site, article.category, article.authors),
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
    if date is not None:
        doc["date"] = date
    if article.year is not None:
        doc["year"] = article.year
    return doc


def file_document(record: FileRecord) -> dict[str, Any]:
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
