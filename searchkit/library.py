"""The public Python API: open an index, search it, read its articles, bring it up to date.

In: an index folder (``index/`` by default, or ``SEARCHKIT_INDEX``) and the paths of saved pages.
Out: the records of ``searchkit.models`` (``SearchResults``, ``Hit``, ``StoredArticle``) and the
``BuildReport`` of an indexing run. The CLI, the web app, ``searchkit eval`` and bench/ call this
layer, so a notebook gets exactly what ``search --json`` shows::

    import searchkit
    ix = searchkit.open("index/")
    results = ix.search("social credit", limit=5, site="Whatsonweibo", sort="newest")
    ix.article(results.hits[0].id).title

Why a class around ``Searcher`` rather than the searcher itself: ``Searcher`` takes its filters as
one ``ResultFilters`` record and knows nothing of indexing; a user wants plain keyword arguments
(``site=``, ``since="2019-01-01"``) and one object that can also re-index. Opening is lazy — no
Whoosh file is read until the first search — so ``searchkit.open`` on a folder that has no index
yet fails only when it is used, with ``IndexMissing`` and a one-line message. A damaged index
fails the same way, with ``IndexDamaged``: what Whoosh raises reading it is mapped to that
(``IndexStore.reporting_damage``), never passed on raw.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from searchkit.index.generations import IndexStore

if TYPE_CHECKING:
    from searchkit.index.build import BuildReport, Progress
    from searchkit.ingest.discover import FileFilters
    from searchkit.models import Hit, SearchResults, StoredArticle
    from searchkit.query.searcher import Searcher

__all__ = ["Index", "demo_index_reason", "open", "update_index"]

PathLike = str | os.PathLike[str]


class Index:
    """An index folder, opened for searching (and re-indexing) on first use."""

    def __init__(self, path: PathLike | IndexStore | None = None) -> None:
        self.store = path if isinstance(path, IndexStore) else IndexStore(path)
        self._opened: Searcher | None = None

    @property
    def path(self) -> str:
        return str(self.store.path)

    @property
    def searcher(self) -> Searcher:
        """The open searcher, refreshed when a newer generation has been published."""
        with self.store.reporting_damage():
            if self._opened is None:
                from searchkit.query.searcher import Searcher

                self._opened = Searcher(self.store)
            else:
                self._opened.refresh()
        return self._opened

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        sort: str = "relevance",
        author: str | Iterable[str] | None = None,
        site: str | None = None,
        category: str | None = None,
        year: int | None = None,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        filters: Any = None,
        facets: bool = True,
        explain: bool = False,
        time_limit: float | None = None,
        correct: bool = True,
    ) -> SearchResults:
        """One page of ranked distinct stories (copies of a story shown once), with facets.

        ``correct`` False searches the words exactly as typed (no spelling correction): what a
        "search instead for" link runs after a correction.

        ``since`` / ``until`` take dates or the strings ``--since`` takes (``2019``, ``2019-03``,
        ``2019-03-01``). A front end that has already parsed its parameters into the query
        stage's filter record passes it as ``filters`` instead of the keywords. Raises
        ``QueryError`` (one-line message) for a query that cannot run. ``time_limit`` (seconds)
        bounds the search: past it the page holds what was found by then, ``complete`` is false
        and a notice says so (the web server gives every search one).
        """
        keywords = (author, site, category, year, since, until)
        if filters is None:
            filters = _filters(*keywords)
        elif any(k is not None for k in keywords):
            raise TypeError("give filters= or the filter keywords, not both")
        searcher = self.searcher
        with self.store.reporting_damage():
            return searcher.search(
                query, filters=filters, page=page, limit=limit, sort=sort, facets=facets,
                explain=explain, time_limit=time_limit, correct=correct,
            )

    def article(self, article_id: str) -> StoredArticle:
        """One article by id (or an unambiguous id prefix); ``ArticleNotFound`` otherwise."""
        searcher = self.searcher
        with self.store.reporting_damage():
            return searcher.article(article_id)

    def saved_copy(self, article_id: str) -> str:
        """The path of the file an article was read from, inside one of the index's folders.

        Raises ``ArticleNotFound`` for an unknown id and ``SavedCopyMissing`` when the file is no
        longer there (moved, deleted, or a name that could not be read as Unicode). The path is
        resolved from the index's own roots, never from anything a page said, and must stay
        inside its root once links are followed.
        """
        source = self.article(article_id).source
        for root in self.store.meta().get("root_labels") or []:
            label, base = root["label"], root["path"]
            if source != label and not source.startswith(label + "/"):
                continue
            inside = source[len(label) + 1 :]
            path = os.path.join(base, inside) if inside else base
            real, real_base = os.path.realpath(path), os.path.realpath(base)
            within = real == real_base or real.startswith(real_base.rstrip(os.sep) + os.sep)
            if within and os.path.isfile(real):
                return real
        raise SavedCopyMissing(f"the saved copy {source} is no longer in the indexed folders")

    def marked_paragraphs(self, paragraphs: list[str], query: str) -> list[Any]:
        """The paragraphs with ``query``'s words marked, as (text, matched) spans each."""
        searcher = self.searcher
        with self.store.reporting_damage():
            return searcher.marked_paragraphs(paragraphs, query)

    def similar(self, article_id: str, limit: int = 10) -> list[Hit]:
        """The articles most like ``article_id`` (its own copies left out)."""
        searcher = self.searcher
        with self.store.reporting_damage():
            return searcher.similar(article_id, limit=limit)

    def duplicates(self) -> list[StoredArticle]:
        """Stories saved more than once: each shown copy, with its other copies."""
        searcher = self.searcher
        with self.store.reporting_damage():
            return searcher.duplicate_clusters()

    def stats(self) -> dict[str, Any]:
        """Counts of articles, distinct stories, duplicates, sources and skipped files."""
        searcher = self.searcher
        with self.store.reporting_damage():
            return searcher.stats()

    def update(
        self,
        paths: Iterable[PathLike] = (),
        *,
        rebuild: bool = False,
        filters: FileFilters | None = None,
        wait: bool = True,
        progress: Progress | None = None,
        workers: int | None = None,
        default_roots: Iterable[PathLike] = (),
        cluster: str | None = None,
    ) -> BuildReport:
        """Index ``paths`` (or re-scan the remembered roots); searches see the result at once.
        ``cluster``: read the files on a Dask cluster (``tcp://HOST:PORT`` or ``local:N``)."""
        from searchkit.index.build import update_index as run

        return run(
            paths, self.store, rebuild=rebuild, filters=filters, wait=wait, progress=progress,
            workers=workers, default_roots=default_roots, cluster=cluster,
        )

    def export(
        self,
        out: Any,
        fmt: str = "jsonl",
        query: str | None = None,
        *,
        filters: Any = None,
        sort: str = "relevance",
    ) -> int:
        """Write every article (``query`` None) or a query's results, in rank order, to the text
        stream ``out`` as CSV or JSON Lines with every field (``searchkit.export``); returns how
        many were written. ``filters`` (a ``ResultFilters``) and ``sort`` as ``search`` takes them."""
        from searchkit import export

        searcher = self.searcher
        with self.store.reporting_damage():
            if query is None:
                return export.write(searcher.every_article(), fmt, out)
            return export.write(
                (searcher.article(h.id) for h in self._every_hit(query, filters, sort)), fmt, out
            )

    def _every_hit(self, query: str, filters: Any, sort: str) -> Iterable[Hit]:
        page = 1
        while True:
            found = self.searcher.search(
                query, filters=filters, page=page, limit=500, sort=sort, facets=False
            )
            yield from found.hits
            if not found.hits or found.hits[-1].rank >= found.total:
                return
            page += 1

    def roots(self) -> list[dict[str, Any]]:
        """The folders (and files) the index covers: path, label, and how many files and articles
        it holds from each."""
        from searchkit.index.manifest import load_stored
        from searchkit.index.roots import remembered_roots

        files = load_stored(self.store).files if self.store.exists() else {}
        out = []
        for root in remembered_roots(self.store.meta() if self.store.exists() else {}):
            held = [r for r in files.values() if root.owns(r.relpath)]
            out.append({
                "path": root.path,
                "label": root.label,
                "files": len(held),
                "articles": sum(len(r.article_ids) for r in held),
                "exists": os.path.exists(root.path),
            })
        return out

    def forget(self, paths: Iterable[PathLike], *, wait: bool = True) -> BuildReport:
        """Drop these folders (each one of ``roots()``) and their articles from the index.

        Raises ``NotARoot`` (a ValueError) for a path the index does not cover as a folder of its
        own, or when nothing would be left."""
        from searchkit.index.build import update_index as run

        return run((), self.store, wait=wait, forget=[os.path.abspath(p) for p in paths])

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
            self._opened = None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"searchkit.Index({self.path!r})"


