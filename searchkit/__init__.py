"""searchkit: local full-text search for saved web articles.

The public API (``searchkit.library``; the CLI and the web app are built on it)::

    import searchkit
    ix = searchkit.open("index/")          # an index folder, opened on first use
    ix.search("social credit", limit=10)   # -> SearchResults (ranked distinct stories)
    ix.article(id), ix.similar(id), ix.duplicates(), ix.stats()
    searchkit.update_index(["~/pages"], index="index/")   # -> BuildReport

The pipeline, one package per stage: ``ingest`` (discover files, decode, split pages into
articles) -> ``dedup`` (cluster copies) -> ``index`` (Whoosh segments, generations published
atomically) -> ``query`` (parse, match, rank, facets, snippets) -> ``cli`` / ``web``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Index", "__version__", "open", "update_index"]

if TYPE_CHECKING:
    from searchkit.library import Index, open, update_index


def __getattr__(name: str) -> Any:
    # Imported on first use: ``import searchkit`` (and the CLI's start-up) stays free of Whoosh.
    if name in ("Index", "open", "update_index"):
        from searchkit import library

        return getattr(library, name)
    raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
