"""What a user would pick instead of searchkit: SQLite FTS5, stock Whoosh, tantivy and bm25s.

In: documents (``Doc``: id, title, body) and queries. Out: ranked document ids. ``searchkit eval``
(evaluate.py) scores these engines next to searchkit on a test collection; bench/peers.py times them
(and tantivy, a bench-only dependency) at scale. One implementation serves both, so the engines
measured for speed are the engines measured for quality; the two differ only in the options:

- ``Fts5``: SQLite FTS5 from the standard library, the porter tokenizer over unicode61, ranked by
  ``bm25()`` with a title column weight (bench: 3, eval: 1, FTS5's default). On disk under the
  given folder, or in memory with ``path=None``.
- ``StockWhoosh``: Whoosh as its tutorial uses it — StemmingAnalyzer on title and body, BM25F
  defaults, one writer, a new searcher per query.
- ``Tantivy``: the tantivy binding (a native Rust engine, Lucene's BM25 per field), en_stem on
  title and body, a title boost (bench: 3, eval: 1, tantivy's default).
- ``Bm25s``: bm25s (BM25 over SciPy sparse matrices, in memory), its Lucene variant (k1 1.5,
  b 0.75) with PyStemmer's English stemmer and its English stop words over title and body as
  one text, as its README sets it up. It has no AND: it always ranks every word's documents.

tantivy and bm25s come with the bench extra (``pip install 'searchkit[bench]'``) and are imported
only when used; ``evaluation_peers`` leaves out an engine that is not installed.

``query(text)`` splits the text into words (``\\w+``); ``search_words(words)`` takes words already
split (evaluate.py splits queries as searchkit does). Words are AND-ed, as searchkit's default
search does, or with ``any_word=True`` OR-ed, as evaluation collections are judged.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Bm25s",
    "Doc",
    "Fts5",
    "StockWhoosh",
    "Tantivy",
    "evaluation_peers",
    "folder_size",
    "words",
]


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
    system = "sqlite-fts5-bm25"  # the name ``searchkit eval`` reports

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
    system = "whoosh-stock-bm25f"

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

    def close(self) -> None:
        self.ix.close()


class Tantivy:
    name = "tantivy"
    system = "tantivy-bm25"

    def __init__(self, path: Path, *, title_boost: float = 3.0) -> None:
        self.path = path / "tantivy"
        self.title_boost = title_boost

    def build(self, docs: Iterable[Doc]) -> None:
        import tantivy

        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=False, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
        self.schema = builder.build()
        index = tantivy.Index(self.schema, path=str(self.path))
        writer = index.writer(heap_size=256_000_000, num_threads=min(2, os.cpu_count() or 1))
        for d in docs:
            writer.add_document(tantivy.Document(id=d.id, title=d.title, body=d.body))
        writer.commit()
        writer.wait_merging_threads()
        self.open()

    def open(self) -> None:
        import tantivy

        self.index = tantivy.Index.open(str(self.path))
        self.index.reload()
        self.searcher = self.index.searcher()

    def query(self, text: str, k: int = 10, *, any_word: bool = False) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        q = self.index.parse_query(
            (" OR " if any_word else " AND ").join(terms),
            ["title", "body"],
            field_boosts={"title": self.title_boost},
        )
        hits = self.searcher.search(q, k).hits
        return [self.searcher.doc(addr)["id"][0] for _, addr in hits]

    def close(self) -> None:
        pass

    def size(self) -> int:
        return folder_size(self.path)


class Bm25s:
    name = "bm25s"
    system = "bm25s-lucene"

    def build(self, docs: Iterable[Doc]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        docs = list(docs)
        self.ids = [d.id for d in docs]
        tokens = bm25s.tokenize(
            [f"{d.title} {d.body}" for d in docs],
            stopwords="en",
            stemmer=self.stemmer,
            show_progress=False,
        )
        self.retriever = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
        self.retriever.index(tokens, show_progress=False)

    def query(self, text: str, k: int = 10, *, any_word: bool = True) -> list[str]:
        tokens = self._bm25s.tokenize(
            [text], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )
        if not tokens[0]:
            return []
        found, scores = self.retriever.retrieve(
            tokens, k=min(k, len(self.ids)), show_progress=False
        )
        # bm25s pads with documents scoring 0; the other engines return matches only.
        return [self.ids[i] for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    def close(self) -> None:
        pass


def installed(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def evaluation_peers(workdir: Path) -> list[Fts5 | StockWhoosh | Tantivy | Bm25s]:
    """The peers ``searchkit eval`` runs beside searchkit, with their own default weights (no
    title boost): those installed, in a fixed order."""
    engines: list[Fts5 | StockWhoosh | Tantivy | Bm25s] = [
        Fts5(None, title_weight=1.0, optimize=False),
        StockWhoosh(workdir, limitmb=256),
    ]
    if installed("tantivy"):
        engines.append(Tantivy(workdir, title_boost=1.0))
    if installed("bm25s") and installed("Stemmer"):
        engines.append(Bm25s())
    return engines
