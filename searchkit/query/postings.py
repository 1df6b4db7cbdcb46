"""Posting lists read whole: (field, term) -> document numbers and term frequencies.

In: an open Whoosh reader (one or more segments). Out: plain lists, global document numbers.

Whoosh walks a posting list one document at a time through Python method calls (``next``,
``id``, ``score``), and decodes each block's ids with a Python generator; reading the list whole
takes the block's pickled arrays as they are and un-delta-encodes them with ``itertools.accumulate``,
in C. Search uses this to find every match (set operations) and to score bare-word queries in bulk
(``ranking.BulkScorer``); both are several times faster than Whoosh's matchers at 100k articles
(docs/benchmarks.md). Only Whoosh's own codec (W3) is read this way; anything else goes through
Whoosh's matcher API. Whoosh's internals are reached through ``searchkit.whoosh_internals``.
"""

from __future__ import annotations

import sys
from array import array
from itertools import accumulate, repeat

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from searchkit import whoosh_internals

_BYTE_LENGTHS = [byte_to_length(b) for b in range(256)]


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
