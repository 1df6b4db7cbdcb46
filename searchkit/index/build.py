"""Stage 5 — index: the files under the index's roots -> a published Whoosh generation, incrementally.

What a run does (``update_index``):
1. Work out the roots (``roots``): the index remembers the folders and files it covers (in
   ``searchkit.json``); paths given are added to them (or, with ``rebuild``, replace them).
2. ``discover`` the files under the roots being scanned, and compare each with the file manifest
   stored in the index: same size and mtime -> unchanged, not read. Otherwise the file is read and
   hashed; the same content hash -> unchanged after all (only its mtime is updated).
3. Read, split, fingerprint and analyse the new and changed files in a process pool
   (``pipeline``), or with ``cluster`` as Dask tasks on a cluster's workers (``ingest.cluster``);
   as results arrive, their postings go into one segment builder (``fastwriter``) in this process.
4. Cluster duplicates over every article (the stored fingerprints of unchanged ones plus the new
   ones; clustering is cheap and deterministic, so the result equals a full rebuild's) and note
   which stored articles' cluster facts changed. With ``cluster``, the LSH bands are grouped on
   the cluster (``dedup_cluster``); the clusters are the same.
5. Write a new generation copy-on-write: the live generation's segment files are hard-linked into a
   new folder (Whoosh never rewrites a segment file); the new segment gets the new articles'
   cluster facts and stored fields, the stored articles whose clusters changed (re-added) and the
   updated manifests (``manifest``); one commit adds it and deletes the articles of removed and
   changed files; the document count is checked; then ``store.publish`` switches CURRENT to it.
   Readers keep the old generation until they refresh; a run killed at any point leaves the old
   one live.

Besides one document per article copy, the index holds one ``kind="file"`` document per source
(its digest, size, mtime and article ids; ``searchkit stats`` counts them) and the two manifest
documents a re-run reads (see ``manifest``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchkit.dedup import (
    DEFAULT_THRESHOLD,
    DedupItem,
    Fingerprint,
    cluster_items,
    item_of,
)
from searchkit.index.documents import (
    CLUSTER_FIELDS,
    COMPOSED_FIELDS,
    article_document,
    article_from_stored,
    file_document,
)
from searchkit.index.generations import IndexStore, NoSpace, StoreError
from searchkit.index.manifest import (
    DEDUP_MANIFEST_ID,
    FILES_MANIFEST_ID,
    Stored,
    dedup_manifest_document,
    files_manifest_document,
    load_stored,
    state_key,
)
from searchkit.index.roots import NotARoot, RootPlan, filters_from, forget_roots, plan_roots
from searchkit.ingest.discover import UNREADABLE_FOLDER, FileFilters, discover
from searchkit.ingest.parallel import FileResult, default_workers, read_files
from searchkit.models import Article, DuplicateCluster, FileRecord, SkippedFile, SourceFile

if TYPE_CHECKING:  # the writer is imported when a run writes, not when the CLI starts
    from whoosh.index import Index as WhooshIndex

    from searchkit.index.writer import Analyser, SegmentBuilder
    from searchkit.ingest.cluster import Cluster

__all__ = [  # the document helpers, re-exported for callers that found them here
    "BuildReport",
    "NothingToIndex",
    "Progress",
    "article_document",
    "article_from_stored",
    "build_index",
    "file_document",
    "update_index",
]


class NothingToIndex(StoreError):
    """The paths held no article at all; the existing index is kept rather than emptied."""


@dataclass(slots=True)
class BuildReport:
    """What a run did, for the summary line, ``--json`` and ``searchkit stats``."""

    files: int  # files the index holds articles from, after the run
    articles: int  # article copies in the index
    distinct: int  # distinct stories (duplicate clusters counted once)
    duplicate_clusters: int  # clusters of two or more copies
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0
    files_seen: int = 0  # indexable files found under the scanned roots
    files_read: int = 0  # of those, read this run (new or changed by size/mtime)
    files_unchanged: int = 0
    files_removed: int = 0
    articles_added: int = 0
    articles_updated: int = 0  # stored articles re-written because their duplicate cluster changed
    articles_removed: int = 0
    changed: bool = True  # False when nothing had to be written
    roots: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "articles": self.articles,
            "distinct_articles": self.distinct,
            "duplicate_clusters": self.duplicate_clusters,
            "files_seen": self.files_seen,
            "files_read": self.files_read,
            "files_unchanged": self.files_unchanged,
            "files_removed": self.files_removed,
            "articles_added": self.articles_added,
            "articles_updated": self.articles_updated,
            "articles_removed": self.articles_removed,
            "changed": self.changed,
            "roots": self.roots,
            "skipped": [{"source": s.relpath, "reason": s.reason} for s in self.skipped],
            "seconds": round(self.seconds, 3),
        }


@dataclass(slots=True)
class Progress:
    """Callbacks a front end (the CLI's progress bar) may hook into; all optional."""

    on_scan: Callable[[int], None] | None = None  # files found so far (every 1000)
    on_start: Callable[[int], None] | None = None  # files to read this run
    on_file: Callable[[FileResult], None] | None = None  # one file read
    on_wait: Callable[[str], None] | None = None  # another indexer holds the lock (its pid)
    on_stage: Callable[[str], None] | None = None  # "dedup", "write", "commit"


def build_index(
    roots: Iterable[str | os.PathLike[str]],
    store: IndexStore,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    workers: int | None = None,
    cluster: str | None = None,
) -> BuildReport:
    """Index exactly ``roots``, starting over (``searchkit index --rebuild PATH…``)."""
    return update_index(
        roots,
        store,
        rebuild=True,
        threshold=threshold,
        wait=wait,
        progress=Progress(on_wait=on_wait, on_file=on_file),
        workers=workers,
        cluster=cluster,
    )


def update_index(
    paths: Iterable[str | os.PathLike[str]] = (),
    store: IndexStore | None = None,
    *,
    rebuild: bool = False,
    filters: FileFilters | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    wait: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
    default_roots: Iterable[str | os.PathLike[str]] = (),
    forget: Iterable[str | os.PathLike[str]] = (),
    cluster: str | None = None,
) -> BuildReport:
    """Bring the index up to date with ``paths`` (plus the roots it remembers); see module doc.

    ``paths`` empty: re-scan the remembered roots (``default_roots`` for an index that has none).
    ``filters`` None: keep the include/exclude/size-cap options the index remembers.
    ``forget``: roots to drop, with their articles (nothing is scanned; ``paths`` must be empty).
    ``cluster``: read the files and group the LSH bands on a Dask cluster (``tcp://HOST:PORT`` or
    ``local:N``; ``ingest.cluster``), connected before the index is locked and closed after.
    """
    started = time.perf_counter()
    store = store or IndexStore()
    progress = progress or Progress()
    given = [os.path.abspath(os.fspath(p)) for p in paths]
    try:
        with _connected(cluster) as connected:
            report, plan = _update(store, given, rebuild, filters, threshold, wait, progress,
                                   workers, connected, default_roots, [os.fspath(p) for p in forget])
    except OSError as exc:  # the disk filled before a generation was begun (the spill file)
        if exc.errno != errno.ENOSPC:
            raise
        raise NoSpace(exc.filename or store.path) from exc
    report.roots = [r.path for r in plan.roots]
    report.seconds = time.perf_counter() - started
    return report


def _connected(cluster: str | None) -> contextlib.AbstractContextManager[Cluster | None]:
    """The Dask cluster ``cluster`` names, for the run's length; no cluster: the process pool."""
    if cluster is None:
        return contextlib.nullcontext()
    from searchkit.ingest.cluster import connect  # Dask only for a --cluster run

    return connect(cluster)


def _update(
    store: IndexStore,
    given: list[str],
    rebuild: bool,
    filters: FileFilters | None,
    threshold: float,
    wait: bool,
    progress: Progress,
    workers: int | None,
    cluster: Cluster | None,
    default_roots: Iterable[str | os.PathLike[str]],
    forget: list[str],
) -> tuple[BuildReport, RootPlan]:
    with store.writing(wait=wait, on_wait=progress.on_wait):
        if rebuild:  # starts over whatever the damage: the live generation is not read
            live, old_meta = None, _safe_meta(store)
        else:  # a damaged index is IndexDamaged here, before anything is written
            live = store.current() if store.is_current_schema() else None
            old_meta = _safe_meta(store)
        if filters is None:
            filters = filters_from(old_meta.get("options") or {})
        if forget:
            plan = forget_roots(old_meta, forget)
            if not plan.roots:
                raise NotARoot(
                    "that would leave the index with no folder; delete the index folder "
                    "to drop everything"
                )
        else:
            plan = plan_roots(
                given, old_meta, rebuild=rebuild, default=[os.fspath(p) for p in default_roots]
            )
        stored = Stored() if (rebuild or live is None) else load_stored(store)
        report, gen = _run(
            store, live, stored, plan, filters, threshold, progress, workers, cluster
        )
        meta_changed = _meta_changed(old_meta, plan, filters, report)
        if gen is None and (meta_changed or rebuild or live is None):
            if report.articles == 0:
                reasons = "; ".join(f"{s.relpath}: {s.reason}" for s in report.skipped[:3])
                kept = " (the existing index was left as it was)" if store.current_or_none() else ""
                names = ", ".join(given or plan.scan_paths) or "(no paths)"
                raise NothingToIndex(
                    f"no articles found in {names}{f' ({reasons})' if reasons else ''}{kept}"
                )
            if live is not None:  # only the roots, options or skips changed: same articles
                from searchkit.index.generations import link_generation

                gen = store.new_generation()
                with store.writing_generation(gen):
                    link_generation(live, gen)
        if gen is not None:
            with store.writing_generation(gen):
                store.write_meta(gen, _meta(plan, filters, threshold, report))
                store.publish(gen)
        report.changed = gen is not None
    return report, plan


# --- 2-5. the run -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Run:
    """One run's state, handed from step to step: ``_scan`` → ``_read_changed`` → ``_cluster`` →
    ``_write``. Each step fills its own group of fields; none reaches back into an earlier step.

    Why one object rather than return values: the steps' results are read by several later steps
    (the file manifest, for one, is edited by the scan, the read and the write), and fourteen
    loose values handed from call to call were how ``_write`` used to be called.
    """

    # given
    store: IndexStore
    live: Path | None
    stored: Stored
    plan: RootPlan
    filters: FileFilters
    threshold: float
    progress: Progress
    workers: int | None
    cluster: Cluster | None  # read and find duplicate candidates on it; None: this machine
    max_bytes: int  # the size cap in force (the remembered or given one, else the default)
    batch: _Batch  # the run's new segment, filled by _read_changed and written by _write
    # the file manifest after the run (starts as the stored one; every step edits it)
    files: dict[str, FileRecord] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)
    # _scan
    found: list[SourceFile] = field(default_factory=list)
    to_read: list[SourceFile] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # relpaths deleted or filtered out
    unchanged: int = 0  # same size and mtime as the manifest says
    # _read_changed
    new_results: list[FileResult] = field(default_factory=list)
    removed_ids: set[str] = field(default_factory=set)
    touched: int = 0  # read, and the same content after all (only the mtime changed)
    manifest_dirty: bool = False  # a record changed without any article changing (a new bad file)
    # _cluster
    items: dict[str, DedupItem] | None = None  # None: no article changed, the stored table stands
    states: dict[str, str] | None = None
    cluster_of: dict[str, DuplicateCluster] = field(default_factory=dict)
    rewrite: list[str] = field(default_factory=list)  # stored articles whose cluster changed

    @property
    def new_ids(self) -> set[str]:
        return {a.id for r in self.new_results for a in r.articles}

    def report(self) -> BuildReport:
        return BuildReport(
            files=0,
            articles=0,
            distinct=0,
            duplicate_clusters=0,
            skipped=sorted(self.skipped, key=lambda s: s.relpath),
            files_seen=len(self.found),
            files_read=len(self.to_read),
            files_unchanged=self.unchanged + self.touched,
            files_removed=len(self.gone),
        )

    def stage(self, name: str) -> None:
        if self.progress.on_stage:
            self.progress.on_stage(name)


