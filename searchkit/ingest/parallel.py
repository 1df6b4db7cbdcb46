"""Stages 2–4 for one file, and for many files in parallel: ``SourceFile`` -> ``FileResult``.

read the bytes and hash them (``extract``) -> decode -> split into articles (``segment``)
-> fingerprint each article (``dedup``) -> with ``analyse``, the postings of each article's
cluster-independent fields (``fastwriter.Analyser``). ``read_files`` runs that in a process pool —
it is all pure Python, so processes, not threads, put both cores to work — and yields the results
in the order the files were given, for the one segment builder in the parent process
(``indexing``).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from searchkit.dedup import Fingerprint, article_fingerprint
from searchkit.forked import die_with
from searchkit.ingest.decode import DEFAULT_MAX_BYTES, ExtractionError, page_from_bytes, read_bytes
from searchkit.ingest.split import split_articles
from searchkit.models import Article, FileRecord, SkippedFile, SourceFile

if TYPE_CHECKING:
    from searchkit.index.writer import Analyser, DocPostings

# Below this many files a pool costs more to start than it saves.
_POOL_MIN_FILES = 16


@dataclass(slots=True)
class FileResult:
    """One file through extract + segment + fingerprint."""

    source: SourceFile
    record: FileRecord | None  # None when the file could not be read at all (try again next run)
    articles: list[Article] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    skipped: SkippedFile | None = None
    unchanged: bool = False  # same bytes as the index already has (only its mtime moved)
    postings: list[DocPostings] = field(default_factory=list)  # per article, when analysed

    @property
    def relpath(self) -> str:
        return self.source.relpath


def process_file(
    source: SourceFile,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    known_digest: str | None = None,
    analyse: bool = False,
) -> FileResult:
    """Read, split and fingerprint one file. Never raises for bad content: it becomes a skip.

    With ``known_digest`` (the hash the index has for this file), a file whose bytes did not change
    is reported ``unchanged`` without being parsed again. With ``analyse``, each article's
    cluster-independent fields are analysed into postings too.
    """
    try:
        data = read_bytes(source, max_bytes)
    except ExtractionError as exc:
        return FileResult(source, None, skipped=SkippedFile(source.relpath, str(exc)))
    digest = hashlib.sha256(data).hexdigest()
    if known_digest is not None and digest == known_digest:
        return FileResult(source, None, unchanged=True)

    def skip(reason: str) -> FileResult:
        # Remembered in the manifest with its digest, so an unchanged bad file is not read again.
        record = FileRecord(source.relpath, source.size, source.mtime, digest, "", [], reason)
        return FileResult(source, record, skipped=SkippedFile(source.relpath, reason))

    try:
        page = page_from_bytes(source, data, digest=digest)
    except ExtractionError as exc:
        return skip(str(exc))
    del data
    try:
        articles = split_articles(page)
    except RecursionError:
        return skip("too deeply nested to read")
    except Exception as exc:  # a parser tripping on hostile markup must not stop the run
        return skip(f"could not be read as {page.kind} ({type(exc).__name__}: {exc})"[:300])
    if not articles:
        return skip("no article text found")
    record = FileRecord(
        relpath=source.relpath,
        size=source.size,
        mtime=source.mtime,
        digest=digest,
        encoding=page.encoding,
        article_ids=[a.id for a in articles],
    )
    result = FileResult(source, record, articles, [article_fingerprint(a) for a in articles])
    if analyse:
        from searchkit.index.documents import article_fields

        analyser = _analyser()
        result.postings = [analyser(article_fields(a)) for a in articles]
    return result


_ANALYSER: Analyser | None = None


def _analyser() -> Analyser:
    """This process's analyser for searchkit's schema (made once; forked workers inherit it)."""
    global _ANALYSER
    if _ANALYSER is None:
        from searchkit.index.documents import COMPOSED_FIELDS
        from searchkit.index.schema import build_schema
        from searchkit.index.writer import Analyser

        _ANALYSER = Analyser(build_schema(), composed=COMPOSED_FIELDS)
    return _ANALYSER


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def read_files(
    sources: Sequence[SourceFile],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    known_digests: dict[str, str] | None = None,
    workers: int | None = None,
    analyse: bool = False,
) -> Iterator[FileResult]:
    """``process_file`` for each source, in a process pool when it pays; results in input order.

    A worker that dies (a parser crashing on a hostile file, the OOM killer) costs only that file:
    the files it had in flight are retried one at a time, and the one that kills its worker again
    becomes a skip.
    """
    known = known_digests or {}
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(sources) < _POOL_MIN_FILES:
        for source in sources:
            yield process_file(
                source, max_bytes=max_bytes, known_digest=known.get(source.relpath), analyse=analyse
            )
        return
    retry: list[SourceFile] = []
    yield from _pooled(sources, workers, max_bytes, known, retry, analyse)
    for source in retry:
        crashed: list[SourceFile] = []
        results = list(_pooled([source], 1, max_bytes, known, crashed, analyse))
        if crashed:
            yield FileResult(
                source,
                None,
                skipped=SkippedFile(source.relpath, "the reader crashed on this file"),
            )
        else:
            yield from results


def _start_worker(parent: int) -> None:
    """First thing in each worker: die with ``parent``, the run (a worker outliving a killed run
    would keep the index lock). Ctrl-C is the parent's to handle: it stops the run and shuts the
    pool down cleanly, instead of every worker printing its own KeyboardInterrupt traceback."""
    die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_batch(
    sources: list[SourceFile],
    digests: list[str | None],
    max_bytes: int,
    analyse: bool,
) -> list[FileResult]:
    """``process_file`` for a few files in one task: one round trip to the worker, not one each."""
    return [
        process_file(source, max_bytes=max_bytes, known_digest=digest, analyse=analyse)
        for source, digest in zip(sources, digests, strict=True)
    ]


def batch_size(files: int, workers: int) -> int:
    """Files per task: enough to spread the per-task cost, small enough to keep every worker busy
    to the end (and the progress bar moving)."""
    return max(1, min(_MAX_BATCH, files // (workers * 32)))


_MAX_BATCH = 16


def _pooled(
    sources: Sequence[SourceFile],
    workers: int,
    max_bytes: int,
    known: dict[str, str],
    crashed: list[SourceFile],
    analyse: bool,
) -> Iterator[FileResult]:
    # fork: workers start in milliseconds with everything already imported. The CLI's progress bar
    # refreshes from the main thread (no background thread), which keeps forking safe.
    context = multiprocessing.get_context("fork")
    batch = batch_size(len(sources), workers)
    in_flight: deque[tuple[list[SourceFile], Future[list[FileResult]]]] = deque()
    next_up = 0
    while next_up < len(sources) or in_flight:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        try:
            while next_up < len(sources) or in_flight:
                # Enough tasks queued that the workers keep going while this process is busy.
                while next_up < len(sources) and len(in_flight) < workers * 8:
                    chunk = list(sources[next_up : next_up + batch])
                    digests = [known.get(source.relpath) for source in chunk]
                    future = pool.submit(process_batch, chunk, digests, max_bytes, analyse)
                    in_flight.append((chunk, future))
                    next_up += len(chunk)
                chunk, future = in_flight.popleft()
                try:
                    results = future.result()
                except BrokenProcessPool:
                    # Every file in flight died with the worker; retry them one by one later.
                    crashed.extend(chunk)
                    crashed.extend(s for c, _ in in_flight for s in c)
                    in_flight.clear()
                    break
                yield from results
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
