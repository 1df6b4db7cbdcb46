"""What a user would pick instead of searchkit, driven through one small interface.

Each engine indexes the same articles (id, title, body — as searchkit's pipeline segmented them)
and answers the same queries, top 10, the words AND-ed as searchkit does by default:

- ``Fts5``: SQLite FTS5 from the standard library, porter tokenizer, ``bm25()`` with column weights.
- ``StockWhoosh``: Whoosh as its tutorial uses it — StemmingAnalyzer, one writer, a new searcher per
  query.
- ``Tantivy``: the tantivy Python binding (a native Rust engine), en_stem, as a reference point.

searchkit itself is measured through its library API (``Searcher``), with every feature on.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    title: str
    body: str


def _words(query: str) -> list[str]:
    return re.findall(r"\w+", query.lower())


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, path: Path) -> None:
        self.path = path / "fts5.sqlite"

    def build(self, docs: Iterable[Doc]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self.path.unlink()
        db = sqlite3.connect(self.path)
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='porter unicode61')"
        )
        db.executemany("INSERT INTO docs VALUES (?, ?, ?)", ((d.id, d.title, d.body) for d in docs))
        db.commit()
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        db.commit()
        db.close()
        self.db = sqlite3.connect(self.path, check_same_thread=False)

    def open(self) -> None:
        self.db = sqlite3.connect(self.path, check_same_thread=False)

    def query(self, text: str, k: int = 10) -> list[str]:
        words = _words(text)
        if not words:
            return []
        match = " AND ".join(f'"{w}"' for w in words)
        rows = self.db.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 3.0, 1.0) LIMIT ?",
            (match, k),
        )
        return [r[0] for r in rows]

    def size(self) -> int:
        return folder_size(self.path)


class StockWhoosh:
    name = "stock Whoosh"

    def __init__(self, path: Path) -> None:
        self.path = path / "whoosh"

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
        writer = ix.writer()
        for d in docs:
            writer.add_document(id=d.id, title=d.title, body=d.body)
        writer.commit()
        self.open()

    def open(self) -> None:
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        self.ix = index.open_dir(str(self.path))
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def query(self, text: str, k: int = 10) -> list[str]:
        with self.ix.searcher() as searcher:  # the tutorial's way: a new searcher per query
            results = searcher.search(self.parser.parse(text), limit=k)
            return [hit["id"] for hit in results]

    def size(self) -> int:
        return folder_size(self.path)


class Tantivy:
    name = "tantivy"

    def __init__(self, path: Path) -> None:
        self.path = path / "tantivy"

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

    def query(self, text: str, k: int = 10) -> list[str]:
        words = _words(text)
        if not words:
            return []
        q = self.index.parse_query(
            " AND ".join(words), ["title", "body"], field_boosts={"title": 3.0}
        )
        hits = self.searcher.search(q, k).hits
        return [self.searcher.doc(addr)["id"][0] for _, addr in hits]

    def size(self) -> int:
        return folder_size(self.path)


PEERS = (Fts5, StockWhoosh, Tantivy)