def _run(
    store: IndexStore,
    live: Path | None,
    stored: Stored,
    plan: RootPlan,
    filters: FileFilters,
    threshold: float,
    progress: Progress,
    workers: int | None,
    cluster: Cluster | None,
) -> tuple[BuildReport, Path | None]:
    """Steps 2-5 of the module doc; the new generation, or None when nothing has to be written."""
    from searchkit.ingest.decode import DEFAULT_MAX_BYTES

    run = _Run(
        store,
        live,
        stored,
        plan,
        filters,
        threshold,
        progress,
        workers,
        cluster,
        max_bytes=filters.max_bytes or DEFAULT_MAX_BYTES,
        batch=_Batch(store),
        files=dict(stored.files),
    )
    try:
        _scan(run)
        _read_changed(run)
        report = run.report()
        run.stage("dedup")
        found = _cluster(run, report)
        if run.cluster is not None:
            # Writing is this process's alone: a shared cluster gets its workers back now, and
            # the segment builder forks its helper with no Dask threads running.
            run.cluster.release()
        if not found:
            run.batch.cancel()
            return report, None
        run.stage("write")
        gen = store.new_generation()
        with store.writing_generation(gen):  # removed again if the write fails
            _write(run, gen, report)
    except BaseException:
        run.batch.cancel()
        raise
    return report, gen


