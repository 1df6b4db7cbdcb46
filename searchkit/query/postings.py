"""Posting lists read whole: (field, term) -> document numbers and term frequencies.

In: an open Whoosh reader (one or more segments). Out: plain lists, global document numbers, or
the same as NumPy arrays (``read_arrays``, ``length_array``) for the vectorised scorer.

Whoosh walks a posting list one document at a time through Python method calls (``next``,
``id``, ``score``), and decodes each block's ids with a Python generator; reading the list whole
takes the block's pickled arrays as they are and un-delta-encodes them with ``itertools.accumulate``,
in C. Search uses this to find every match (set operations) and to score bare-word queries in bulk
(``ranking.BulkScorer``); both are several times faster than Whoosh's matchers at 100k articles
(docs/benchmarks.md). Only Whoosh's own codec (W3) is read this way; anything else goes through
Whoosh's matcher API. Whoosh's internals are reached through ``searchkit.whoosh_internals``.

The arrays are made from the lists in one C-level conversion each, not block by block: a block
holds about a hundred postings, and a NumPy call per block would cost more than the list's
``extend``. Term frequencies are float32 (Whoosh's writer keeps them in an ``array("f")``, so the
conversion is exact), falling back to float64 for a list with any value float32 cannot hold.
"""

from __future__ import annotations

import sys
import threading
from array import array
from itertools import accumulate, repeat
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from searchkit import whoosh_internals

# Postings an open index keeps in memory (``PostingLists``): about 10 bytes each for ids and
# frequencies, and for title and body a bytes object of positions each (~40 bytes), so ~100 MB at
# most. A query's terms at 100k articles hold up to ~50k postings, so this keeps some hundreds
# of recent queries' lists.
CACHED_POSTINGS = 2_000_000
_NO_IDS = np.zeros(0, dtype=np.int32)
_NO_FREQUENCIES = np.zeros(0, dtype=np.float32)
_BYTE_LENGTHS = [byte_to_length(b) for b in range(256)]
_BYTE_LENGTHS_ARRAY = np.array(_BYTE_LENGTHS, dtype=np.int32)


