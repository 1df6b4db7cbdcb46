"""The installed Whoosh still has every internal ``searchkit.whoosh_internals`` relies on.

A tiny index is built with stock Whoosh; each kind of object the adapter touches (leaf matcher,
segment reader, per-document reader, numeric column reader, field writer, terms table, segment
writer, modules, classes) is checked for each name the adapter lists for it.
"""

from __future__ import annotations

import pytest
from whoosh import fields, index
from whoosh.codec import whoosh3
from whoosh.columns import NumericColumn
from whoosh.filedb import filetables
from whoosh.filedb.structfile import BufferFile

from searchkit import whoosh_internals as wi


def missing(obj: object, names: tuple[str, ...], what: str) -> list[str]:
    return [f"{what}.{name}" for name in names if not hasattr(obj, name)]


def check(found: list[str]) -> None:
    assert not found, (
        f"Whoosh lacks {', '.join(found)}: searchkit/whoosh_internals.py relies on it and must "
        "be updated for this Whoosh version"
    )


@pytest.fixture
def ix(tmp_path):
    schema = fields.Schema(body=fields.TEXT(phrase=True), year=fields.NUMERIC(sortable=True))
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        for n in range(3):
            writer.add_document(body=f"giant panda report {n}", year=2000 + n)
    return ix


def test_the_reading_internals_exist(ix):
    with ix.searcher() as searcher:
        ((leaf, _offset),) = searcher.reader().leaf_readers()
        matcher = leaf.postings("body", b"panda")
        assert type(matcher) is whoosh3.W3LeafMatcher, "stock Whoosh no longer writes W3 segments"
        check(missing(matcher, wi.W3_MATCHER_ATTRS, "W3LeafMatcher"))
        check(missing(leaf, wi.W3_SEGMENT_READER_ATTRS, "SegmentReader"))
        perdoc = leaf._perdoc
        check(missing(perdoc, wi.W3_PERDOC_READER_ATTRS, "W3PerDocReader"))
        check(missing(whoosh3, wi.WHOOSH3_MODULE_ATTRS, "whoosh.codec.whoosh3"))
        column = perdoc._cached_reader(whoosh3._lenfield("body"), whoosh3.LENGTHS_COLUMN)
        assert type(column) is NumericColumn.Reader, "the field lengths are no NumericColumn"
        check(missing(column, wi.NUMERIC_COLUMN_READER_ATTRS, "NumericColumn.Reader"))
        # and the adapter reads what Whoosh's own API reads
        assert list(wi.length_column(leaf, "body")) == list(column)
        blocks = list(wi.w3_blocks(leaf.postings("body", b"panda"), values=True))
        assert sum(block.size for block in blocks) == 3


def test_the_writing_internals_exist(ix):
    check(missing(whoosh3.W3TermInfo, wi.W3_TERMINFO_ATTRS, "W3TermInfo"))
    check(missing(filetables, wi.FILETABLES_MODULE_ATTRS, "whoosh.filedb.filetables"))
    check(missing(BufferFile(b"data"), wi.BUFFER_FILE_ATTRS, "BufferFile"))
    writer = ix.writer()
    try:
        check(missing(writer, wi.SEGMENT_WRITER_ATTRS, "SegmentWriter"))
        codec, storage = writer.codec, writer.storage
        fieldwriter = codec.field_writer(storage, codec.new_segment(storage, ix.indexname))
        fieldwriter.start_field("body", ix.schema["body"])
        check(missing(fieldwriter, wi.W3_FIELD_WRITER_ATTRS, "W3FieldWriter"))
        check(missing(fieldwriter._tindex, wi.HASH_WRITER_ATTRS, "OrderedHashWriter"))
        assert wi.uses_md5_keys(fieldwriter._tindex)
        fieldwriter.finish_field()
        fieldwriter.close()
    finally:
        writer.cancel()