def _scan(run: _Run) -> None:
    """Discover the files under the scanned roots and sort them against the manifest: unchanged
    (same size and mtime), to read, or gone."""
    missing_roots: set[str] = set()
    unreadable: dict[str, str] = {}  # folder label -> why it cannot be listed
    walk_filters = FileFilters(run.filters.include, run.filters.exclude, run.max_bytes)
    for item in discover(run.plan.scan, walk_filters, skip_paths=[run.store.path]):
        if isinstance(item, SkippedFile):
            run.skipped.append(item)
            if item.reason.startswith(UNREADABLE_FOLDER + ":"):
                unreadable[item.relpath] = item.reason
            elif any(item.relpath == r.label for r in run.plan.scan):
                missing_roots.add(item.relpath)
        else:
            run.found.append(item)
            if run.progress.on_scan and len(run.found) % 1000 == 0:
                run.progress.on_scan(len(run.found))
    for source in run.found:
        record = run.files.get(source.relpath)
        if record is not None and record.size == source.size and record.mtime == source.mtime:
            run.unchanged += 1
            if record.skipped:
                run.skipped.append(SkippedFile(source.relpath, record.skipped))
        else:
            run.to_read.append(source)
    # Files the manifest has under a scanned root (or a dropped one) that are gone or filtered out.
    # A root that is missing altogether keeps its articles: an unmounted drive is not a deletion.
    # So does a folder that cannot be listed: a permission change is not a deletion either.
    seen = {f.relpath for f in run.found}
    scanned = [r for r in run.plan.scan if r.label not in missing_roots]
    kept_under = missing_roots | set(unreadable)
    run.gone = [
        rel
        for rel in run.files
        if rel not in seen
        and not any(_under(rel, label) for label in kept_under)
        and (
            any(r.owns(rel) for r in scanned)
            or any(_under(rel, d) for d in run.plan.dropped_labels)
        )
    ]
    for label in sorted(kept_under):
        kept = sum(1 for rel in run.files if _under(rel, label))
        if not kept:
            continue
        if label in unreadable:
            reason = (
                f"{unreadable[label]}; its {kept} files stay indexed until it can be read "
                "again or the index is rebuilt"
            )
        else:
            reason = (
                f"not found; its {kept} files stay indexed until it is back or the index is rebuilt"
            )
        run.skipped = [s for s in run.skipped if s.relpath != label]
        run.skipped.append(SkippedFile(label, reason))


