"""What a user would pick instead of searchkit, driven through one small interface.

Each engine indexes the same articles (id, title, body — as searchkit's pipeline segmented them)
and answers the same queries, top 10, the words AND-ed as searchkit does by default:

- ``Fts5``: SQLite FTS5 from the standard library, porter tokenizer, ``bm25()`` with column weights.
- ``StockWhoosh``: Whoosh as its tutorial uses it — StemmingAnalyzer, one writer, a new searcher per
  query.
- ``Tantivy``: the tantivy Python binding (a native Rust engine), en_stem, as a reference point.

Fts5 and StockWhoosh are searchkit/peers.py's, the same code ``searchkit eval`` scores for ranking
quality (tantivy too, imported only when used: it is a bench-only dependency).
searchkit itself is measured through its library API (``searchkit.open``), with every feature on.
"""

from __future__ import annotations

from searchkit.peers import Doc, Fts5, StockWhoosh, Tantivy, folder_size

__all__ = ["PEERS", "Doc", "Fts5", "StockWhoosh", "Tantivy", "folder_size"]


PEERS = (Fts5, StockWhoosh, Tantivy)
