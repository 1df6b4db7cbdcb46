"""Whoosh's W3 encoding: a field's collected postings -> posting lists and term infos as bytes.

In: a ``collect._Field`` (its postings since the last flush, the carry of unfinished blocks, the
finished blocks parked in the builder's temporary file) and a postings file to append to.
Out: ``_sort_postings`` orders a field's postings by (term, document); ``_encode_block`` makes one
block of up to 128 postings exactly as ``W3PostingsWriter._write_block`` would; ``_encode_field``
writes every posting list of a field and returns an ``_EncodedField`` (each term's info and
where its postings are); ``_add_terms`` writes those entries to the terms file as Whoosh's
``OrderedHashWriter`` does.
"""

from __future__ import annotations

import zlib
from array import array
from hashlib import md5
from operator import sub
from pickle import dumps
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Protocol

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_int, pack_long
from whoosh.util.numeric import byte_to_length, length_to_byte

from searchkit import whoosh_internals
from searchkit.index.writer.collect import _Field

if TYPE_CHECKING:
    import numpy as np

_COMPRESSION = 3  # Whoosh's W3 codec default (zlib level)
# A small window and memory level: zlib's default state (256 KiB) costs more to set up than a
# block takes to compress; any zlib reader decompresses the result.
_WBITS, _MEMLEVEL = 12, 4
_COMPRESS_FROM = 96  # bytes of pickled block; smaller blocks only grow when compressed


def _value_list(field: _Field, values: np.ndarray | None) -> list[bytes] | bytes | None:
    """The values of sorted postings as a list (variable size) or one bytes string (fixed)."""
    if values is None:
        return None
    return values.tobytes() if field.fixed > 0 else values.tolist()


def _value_array(field: _Field, values: list[bytes] | bytearray | None) -> np.ndarray | None:
    """A flush's values as a NumPy array that can be reordered (objects, or fixed-size records)."""
    import numpy as np

    if values is None:  # the field keeps no values
        return None
    if isinstance(values, list):  # variable-size values (field.fixed < 0)
        # (np.array would read each bytes value as a sequence of numbers)
        return np.fromiter(values, dtype=object, count=len(values))
    if field.fixed:  # fixed-size values, concatenated
        return np.frombuffer(bytes(values), dtype=f"V{field.fixed}")
    return None


class _Block(NamedTuple):
    """A block's encoded bytes (info + data) and its statistics for the term's info."""

    data: bytes
    size: int  # postings in the block (not ``count``: that is tuple.count)
    first: int
    last: int
    total_weight: float
    min_len: int | None
    max_len: int
    max_w: float

    def stats(self) -> list:
        return [
            self.total_weight,
            self.size,
            self.min_len,
            self.max_len,
            self.max_w,
            self.first,
            self.last,
        ]


def _merge_stats(stats: list, block: _Block) -> None:
    """``W3TermInfo.add_block``, on the list ``_Block.stats`` makes."""
    stats[0] += block.total_weight
    stats[1] += block.size
    if stats[2] is None:
        stats[2] = block.min_len
    elif block.min_len is not None:
        stats[2] = min(stats[2], block.min_len)
    stats[3] = max(stats[3], block.max_len)
    stats[4] = max(stats[4], block.max_w)
    stats[6] = block.last


_TERMINFO = whoosh_internals.TERMINFO_STRUCT


def _terminfo_head(stats: list) -> bytes:
    """``W3TermInfo.to_bytes`` up to the postings' extent (never inlined)."""
    weight, df, min_len, max_len, max_w, first, last = stats[:7]
    return _TERMINFO.pack(
        False,
        weight,
        df,
        0 if min_len is None else _length_byte(min_len),
        _length_byte(max_len),
        max_w,
        first,
        last,
    )


_TABLE = 8192  # field lengths with a precomputed one-byte code (longer ones are computed)
_LENGTH_BYTE = [length_to_byte(n) for n in range(_TABLE)]
_QUANTISED = [byte_to_length(b) for b in _LENGTH_BYTE]


def _length_byte(length: int | None) -> int:
    """``length_to_byte``, from a table for common lengths."""
    if length is None:
        return 0
    return _LENGTH_BYTE[length] if length < _TABLE else length_to_byte(length)


def _quantised(length: int) -> int:
    """The length Whoosh reads back from the one-byte lengths column."""
    return _QUANTISED[length] if length < _TABLE else byte_to_length(length_to_byte(length))