def _under(relpath: str, label: str) -> bool:
    return relpath == label or relpath.startswith(label + "/")


def _read_changed(run: _Run) -> None:
    """Read the new and changed files in the process pool (or on the cluster); their postings go
    into the batch as they arrive, so no run holds every file's postings until the write."""
    if run.progress.on_start:
        run.progress.on_start(len(run.to_read))
    files = run.files
    for rel in run.gone:
        run.removed_ids.update(files.pop(rel).article_ids)
    known = {s.relpath: files[s.relpath].digest for s in run.to_read if s.relpath in files}
    if run.cluster is not None:
        reading = run.cluster.read_files(
            run.to_read, max_bytes=run.max_bytes, known_digests=known, analyse=True
        )
    else:
        reading = read_files(
            run.to_read,
            max_bytes=run.max_bytes,
            known_digests=known,
            workers=run.workers,
            analyse=True,
        )
    for result in reading:
        if run.progress.on_file:
            run.progress.on_file(result)
        rel = result.relpath
        old = files.get(rel)
        if result.unchanged and old is not None:
            old.size, old.mtime = result.source.size, result.source.mtime
            run.touched += 1
            if old.skipped:
                run.skipped.append(SkippedFile(rel, old.skipped))
            continue
        if old is not None:
            run.removed_ids.update(old.article_ids)
        if result.skipped is not None:
            run.skipped.append(result.skipped)
            if result.record is not None:  # remembered, so an unchanged bad file is not re-read
                files[rel] = result.record
                run.manifest_dirty = True
            else:
                files.pop(rel, None)
            continue
        assert result.record is not None
        files[rel] = result.record
        run.new_results.append(result)
        run.batch.add_postings(result)


