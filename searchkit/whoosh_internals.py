"""Every use searchkit makes of Whoosh's internals, in one place, behind small typed functions.

In: Whoosh objects (a W3 leaf matcher, a segment reader, a column reader, the W3 field writer and
its terms table, a ``SegmentWriter``). Out: what searchkit needs of their private state, as plain
values, or the private step done.

Whoosh has no public API for any of this; searchkit uses it for speed (docs/benchmarks.md):

- reading a posting list whole (``searchkit.query.postings``): a ``W3LeafMatcher``'s block state
  (``_atend``, ``_data``, ``_read_data``, ``_blocklength``, ``_read_values``, ``_values``,
  ``_byteids``, ``_lastblock``, ``_goto``, ``_nextoffset``), one block at a time instead of one
  posting per method call;
- reading field lengths and numeric columns whole: a W3 segment reader's per-document reader
  (``_perdoc``, its ``_cached_reader``), whoosh3's ``_lenfield`` and ``LENGTHS_COLUMN``, and a
  ``NumericColumn.Reader``'s layout (``_fixedlen``, ``_typecode``, ``_count``, ``_doccount``,
  ``_dbfile``, ``_basepos``, ``_default``), one slice of the file instead of a read per document;
- writing a segment (``searchkit.index.writer``): the W3 field writer's postings file, terms table
  and field id (``_postfile``, ``_tindex``, ``_fieldid``), the terms table's entry header
  (``filetables._lengths``) and key hash (``md5_hash``; its public ``dbfile``, ``lastkey``,
  ``index``, ``buckets`` are written directly), and ``W3TermInfo._struct``, so that posting lists
  and term entries are written in bulk;
- opening an index (``searchkit.index.generations``): ``mapped_file_class`` is a ``BufferFile``
  that sets its ``_buf`` and ``_name`` without copying the buffer, so that a segment's files are
  read from the compound file's memory map;
- committing that segment: ``SegmentWriter.commit``'s steps (``_merge_segments``, ``_added``,
  ``_finalize_segment``, ``_close_segment``, ``_commit_toc``, ``_finish``), to list one more
  segment in the new table of contents.

``tests/test_whoosh_internals.py`` checks that the installed Whoosh still has each of the names
listed in the ``*_ATTRS`` constants below; when it fails, this module must be updated for that
Whoosh version.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, NamedTuple

from whoosh.codec.whoosh3 import W3TermInfo

# The names each adapter function relies on, per kind of Whoosh object (checked by the tests).
W3_MATCHER_ATTRS = (
    "_atend",
    "_data",
    "_read_data",
    "_blocklength",
    "_read_values",
    "_values",
    "_byteids",
    "_lastblock",
    "_goto",
    "_nextoffset",
)
W3_SEGMENT_READER_ATTRS = ("_perdoc",)
W3_PERDOC_READER_ATTRS = ("_cached_reader",)
WHOOSH3_MODULE_ATTRS = ("_lenfield", "LENGTHS_COLUMN")
NUMERIC_COLUMN_READER_ATTRS = (
    "_fixedlen",
    "_typecode",
    "_count",
    "_doccount",
    "_dbfile",
    "_basepos",
    "_default",
)
W3_FIELD_WRITER_ATTRS = ("_postfile", "_tindex", "_fieldid")
HASH_WRITER_ATTRS = ("hashfn", "dbfile", "lastkey", "index", "buckets")
FILETABLES_MODULE_ATTRS = ("_lengths", "md5_hash")
W3_TERMINFO_ATTRS = ("_struct",)
BUFFER_FILE_ATTRS = ("_buf", "_name")  # set in __init__, read by get, get_array, subset
SEGMENT_WRITER_ATTRS = (
    "_merge_segments",
    "_added",
    "_finalize_segment",
    "_close_segment",
    "_commit_toc",
    "_finish",
)


# --- reading ------------------------------------------------------------------------------------


class RawBlock(NamedTuple):
    """One block of a W3 posting list, as the codec pickled it."""

    ids: Sequence[int]  # document numbers in the segment, delta-coded unless ``byteids``
    byteids: bool  # ids are absolute (the matcher's "byte ids" mode), not deltas
    weights: Sequence[float] | float | None  # None: all 1.0; a float: all the same
    size: int  # postings in the block
    values: Sequence[
        Any
    ]  # each posting's value (bytes, or None if it has none); () if not asked for


def w3_blocks(matcher: Any, *, values: bool) -> Iterator[RawBlock]:
    """The blocks of a ``W3LeafMatcher`` from where it stands to the end of its posting list."""
    while not matcher._atend:
        if matcher._data is None:
            matcher._read_data()
        raw_ids, raw_weights, _ = matcher._data
        block_values: Sequence[Any] = ()
        if values:
            matcher._read_values()
            block_values = matcher._values
        yield RawBlock(raw_ids, matcher._byteids, raw_weights, matcher._blocklength, block_values)
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)


def length_column(leaf: Any, fieldname: str) -> Any | None:
    """A W3 segment reader's column of one-byte field lengths (None: not a W3 segment)."""
    perdoc = getattr(leaf, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    return perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)