def _encode_block(
    field: _Field,
    ids: list[int],
    weights: list[float],
    values: list[bytes] | bytes | None,
    lengths: list[int],
) -> _Block:
    """One block of postings as ``W3PostingsWriter._write_block`` encodes it.

    ``values`` are the postings' values (a list), or for fixed-size values their concatenation;
    ``lengths`` the field's length per document. Small blocks are stored uncompressed (the block's
    info says so, and Whoosh's readers honour it): zlib makes them larger, and starting a
    compressor costs more than such a block takes to compress.
    """
    count = len(ids)
    first_weight = weights[0]
    mini_weights: float | tuple[float, ...] | None
    if first_weight == 1.0 and weights.count(1.0) == count:
        mini_weights = None
    elif weights.count(first_weight) == count:
        mini_weights = first_weight
    else:
        mini_weights = tuple(weights)
    # variable-size values (field.fixed < 0) come as a list: a tuple; else bytes, or None
    mini_values = tuple(values) if isinstance(values, list) else values
    deltas = (ids[0], *map(sub, ids[1:], ids))
    data = dumps((deltas, mini_weights, mini_values), 2)
    compression = 0
    if len(data) >= _COMPRESS_FROM:
        packer = zlib.compressobj(_COMPRESSION, zlib.DEFLATED, _WBITS, _MEMLEVEL)
        packed = packer.compress(data) + packer.flush()
        if len(packed) < len(data):
            data, compression = packed, _COMPRESSION
    min_len, max_len = None, 0
    if field.scorable and lengths:
        if ids[-1] < len(lengths):
            found = list(filter(None, map(lengths.__getitem__, ids)))
        else:
            found = [lengths[d] for d in ids if d < len(lengths) and lengths[d]]
        if found:
            # Whoosh reads lengths back from their one-byte column: quantised.
            min_len = _quantised(min(found))
            max_len = _quantised(max(found))
    max_w = max(weights)
    max_w = max_w if max_w > 0 else 0
    info = dumps(
        (count, ids[-1], max_w, compression, _length_byte(min_len), _length_byte(max_len)), 2
    )
    return _Block(info + data, count, ids[0], ids[-1], sum(weights), min_len, max_len, max_w)


class _Sorted(NamedTuple):
    """A field's postings sorted by (term, document): columns, and where each term's run starts."""

    tids: np.ndarray
    docs: np.ndarray
    weights: np.ndarray  # float32
    values: np.ndarray | None  # objects, or fixed-size records; None: no values
    starts: np.ndarray  # index of each term's first posting
    counts: np.ndarray  # how many postings each term has
    lengths: list[int]  # the field length of each document so far


def _sort_postings(field: _Field) -> _Sorted:
    """Take what was collected since the last flush, with the carry, sorted by term and document.

    Empties the field's collecting arrays; the carry is left to the caller to replace.
    """
    import numpy as np

    tids = np.frombuffer(field.tids, dtype=np.uint32)
    docs = np.repeat(
        np.frombuffer(field.run_docs, dtype=np.uint32),
        np.frombuffer(field.run_sizes, dtype=np.uint32),
    )
    # Whoosh's weight: frequency x field boost, computed in double precision, kept as float32.
    weights = np.frombuffer(field.freqs, dtype=np.uint32).astype(np.float64)
    weights = (weights * field.boost).astype(np.float32)
    values: np.ndarray | None
    if field.from_freqs:  # big-endian uint32, as whoosh.system.pack_uint writes it
        values = np.frombuffer(field.freqs, dtype=np.uint32).astype(">u4").view("V4")
    else:
        values = _value_array(field, field.values)
    if len(docs):
        field.flushed_upto = max(field.flushed_upto, int(docs.max()))
    if field.carry is not None:
        c_tids, c_docs, c_weights, c_values = field.carry
        tids = np.concatenate((c_tids, tids))
        docs = np.concatenate((c_docs, docs))
        weights = np.concatenate((c_weights, weights))
        values = None if values is None else np.concatenate((c_values, values))
    field.tids, field.freqs = array("I"), array("I")
    field.run_docs, field.run_sizes = array("I"), array("I")
    field.values = field._no_values()
    key = (tids.astype(np.uint64) << np.uint64(32)) | docs
    order = np.argsort(key, kind="stable")
    key = key[order]
    if len(key) > 1 and bool((key[1:] == key[:-1]).any()):
        raise ValueError(f"a document has the same term twice in {field.name!r}")
    tids, docs, weights = tids[order], docs[order], weights[order]
    if values is not None:
        values = values[order]
    starts = np.flatnonzero(np.r_[True, tids[1:] != tids[:-1]]) if len(tids) else tids
    counts = np.diff(np.r_[starts, len(tids)])
    return _Sorted(tids, docs, weights, values, starts, counts, field.lengths.tolist())


class _EncodedField(NamedTuple):
    """A field's posting lists, written; what its terms file entries need to know of them."""

    name: str
    terms: list[bytes]  # in order
    infos: list[bytes]  # each term's info (W3TermInfo.to_bytes without the postings' extent)
    starts: array  # where each term's postings start, from the start of ``base``
    sizes: array  # how many bytes they take
    base: int  # where this field's postings start in the postings file