def _cluster(run: _Run, report: BuildReport) -> bool:
    """Cluster duplicates over every article and fill the report's counts; False when there is
    nothing to write (no change at all, or no article left)."""
    report.files = sum(1 for r in run.files.values() if r.article_ids)
    stored = run.stored
    if not (run.gone or run.new_results or run.removed_ids) and stored.store is not None:
        # No article changed: the stored clusters stand, and the dedup table is not even read.
        report.changed = run.touched > 0 or run.manifest_dirty
        report.articles = stored.counts.get("articles", 0)
        report.distinct = stored.counts.get("distinct", 0)
        report.duplicate_clusters = stored.counts.get("duplicate_clusters", 0)
        return report.changed
    stored_items, stored_states = stored.dedup()
    new_ids = run.new_ids
    items = {i: item for i, item in stored_items.items() if i not in run.removed_ids}
    for result in run.new_results:
        for article, fp in zip(result.articles, result.fingerprints, strict=True):
            items[article.id] = item_of(article, fp)
    band_pairs = run.cluster.band_pairs if run.cluster is not None else None
    clusters = cluster_items([items[k] for k in sorted(items)], run.threshold, band_pairs=band_pairs)
    run.cluster_of = _cluster_lookup(clusters)
    run.items = items
    run.states = states = {i: state_key(run.cluster_of[i]) for i in items}
    run.rewrite = sorted(
        i
        for i in items
        if i not in new_ids and i in stored_states and stored_states[i] != states[i]
    )
    report.changed = True
    report.articles = len(items)
    report.distinct = len(clusters)
    report.duplicate_clusters = sum(1 for c in clusters if c.duplicates)
    report.articles_added = len(new_ids - set(stored_items))
    report.articles_removed = len(run.removed_ids - new_ids)
    report.articles_updated = len(run.rewrite) + len(new_ids & set(stored_items))
    return bool(items)


