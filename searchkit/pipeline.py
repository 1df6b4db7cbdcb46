"""Stages 1–4 in a row: paths -> ``Corpus`` (articles, their fingerprints, duplicate clusters, files).

discover (``sources``) -> read and decode (``extract``) -> split into articles (``segment``)
-> fingerprint and cluster copies (``dedup``). Indexing (``indexing``) takes the ``Corpus`` from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from searchkit.dedup import DEFAULT_THRESHOLD, Fingerprint, find_clusters, fingerprint
from searchkit.extract import DEFAULT_MAX_BYTES, read_page
from searchkit.models import Article, DuplicateCluster, FileRecord, SkippedFile, SourceFile
from searchkit.segment import split_articles
from searchkit.sources import discover


@dataclass(slots=True)
class FileResult:
    """One file through extract + segment + fingerprint."""

    record: FileRecord | None
    articles: list[Article] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    skipped: SkippedFile | None = None


@dataclass(slots=True)
class Corpus:
    articles: list[Article] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    clusters: list[DuplicateCluster] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        if result.skipped is not None:
            self.skipped.append(result.skipped)
        if result.record is not None:
            self.files.append(result.record)
            self.articles.extend(result.articles)
            self.fingerprints.extend(result.fingerprints)


def process_file(source: SourceFile, *, max_bytes: int = DEFAULT_MAX_BYTES) -> FileResult:
    """Read, split and fingerprint one file. Never raises for bad content: it becomes a skip."""
    page = read_page(source, max_bytes=max_bytes)
    if isinstance(page, SkippedFile):
        return FileResult(None, skipped=page)
    try:
        articles = split_articles(page)
    except RecursionError:
        return FileResult(None, skipped=SkippedFile(source.relpath, "too deeply nested to read"))
    except Exception as exc:  # a parser tripping on hostile markup must not stop the run
        reason = f"could not be read as {page.kind} ({type(exc).__name__}: {exc})"
        return FileResult(None, skipped=SkippedFile(source.relpath, reason[:300]))
    if not articles:
        return FileResult(None, skipped=SkippedFile(source.relpath, "no article text found"))
    record = FileRecord(
        relpath=source.relpath,
        size=source.size,
        mtime=source.mtime,
        digest=page.digest,
        encoding=page.encoding,
        article_ids=[a.id for a in articles],
    )
    return FileResult(record, articles, [fingerprint(a.body) for a in articles])


def ingest(
    roots: Iterable[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    threshold: float = DEFAULT_THRESHOLD,
    on_file: Callable[[FileResult], None] | None = None,
) -> Corpus:
    corpus = Corpus()
    for found in discover(list(roots)):
        if isinstance(found, SkippedFile):
            corpus.skipped.append(found)
            continue
        result = process_file(found, max_bytes=max_bytes)
        corpus.add(result)
        if on_file is not None:
            on_file(result)
    corpus.clusters = find_clusters(corpus.articles, corpus.fingerprints, threshold)
    return corpus
