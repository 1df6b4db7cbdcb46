"""What a user would pick instead of searchkit, driven through one small interface.

Each engine indexes the same articles (id, title, body — as searchkit's pipeline segmented them)
and answers the same queries, top 10, the words AND-ed as searchkit does by default:

- ``Fts5``: SQLite FTS5 from the standard library, porter tokenizer, ``bm25()`` with column weights.
- ``StockWhoosh``: Whoosh as its tutorial uses it — StemmingAnalyzer, one writer, a new searcher per
  query.
- ``Tantivy``: the tantivy Python binding (a native Rust engine), en_stem, as a reference point.

Fts5 and StockWhoosh are searchkit/peers.py's, the same code ``searchkit eval`` scores for ranking
quality; tantivy is a bench-only dependency, so its engine lives here (imported when used).
searchkit itself is measured through its library API (``searchkit.open``), with every feature on.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from searchkit.peers import Doc, Fts5, StockWhoosh, folder_size, words

__all__ = ["PEERS", "Doc", "Fts5", "StockWhoosh", "Tantivy", "folder_size"]


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
        terms = words(text)
        if not terms:
            return []
        q = self.index.parse_query(
            " AND ".join(terms), ["title", "body"], field_boosts={"title": 3.0}
        )
        hits = self.searcher.search(q, k).hits
        return [self.searcher.doc(addr)["id"][0] for _, addr in hits]

    def size(self) -> int:
        return folder_size(self.path)


PEERS = (Fts5, StockWhoosh, Tantivy)