def _skipped_now(files: dict[str, FileRecord], stored: Stored) -> list[str]:
    """Files whose per-file document must go: they were indexed before and are skipped now."""
    return [
        rel
        for rel, rec in files.items()
        if not rec.article_ids and rel in stored.files and stored.files[rel].article_ids
    ]


class _Batch:
    """The segment of one run: postings collected while files are read, written after dedup."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._builder: SegmentBuilder | None = None
        self._analyser: Analyser | None = None

    @property
    def builder(self) -> SegmentBuilder:
        if self._builder is None:
            from searchkit.index.schema import build_schema
            from searchkit.index.writer import Analyser, SegmentBuilder

            schema = build_schema()
            self._analyser = Analyser(schema, composed=COMPOSED_FIELDS)
            self._builder = SegmentBuilder(schema, tempdir=os.fspath(self.store.path))
        return self._builder

    @property
    def analyser(self) -> Analyser:
        self.builder  # noqa: B018 - makes the analyser too
        assert self._analyser is not None
        return self._analyser

    def add_postings(self, result: FileResult) -> None:
        """A new file's articles, then its file document (the order ``_write`` completes them)."""
        builder = self.builder
        for postings in result.postings:
            builder.add_postings(postings)
        result.postings = []  # added: let the memory go
        assert result.record is not None
        builder.add_postings(self.analyser(file_document(result.record)))

    def cancel(self) -> None:
        if self._builder is not None:
            self._builder.cancel()


def _write(run: _Run, gen: Path, report: BuildReport) -> None:
    """Write the new generation: the live one's segments linked in, one new segment, one commit
    that also deletes what went; the document count is checked before anything is published."""
    from whoosh import index as whoosh_index

    from searchkit.index.writer import commit_segment

    workers = default_workers() if run.workers is None else run.workers
    ix = _open_generation(run, gen)
    before = ix.doc_count()
    builder = run.batch.builder
    builder.open(ix.storage)
    _complete_documents(run, ix, report, workers)
    run.stage("commit")
    added = builder.doc_count
    segment = builder.finish(processes=workers)
    doomed = _doomed_ids(run)
    deleted = commit_segment(ix, segment, (("id", doc_id) for doc_id in doomed))
    after = whoosh_index.open_dir(os.fspath(gen)).doc_count()
    if after != before - deleted + added:
        raise StoreError(
            f"the index writer kept {after} documents instead of {before - deleted + added}; "
            "nothing was published"
        )


def _live_to_extend(run: _Run) -> Path | None:
    """The live generation this run adds to, or None when it starts a new index."""
    return run.live if run.stored.store is not None else None


def _open_generation(run: _Run, gen: Path) -> WhooshIndex:
    """The new generation opened for writing: the live one's files linked in, or a new index."""
    from whoosh import index as whoosh_index

    from searchkit.index.generations import link_generation
    from searchkit.index.schema import build_schema

    live = _live_to_extend(run)
    if live is None:
        return whoosh_index.create_in(os.fspath(gen), build_schema())
    link_generation(live, gen)
    return whoosh_index.open_dir(os.fspath(gen))