class NumericLayout(NamedTuple):
    """Where a ``NumericColumn.Reader``'s values are: ``stored`` fixed-size numbers in a row."""

    typecode: str  # the array/struct type code of a value
    itemsize: int  # bytes per value in the file (big-endian)
    stored: int  # values stored (not ``count``: that is tuple.count)
    doccount: int  # documents in the segment (those past ``stored`` have ``default``)
    default: Any


def numeric_layout(column: Any) -> NumericLayout | None:
    """The layout of a numeric column reader (None: another kind of column)."""
    from whoosh.columns import NumericColumn

    if type(column) is not NumericColumn.Reader:
        return None
    return NumericLayout(
        column._typecode, column._fixedlen, column._count, column._doccount, column._default
    )


def numeric_bytes(column: Any, layout: NumericLayout) -> bytes:
    """The stored values of a numeric column reader, as one slice of its file."""
    return column._dbfile.get(column._basepos, layout.stored * layout.itemsize)


# --- writing ------------------------------------------------------------------------------------

TERMINFO_STRUCT: struct.Struct = W3TermInfo._struct  # a W3 term info up to the postings' extent


def postings_file(fieldwriter: Any) -> BinaryIO:
    """The postings file a W3 field writer appends posting lists to."""
    return fieldwriter._postfile


def terms_table(fieldwriter: Any) -> Any:
    """The W3 field writer's terms file (an ``OrderedHashWriter``)."""
    return fieldwriter._tindex


def field_id(fieldwriter: Any) -> int:
    """The number of the field the W3 field writer is in (between start_ and finish_field)."""
    return fieldwriter._fieldid


def hash_entry_header() -> struct.Struct:
    """The struct before each key and value in a Whoosh hash file: their lengths."""
    from whoosh.filedb.filetables import _lengths

    return _lengths


def uses_md5_keys(table: Any) -> bool:
    """Whether a Whoosh hash file hashes its keys with ``md5_hash`` (the default)."""
    from whoosh.filedb.filetables import md5_hash

    return table.hashfn is md5_hash


def commit_toc_with(writer: Any, segment: Any | None) -> None:
    """``SegmentWriter.commit`` up to the new table of contents, with ``segment`` (if any) listed
    in it besides the writer's own segments (after its merge policy has run)."""
    segments = writer._merge_segments(None, None, None)
    if writer._added:  # the merge policy merged small segments into the writer's own
        segments.append(writer._finalize_segment())
    else:
        writer._close_segment()
    if segment is not None:
        segments.append(segment)
    writer._commit_toc(segments)


def finish_commit(writer: Any) -> None:
    """The end of ``SegmentWriter.commit``: release the writer (and the index's lock)."""
    writer._finish()


# --- opening ------------------------------------------------------------------------------------


@functools.cache
def mapped_file_class() -> type:
    """A ``BufferFile`` that copies its buffer into a ``BytesIO`` only when a sequential read needs
    it (see ``searchkit.index.generations``). Made once, on first use: Whoosh is imported only
    when an index is opened. It sets ``BufferFile``'s own ``_buf`` and ``_name``, which its
    ``get``, ``get_array`` and ``subset`` read."""
    from io import BytesIO

    from whoosh.filedb.structfile import BufferFile

    class MappedFile(BufferFile):
        def __init__(self, buf, name=None, onclose=None) -> None:
            self._buf = buf
            self._name = name
            self.onclose = onclose
            self.is_real = False
            self.is_closed = False
            self._stream: BytesIO | None = None

        @property
        def file(self) -> BytesIO:
            if self._stream is None:
                self._stream = BytesIO(self._buf)
            return self._stream

        @file.setter
        def file(self, value: BytesIO) -> None:
            self._stream = value

        def close(self) -> None:
            if self.is_closed:
                raise ValueError("This file is already closed")
            if self.onclose:
                self.onclose(self)
            if self._stream is not None:
                self._stream.close()
            self.is_closed = True

    return MappedFile