class SavedCopyMissing(LookupError):
    """An article's source file is no longer where the index read it."""


def open(path: PathLike | None = None) -> Index:
    """The index at ``path`` (default: ``SEARCHKIT_INDEX`` or ``index/``), opened lazily."""
    return Index(path)


def update_index(
    paths: Iterable[PathLike] = (), index: PathLike | None = None, **options: Any
) -> BuildReport:
    """Index ``paths`` into the index at ``index``; the options of ``Index.update``."""
    with Index(index) as ix:
        return ix.update(paths, **options)


def _filters(
    author: str | Iterable[str] | None,
    site: str | None,
    category: str | None,
    year: int | None,
    since: str | dt.date | None,
    until: str | dt.date | None,
) -> Any:
    from searchkit.ingest.dates import user_date_span
    from searchkit.query.searcher import QueryError, ResultFilters

    def day(value: str | dt.date | None, end: bool) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        try:
            first, last = user_date_span(value)
        except ValueError as exc:
            raise QueryError(str(exc)) from None
        return last if end else first

    authors = [author] if isinstance(author, str) else list(author or [])
    return ResultFilters(
        authors=authors, site=site, category=category, year=year, since=day(since, False),
        until=day(until, True),
    )


def demo_index_reason(store: IndexStore, corpus: PathLike) -> str | None:
    """Why the index at ``store`` should be (re)built from the bundled demo ``corpus`` now, or
    None: it does not exist, is from another searchkit version, or was built from ``corpus`` and
    is older than it. An index of anything else is never named stale, so the demo is never built
    over a user's own folders behind their back.
    """
    from searchkit.index.generations import StoreError

    if not store.exists():
        return "no index yet"
    try:
        meta = store.meta()
    except StoreError:
        meta = {}
    if not store.is_current_schema():
        return "the index is from another searchkit version"
    from_corpus = meta.get("roots") == [os.path.abspath(corpus)]
    if from_corpus and _newest_mtime(corpus) > _built_mtime(store):
        return f"{os.fspath(corpus)}/ changed since the last build"
    return None


def _newest_mtime(folder: PathLike) -> float:
    newest = os.stat(folder).st_mtime
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in [*filenames, *dirnames]:
            try:
                newest = max(newest, os.stat(os.path.join(dirpath, name)).st_mtime)
            except OSError:
                continue
    return newest


def _built_mtime(store: IndexStore) -> float:
    from searchkit.index.generations import META_FILE

    gen = store.current()
    return (gen / META_FILE).stat().st_mtime if gen else 0.0
