"""Commit: the segment's open files, and adding a finished segment to an index.

In: a Whoosh codec, storage and new segment (``_SegmentFiles``, which ``SegmentBuilder`` writes
through Whoosh's own per-document and field writers); for ``commit_segment``, an open Whoosh
index, the finished segment and the (field, term) pairs whose documents to delete.
Out: the index's new table of contents listing the segment (after Whoosh's merge policy has run),
and how many documents were deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from searchkit import whoosh_internals


class _SegmentFiles:
    """The open files of the segment being written (Whoosh's own codec writers)."""

    def __init__(self, codec, storage, segment) -> None:
        self.codec = codec
        self.storage = storage
        self.segment = segment
        self.perdoc = codec.per_document_writer(storage, segment)
        self.fieldwriter = codec.field_writer(storage, segment)

    def close_quietly(self) -> None:
        for closer in (self.perdoc, self.fieldwriter):
            try:
                if not closer.is_closed:
                    closer.close()
            except Exception:  # cancelling: the files are thrown away anyway
                pass


def commit_segment(ix, segment, delete: Iterable[tuple[str, str]] = ()) -> int:
    """Add ``segment`` to index ``ix`` in one commit, deleting the documents matching the given
    (field, term) pairs and merging small segments as Whoosh's own commit does. Returns how many
    documents were deleted."""
    writer = ix.writer()
    try:
        deleted = 0
        with writer.searcher() as searcher:
            for fieldname, text in delete:
                deleted += writer.delete_by_term(fieldname, text, searcher=searcher)
        # SegmentWriter.commit, with our segment added to the list it writes to the TOC.
        whoosh_internals.commit_toc_with(writer, segment)
    except BaseException:
        writer.cancel()
        raise
    whoosh_internals.finish_commit(writer)
    return deleted
