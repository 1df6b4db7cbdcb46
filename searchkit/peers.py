"""What a user would pick instead of searchkit: SQLite FTS5 and stock Whoosh, behind one interface.

In: documents (``Doc``: id, title, body) and queries. Out: ranked document ids. ``searchkit eval``
(evaluate.py) scores these engines next to searchkit on a test collection; bench/peers.py times them
(and tantivy, a bench-only dependency) at scale. One implementation serves both, so the engines
measured for speed are the engines measured for quality; the two differ only in the options:

- ``Fts5``: SQLite FTS5 from the standard library, the porter tokenizer over unicode61, ranked by
  ``bm25()`` with a title column weight (bench: 3, eval: 1, FTS5's default). On disk under the
  given folder, or in memory with ``path=None``.
- ``StockWhoosh``: Whoosh as its tutorial uses it — StemmingAnalyzer on title and body, BM25F
  defaults, one writer, a new searcher per query.

``query(text)`` splits the text into words (``\\w+``); ``search_words(words)`` takes words already
split (evaluate.py splits queries as searchkit does). Words are AND-ed, as searchkit's default
search does, or with ``any_word=True`` OR-ed, as evaluation collections are judged.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Doc", "Fts5", "StockWhoosh", "folder_size", "words"]


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    title: str
    body: str


def words(query: str) -> list[str]:
    """A query's words, lowercased (``\\w+`` runs)."""
    return re.findall(r"\w+", query.lower())


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, path: Path | None, *, title_weight: float = 3.0, optimize: bool = True):
        """An FTS5 table in ``path``/fts5.sqlite (``None``: in memory, gone when closed)."""
        self.path = path / "fts5.sqlite" if path is not None else None
        self.title_weight = title_weight
        self.optimize = optimize

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path or ":memory:", check_same_thread=False)

    def build(self, docs: Iterable[Doc]) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                self.path.unlink()
        db = self._connect()
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='porter unicode61')"
        )
        db.executemany("INSERT INTO docs VALUES (?, ?, ?)", ((d.id, d.title, d.body) for d in docs))
        db.commit()
        if self.optimize:  # merge the b-trees into one, as a built-once index would be
            db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
            db.commit()
        if self.path is None:
            self.db = db  # an in-memory table lives only in its connection
        else:
            db.close()
            self.open()

    def open(self) -> None:
        self.db = self._connect()

    def close(self) -> None:
        self.db.close()

    def search_words(self, terms: list[str], k: int = 10, *, any_word: bool = False) -> list[str]:
        """The top ``k`` ids for ``terms``, each a quoted FTS5 string, AND-ed (or OR-ed)."""
        quoted = ['"' + w.replace('"', "") + '"' for w in terms]
        if not quoted:
            return []
        match = (" OR " if any_word else " AND ").join(quoted)
        rows = self.db.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, ?, 1.0) LIMIT ?",
            (match, self.title_weight, k),
        )
        return [r[0] for r in rows]

    def query(self, text: str, k: int = 10, *, any_word: bool = False) -> list[str]:
        return self.search_words(words(text), k, any_word=any_word)

    def size(self) -> int:
        return folder_size(self.path) if self.path is not None else 0


class StockWhoosh:
    name = "stock Whoosh"

    def __init__(self, path: Path, *, limitmb: int = 128) -> None:
        """A Whoosh index in ``path``/whoosh; ``limitmb`` is the writer's memory (Whoosh's default)."""
        self.path = path / "whoosh"
        self.limitmb = limitmb

    def build(self, docs: Iterable[Doc]) -> None:
        from whoosh import index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import ID, TEXT, Schema

        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        schema = Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
            body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        )
        ix = index.create_in(str(self.path), schema)
        writer = ix.writer(limitmb=self.limitmb)
        for d in docs:
            writer.add_document(id=d.id, title=d.title, body=d.body)
        writer.commit()
        self.open()

    def open(self) -> None:
        from whoosh import index
        from whoosh.qparser import MultifieldParser, OrGroup

        self.ix = index.open_dir(str(self.path))
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)
        self.any_parser = MultifieldParser(["title", "body"], self.ix.schema, group=OrGroup)

    def query(self, text: str, k: int = 10, *, any_word: bool = False) -> list[str]:
        parser = self.any_parser if any_word else self.parser
        with self.ix.searcher() as searcher:  # the tutorial's way: a new searcher per query
            results = searcher.search(parser.parse(text), limit=k)
            return [hit["id"] for hit in results]

    def size(self) -> int:
        return folder_size(self.path)
