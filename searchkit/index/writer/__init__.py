"""Stage 5 (write) — documents -> one Whoosh segment, without Whoosh's per-posting Python path.

In: documents as Whoosh field dicts (``documents.article_document`` and friends), their indexed
fields analysed by ``Analyser`` — in the reader processes, for articles — into ``FieldPostings``.
Out: a finished segment, the same files Whoosh's own writer makes (terms, postings in blocks of
128, stored fields, columns, field lengths), which ``commit_segment`` adds to an index. Whoosh and
``searchkit.query.postings`` read it as they read any segment; tests/test_fastwriter.py checks that it
holds exactly what Whoosh's ``SegmentWriter`` writes for the same documents.

Why not Whoosh's writer: it runs every token through a chain of generators, puts every posting
into a pool as a tuple that it sorts at commit, and reads each posting's document length back from
disk while writing it — most of what indexing an article cost (docs/benchmarks.md). Here analysis
is list work (``searchkit.analysis``) done in the reader processes; postings are collected column
by column (term ids, documents, frequencies, values in flat arrays) and sorted by term with NumPy
every ``FLUSH_POSTINGS`` postings of a field, when every full block of 128 postings is encoded and
parked in a temporary file (memory holds only unfinished blocks); at the end each term's postings
are written in one pass over the sorted terms, about half of the fields by a forked helper process.

Documents are added in two steps, so that postings can be collected while files are still being
read and the duplicate clusters (which some fields depend on) are not known yet:
``add_postings`` (any fields, in document order) and ``complete`` (the rest of each document's
fields, its stored values and columns, again in document order).

The modules, bottom up: ``collect`` (analysis into postings, and each field's columns of them),
``encode`` (Whoosh's W3 posting blocks, posting lists and term entries), ``helper`` (the forked
process writing some fields' posting lists), ``commit`` (the segment's files, adding the segment
to an index), ``builder`` (``SegmentBuilder``, on top of them all). This package re-exports what
other modules and the tests use; patch a module-level name in the module that defines it.
"""

from searchkit.index.writer.builder import SegmentBuilder
from searchkit.index.writer.collect import (
    Analyser,
    DocPostings,
    FieldPostings,
    _Field,
    _TermIds,
    _TextPlan,
)
from searchkit.index.writer.commit import _SegmentFiles, commit_segment
from searchkit.index.writer.encode import (
    _add_terms,
    _Block,
    _encode_block,
    _encode_field,
    _EncodedField,
    _length_byte,
    _merge_stats,
    _PostingsOut,
    _quantised,
    _sort_postings,
    _terminfo_head,
    _value_array,
    _value_list,
)
from searchkit.index.writer.helper import (
    _SPLIT_FROM,
    _Child,
    _encoding_work,
    _fields_for_helper,
    _split_fields,
)

__all__ = [
    "_SPLIT_FROM",
    "Analyser",
    "DocPostings",
    "FieldPostings",
    "SegmentBuilder",
    "_Block",
    "_Child",
    "_EncodedField",
    "_Field",
    "_PostingsOut",
    "_SegmentFiles",
    "_TermIds",
    "_TextPlan",
    "_add_terms",
    "_encode_block",
    "_encode_field",
    "_encoding_work",
    "_fields_for_helper",
    "_length_byte",
    "_merge_stats",
    "_quantised",
    "_sort_postings",
    "_split_fields",
    "_terminfo_head",
    "_value_array",
    "_value_list",
    "commit_segment",
]