class PostingLists:
    """Posting lists by (field, term), each read once (``postings.read_arrays``) and kept.

    One lives as long as an open index generation (``OpenIndex.postings``): a term's list is read
    by the first search that needs it and shared by every later one, so a warm search reads only
    the terms no earlier search asked for. For fields that keep word positions the encoded
    positions are kept too, for the proximity bonus of the top candidates (``positions``).

    Kept lists are bounded by their postings in all (``CACHED_POSTINGS``), the least recently
    used dropped first, so that a long-running server does not grow without end.
    """

    def __init__(self, reader: Any, *, limit: int | None = None) -> None:
        self.reader = reader
        self.limit = CACHED_POSTINGS if limit is None else limit
        self.lists: dict[tuple[str, Any], tuple[np.ndarray, np.ndarray]] = {}
        self.values: dict[tuple[str, Any], list[Any]] = {}
        self._held = 0  # postings in ``lists``
        self._lock = threading.Lock()  # the web server searches from several threads

    def get(self, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers (int32, ascending) holding the term, and its frequency in each."""
        key = (fieldname, text)
        with self._lock:
            found = self.lists.pop(key, None)
            if found is not None:
                self.lists[key] = found  # most recently used last
                return found
        values: list[Any] | None = None
        found = (_NO_IDS, _NO_FREQUENCIES)
        btext = self._bytes(fieldname, text)
        if btext is not None:
            positional = self.reader.schema[fieldname].format.supports("positions")
            values = [] if positional else None
            found = read_arrays(self.reader, fieldname, btext, values=values)
        with self._lock:
            if key not in self.lists:
                self.lists[key] = found
                if values is not None:
                    self.values[key] = values
                self._held += len(found[0])
                self._evict()
            return self.lists.get(key, found)

    def _evict(self) -> None:
        # Dicts keep insertion order, and ``get`` re-inserts what it hands out: the first key is
        # the least recently used. The newest list stays even when it alone is over the limit.
        while self._held > self.limit and len(self.lists) > 1:
            key = next(iter(self.lists))
            ids, _ = self.lists.pop(key)
            self.values.pop(key, None)
            self._held -= len(ids)

    def positions(self, fieldname: str, text: Any, docnums: list[int]) -> dict[int, list[int]]:
        """Word positions of the term in each of these documents that holds it."""
        ids, _ = self.get(fieldname, text)
        values = self.values.get((fieldname, text))
        if not values or not docnums:
            return {}
        decode = self.reader.schema[fieldname].format.decode_positions
        wanted = np.asarray(docnums, dtype=np.int64)
        at = np.searchsorted(ids, wanted)
        inside = at < len(ids)
        held = np.zeros(len(wanted), dtype=bool)
        held[inside] = ids[at[inside]] == wanted[inside]
        return {
            int(d): decode(values[i])
            for d, i in zip(wanted[held].tolist(), at[held].tolist(), strict=True)
        }

    def _bytes(self, fieldname: str, text: Any) -> bytes | None:
        if fieldname not in self.reader.schema:
            return None
        try:
            return self.reader.schema[fieldname].to_bytes(text)
        except ValueError:
            return None


def read(
    reader, fieldname: str, btext: bytes, *, values: list | None = None
) -> tuple[list[int], list[float]]:
    """Document numbers holding the term, ascending, and the term's frequency in each.

    With ``values``, each posting's encoded value (its word positions, for fields that keep them)
    is appended to that list too, in the same order.
    """
    ids: list[int] = []
    weights: list[float] = []
    for leaf, offset in reader.leaf_readers():
        try:  # one term-dictionary look-up, not a `in` test and then another
            matcher = leaf.postings(fieldname, btext)
        except TermNotFound:
            continue
        if type(matcher) is W3LeafMatcher and not leaf.has_deletions():
            _read_blocks(matcher, offset, ids, weights, values)
        else:  # another codec, or deleted documents to skip: Whoosh's matcher knows
            while matcher.is_active():
                ids.append(matcher.id() + offset)
                weights.append(matcher.weight())
                if values is not None:
                    values.append(matcher.value())
                matcher.next()
    return ids, weights


def read_arrays(
    reader, fieldname: str, btext: bytes, *, values: list | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``read`` as arrays: int32 document numbers (ascending) and their term frequencies."""
    ids, weights = read(reader, fieldname, btext, values=values)
    return np.asarray(ids, dtype=np.int32), frequency_array(weights)


def frequency_array(weights: list[float]) -> np.ndarray:
    """Term frequencies as float32 when that holds every one exactly, else as float64."""
    wide = np.asarray(weights, dtype=np.float64)
    narrow = wide.astype(np.float32)
    return narrow if np.array_equal(narrow, wide) else wide


def _read_blocks(
    matcher: W3LeafMatcher, offset: int, ids: list[int], weights: list[float], values
) -> None:
    for raw_ids, byteids, raw_weights, count, block_values in whoosh_internals.w3_blocks(
        matcher, values=values is not None
    ):
        if values is not None:
            values.extend(block_values)
        block = raw_ids if byteids else accumulate(raw_ids)
        ids.extend((i + offset for i in block) if offset else block)
        if raw_weights is None:
            weights.extend(repeat(1.0, count))
        elif isinstance(raw_weights, float):
            weights.extend(repeat(raw_weights, count))
        else:
            weights.extend(raw_weights)


def lengths(reader, fieldname: str) -> list[int]:
    """Each document's length in the field, as BM25 sees it (Whoosh stores it in one byte)."""
    out: list[int] = []
    for leaf, _offset in reader.leaf_readers():
        count = leaf.doc_count_all()
        column = whoosh_internals.length_column(leaf, fieldname)
        if column is None:
            out.extend(leaf.doc_field_length(d, fieldname, 0) for d in range(count))
        else:
            out.extend(map(_BYTE_LENGTHS.__getitem__, column_values(column)))
    return out


def length_array(reader, fieldname: str) -> np.ndarray:
    """``lengths`` as an int32 array, one per document: the byte column decoded by a table look-up."""
    parts: list[np.ndarray] = []
    for leaf, _offset in reader.leaf_readers():
        column = whoosh_internals.length_column(leaf, fieldname)
        layout = None if column is None else whoosh_internals.numeric_layout(column)
        if layout is None or layout.itemsize != 1 or layout.stored > layout.doccount:
            parts.append(np.asarray(_leaf_lengths(leaf, fieldname, column), dtype=np.int32))
            continue
        raw = np.frombuffer(whoosh_internals.numeric_bytes(column, layout), dtype=np.uint8)
        decoded = _BYTE_LENGTHS_ARRAY[raw]
        missing = layout.doccount - layout.stored
        if missing:
            filler = byte_to_length(layout.default) if isinstance(layout.default, int) else 0
            decoded = np.concatenate([decoded, np.full(missing, filler, dtype=np.int32)])
        parts.append(decoded)
    if not parts:
        return np.zeros(0, dtype=np.int32)
    return np.concatenate(parts)


def _leaf_lengths(leaf, fieldname: str, column) -> list[int]:
    if column is None:
        return [leaf.doc_field_length(d, fieldname, 0) for d in range(leaf.doc_count_all())]
    return list(map(_BYTE_LENGTHS.__getitem__, column_values(column)))


def column_values(column) -> list:
    """Every value of a Whoosh column reader, one per document, as ``list(column)`` gives them.

    A numeric column (field lengths, dates, years) is read as one slice of the file and unpacked
    at once: iterating Whoosh's reader costs a file read and a struct unpack per document, about
    1.5 s for the few columns a first search reads at 100,000 articles.
    """
    layout = whoosh_internals.numeric_layout(column)
    if layout is not None:
        fixed = layout.itemsize
        values = array(layout.typecode)
        if values.itemsize == fixed and layout.stored <= layout.doccount:
            values.frombytes(whoosh_internals.numeric_bytes(column, layout))
            if sys.byteorder == "little" and fixed > 1:  # stored big-endian ("!" in struct)
                values.byteswap()
            out = values.tolist()
            out.extend(repeat(layout.default, layout.doccount - layout.stored))
            return out
    return list(column)