def _complete_documents(run: _Run, ix: WhooshIndex, report: BuildReport, workers: int) -> None:
    """Give every document of the new segment its remaining postings (the cluster fields, known
    only after dedup), plus the documents known whole: re-written articles and the manifests."""
    builder, analyser = run.batch.builder, run.batch.analyser
    # Documents known whole get their postings now, after the articles read in this run: from
    # here on only those articles' cluster fields gain postings, so a helper process can write
    # the other fields' posting lists while this one completes the documents.
    counts = {
        "articles": report.articles,
        "distinct": report.distinct,
        "duplicate_clusters": report.duplicate_clusters,
    }
    known_whole = [
        article_document(article, fp, run.cluster_of[article.id])
        for article, fp in _rewritten_articles(run, ix)
    ]
    known_whole.append(files_manifest_document(run.files, counts))
    if run.items is not None and run.states is not None:
        known_whole.append(dedup_manifest_document(run.items, run.states))
    first_whole = builder.doc_count
    for fields in known_whole:
        builder.add_postings(analyser(fields))
    builder.start_helper(processes=workers, pending=CLUSTER_FIELDS)
    docnum = 0
    for result in run.new_results:
        assert result.record is not None
        for article, fp in zip(result.articles, result.fingerprints, strict=True):
            builder.complete(
                docnum, article_document(article, fp, run.cluster_of[article.id]), analyser
            )
            docnum += 1
        builder.complete(docnum, file_document(result.record), analyser)
        docnum += 1
    for docnum, fields in enumerate(known_whole, start=first_whole):
        builder.complete(docnum, fields, analyser)


def _rewritten_articles(run: _Run, ix: WhooshIndex) -> list[tuple[Article, Fingerprint]]:
    """Stored articles whose cluster changed, re-read from what the index stores about them."""
    if not run.rewrite or run.items is None:
        return []
    rewritten = []
    with ix.searcher() as searcher:
        for article_id in run.rewrite:
            stored = searcher.document(id=article_id, kind="article")
            if stored is not None:
                rewritten.append((article_from_stored(stored), run.items[article_id].fingerprint))
    return rewritten


def _doomed_ids(run: _Run) -> list[str]:
    """Ids the commit deletes from the live generation: removed, changed and re-written articles,
    the file documents of files gone, re-read or skipped now, and the manifests being replaced."""
    if _live_to_extend(run) is None:
        return []
    replaced_files = [
        *run.gone,
        *(r.relpath for r in run.new_results),
        *_skipped_now(run.files, run.stored),
    ]
    doomed = [*(run.removed_ids | set(run.rewrite)), *("file:" + rel for rel in replaced_files)]
    doomed.append(FILES_MANIFEST_ID)
    if run.items is not None:
        doomed.append(DEDUP_MANIFEST_ID)
    return doomed


def _meta_changed(
    old_meta: dict[str, Any], plan: RootPlan, filters: FileFilters, report: BuildReport
) -> bool:
    new = _meta(plan, filters, DEFAULT_THRESHOLD, report)
    keys = ("root_labels", "options", "skipped")
    return any(old_meta.get(k) != new.get(k) for k in keys)


def _meta(
    plan: RootPlan, filters: FileFilters, threshold: float, report: BuildReport
) -> dict[str, Any]:
    summary = report.as_dict()
    return {
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "roots": [r.path for r in plan.roots],
        "root_labels": [{"path": r.path, "label": r.label} for r in plan.roots],
        "options": {
            "include": list(filters.include),
            "exclude": list(filters.exclude),
            "max_bytes": filters.max_bytes,
        },
        "threshold": threshold,
        "files": report.files,
        "articles": report.articles,
        "distinct_articles": report.distinct,
        "duplicate_clusters": report.duplicate_clusters,
        "skipped": summary["skipped"],
    }


def _safe_meta(store: IndexStore) -> dict[str, Any]:
    try:
        return store.meta() if store.exists() else {}
    except StoreError:
        return {}


# --- documents --------------------------------------------------------------------------------------


def _cluster_lookup(clusters: list[DuplicateCluster]) -> dict[str, DuplicateCluster]:
    lookup = {}
    for cluster in clusters:
        lookup[cluster.canonical] = cluster
        for ref in cluster.duplicates:
            lookup[ref.id] = cluster
    return lookup