class _PostingsOut:
    """Buffered writes to a postings file, keeping track of the position."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.base = file.tell()
        self.pos = self.base
        self.buffer = bytearray()

    def write(self, data: bytes) -> None:
        self.buffer += data
        self.pos += len(data)
        if len(self.buffer) >= 1 << 22:
            self.file.write(self.buffer)
            self.buffer = bytearray()

    def close(self) -> None:
        self.file.write(self.buffer)
        self.buffer = bytearray()


class _Spill(Protocol):
    """What ``_encode_field`` needs of the builder: the block size, and its parked blocks."""

    blocklimit: int

    def read_spill(self, offset: int, size: int) -> bytes: ...


def _encode_field(field: _Field, builder: _Spill, out: _PostingsOut) -> _EncodedField:
    """Write every posting list of ``field`` to ``out``, term by term in byte order."""
    import numpy as np

    terms = field.term_ids.terms
    found = _sort_postings(field)
    lengths = found.lengths
    groups = np.full(len(terms), -1, dtype=np.int64)
    groups[found.tids[found.starts]] = np.arange(len(found.starts))
    group_of: list[int] = groups.tolist()
    starts: list[int] = found.starts.tolist()
    counts: list[int] = found.counts.tolist()
    docs: list[int] = found.docs.tolist()
    weights: list[float] = found.weights.tolist()
    values = _value_list(field, found.values)
    fixed = max(field.fixed, 0)
    done_of = field.done
    limit = builder.blocklimit
    ordered = sorted(range(len(terms)), key=terms.__getitem__)
    infos: list[bytes] = []
    term_starts, term_sizes = array("Q"), array("Q")
    base = out.pos
    for tid in ordered:
        done = done_of.get(tid)
        g = group_of[tid]
        blocks = []
        if g >= 0:
            at, n = starts[g], counts[g]
            for s in range(at, at + n, limit):
                e = min(s + limit, at + n)
                if values is None:
                    block_values = None
                elif fixed:
                    block_values = values[s * fixed : e * fixed]
                else:
                    block_values = values[s:e]
                blocks.append(_encode_block(field, docs[s:e], weights[s:e], block_values, lengths))
        start = out.pos
        if done is None and len(blocks) == 1:  # most terms: one block, written now
            (block,) = blocks
            out.write(WHOOSH3_HEADER_MAGIC + pack_int(-len(block.data)) + block.data)
            stats = block.stats()
        else:
            out.write(WHOOSH3_HEADER_MAGIC)
            if done is not None:
                extents = done[7]
                last = len(extents) - 1 if not blocks else -1
                for k, (offset, size) in enumerate(extents):
                    out.write(pack_int(-size if k == last else size))
                    out.write(builder.read_spill(offset, size))
                stats = done
                for block in blocks:
                    _merge_stats(stats, block)
            else:
                stats = blocks[0].stats()
                for block in blocks[1:]:
                    _merge_stats(stats, block)
            final = len(blocks) - 1
            for k, block in enumerate(blocks):
                out.write(pack_int(-len(block.data) if k == final else len(block.data)))
                out.write(block.data)
        infos.append(_terminfo_head(stats))
        term_starts.append(start - base)
        term_sizes.append(out.pos - start)
    return _EncodedField(
        field.name, [terms[t] for t in ordered], infos, term_starts, term_sizes, base
    )


def _add_terms(tindex, prefix: bytes, field: _EncodedField) -> None:
    """``OrderedHashWriter.add`` for every term of a field, written to the terms file in one go."""
    if not whoosh_internals.uses_md5_keys(tindex):
        raise ValueError("the terms file does not use Whoosh's MD5 key hash")
    dbfile = tindex.dbfile
    pos = dbfile.tell()
    lastkey = tindex.lastkey
    index_append = tindex.index.append
    buckets = tindex.buckets
    pack_lengths = whoosh_internals.hash_entry_header().pack
    chunks: list[bytes] = []
    base = field.base
    for term, info, start, size in zip(
        field.terms, field.infos, field.starts, field.sizes, strict=True
    ):
        key = prefix + term
        if key <= lastkey:
            raise ValueError(f"keys must increase: {lastkey!r}..{key!r}")
        lastkey = key
        value = info + pack_long(base + start) + pack_int(size)
        index_append(pos)
        chunks += (pack_lengths(len(key), len(value)), key, value)
        # md5_hash(key): the low 32 bits of the digest, read as a big-endian number
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
        buckets[h & 255].append((h, pos))
        pos += 8 + len(key) + len(value)
        if len(chunks) >= 30_000:
            dbfile.write(b"".join(chunks))
            chunks = []
    dbfile.write(b"".join(chunks))
    tindex.lastkey = lastkey
