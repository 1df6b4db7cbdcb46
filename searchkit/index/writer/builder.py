"""SegmentBuilder: documents' postings in, one finished Whoosh segment out.

In: documents as Whoosh field dicts (``documents.article_document`` and friends), their indexed
fields analysed by ``Analyser`` into ``FieldPostings``: ``add_postings`` (any fields, in document
order) and ``complete`` (the rest of each document's fields, its stored values and columns).
Out: ``finish`` returns the Whoosh segment whose files it wrote (see the package docstring), for
``commit_segment`` to add to the index.

It ties the other modules together: postings are collected per field (``collect``), sorted and
their full blocks encoded every ``FLUSH_POSTINGS`` postings and parked in a temporary file
(``encode``), and at the end about half of the fields' posting lists are written by a forked
helper process (``helper``) while this one writes the rest and the terms file.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Collection
from itertools import repeat
from typing import Any

from whoosh.system import pack_ushort

from searchkit import whoosh_internals
from searchkit.index.writer.collect import Analyser, DocPostings, FieldPostings, _Field
from searchkit.index.writer.commit import _SegmentFiles
from searchkit.index.writer.encode import (
    _add_terms,
    _Block,
    _encode_block,
    _encode_field,
    _EncodedField,
    _merge_stats,
    _PostingsOut,
    _sort_postings,
    _value_list,
)
from searchkit.index.writer.helper import _Child, _fields_for_helper, _split_fields


class SegmentBuilder:
    """Collects documents' postings, then writes one segment (see the module docstring)."""

    FLUSH_POSTINGS = 2_000_000  # per field: sort and finish full blocks every this many postings

    def __init__(self, schema, *, blocklimit: int = 128, tempdir: str | None = None) -> None:
        self.schema = schema
        self.blocklimit = blocklimit
        self._fields: dict[str, _Field] = {}
        self._indexed: list[tuple[str, ...]] = []  # per document: the fields add_postings indexed
        # finished blocks, until the segment is written (unlinked at once: a killed run leaves nothing)
        self.tempdir = tempdir
        self._spill = tempfile.TemporaryFile(dir=tempdir)  # noqa: SIM115
        self._completed = 0
        self._files: _SegmentFiles | None = None
        # A forked helper already writing some fields' posting lists (``start_helper``); the field
        # lengths of those fields stay here, for the documents still to be completed.
        self._helper: _Child | None = None
        self._handed_over: dict[str, array] = {}

    @property
    def doc_count(self) -> int:
        return len(self._indexed)

    # --- collecting -----------------------------------------------------------------------------

    def add_postings(self, postings: DocPostings) -> int:
        """Add one document's postings; returns its document number (0, 1, 2, … in call order)."""
        docnum = len(self._indexed)
        for name, field_postings in postings.items():
            self._add(name, docnum, field_postings)
        self._indexed.append(tuple(postings))
        return docnum

    def _field(self, name: str) -> _Field:
        field = self._fields.get(name)
        if field is None:
            field = self._fields[name] = _Field(name, self.schema[name])
        return field

    def _add(self, name: str, docnum: int, postings: FieldPostings) -> None:
        if name in self._handed_over:
            raise RuntimeError(f"postings of {name!r} added after its list went to the helper")
        field = self._field(name)
        if docnum <= field.flushed_upto:
            raise ValueError(f"postings of {name!r} added out of document order")
        if postings.length:
            lengths = field.lengths
            if len(lengths) <= docnum:
                lengths.extend(repeat(0, docnum + 1 - len(lengths)))
            lengths[docnum] = postings.length
        terms = postings.terms
        if terms.__class__ is bytes:
            terms = terms.split(b"\n") if terms else []
        field.tids.fromlist(list(map(field.term_ids.__getitem__, terms)))
        field.freqs.extend(postings.freqs)
        if field.fixed < 0:  # variable-size values: word positions, one per occurrence
            field.positions += sum(postings.freqs)
        field.run_docs.append(docnum)
        field.run_sizes.append(len(terms))
        values = field.values
        if values is not None:
            if postings.values is None:
                raise ValueError(f"postings of {name!r} came without the values the field keeps")
            if isinstance(values, list):  # variable-size values (field.fixed < 0)
                values.extend(postings.values)
            else:  # fixed-size values, concatenated
                values += b"".join(postings.values)
        if len(field.tids) >= self.FLUSH_POSTINGS:
            self._flush(field)

    def _flush(self, field: _Field) -> None:
        """Sort what was collected by term; write every full block to the temporary file, and
        keep the postings of unfinished blocks (sorted) in the field's carry."""
        import numpy as np

        tids, docs, weights, values, starts, counts, lengths = _sort_postings(field)
        limit = self.blocklimit
        full = counts // limit
        emit = np.flatnonzero(full)
        if len(emit):
            block_docs = docs.tolist()
            block_weights = weights.tolist()
            block_values = _value_list(field, values)
            fixed = max(field.fixed, 0)
            for g in emit.tolist():
                tid = int(tids[starts[g]])
                for b in range(int(full[g])):
                    at = int(starts[g]) + b * limit
                    block = _encode_block(
                        field,
                        block_docs[at : at + limit],
                        block_weights[at : at + limit],
                        None
                        if block_values is None
                        else block_values[at * fixed : (at + limit) * fixed]
                        if fixed
                        else block_values[at : at + limit],
                        lengths,
                    )
                    self._park(field, tid, block)
        in_group = np.arange(len(tids)) - np.repeat(starts, counts)
        keep = in_group >= np.repeat(full * limit, counts)
        field.carry = (
            tids[keep],
            docs[keep],
            weights[keep],
            None if values is None else values[keep],
        )

    def _park(self, field: _Field, tid: int, block: _Block) -> None:
        offset = self._spill.tell()
        self._spill.write(block.data)
        done = field.done.get(tid)
        if done is None:
            field.done[tid] = [*block.stats(), [(offset, len(block.data))]]
        else:
            _merge_stats(done, block)
            done[7].append((offset, len(block.data)))

    # --- completing documents and writing ----------------------------------------------------------

    def open(self, storage, indexname: str = "MAIN") -> None:
        """Start the segment's files in ``storage`` (the index folder); call before ``complete``."""
        from whoosh.codec import default_codec

        codec = default_codec()
        segment = codec.new_segment(storage, indexname)
        self._files = _SegmentFiles(codec, storage, segment)

    def complete(self, docnum: int, fields: dict[str, Any], analyser: Analyser) -> None:
        """Finish document ``docnum`` (in order): index the fields ``add_postings`` did not, and
        write its stored values, lengths and columns, as Whoosh's ``add_document`` would."""
        if self._files is None:
            raise RuntimeError("open() the segment before completing documents")
        if docnum != self._completed:
            raise ValueError(f"document {docnum} completed out of order")
        names = sorted(n for n in fields if not n.startswith("_"))
        for name in names:
            if name not in self.schema:
                from whoosh.fields import UnknownFieldError

                raise UnknownFieldError(f"No field named {name!r} in {self.schema}")
        done = self._indexed[docnum]
        late = analyser(fields, [n for n in names if n not in done])
        for name, field_postings in late.items():
            self._add(name, docnum, field_postings)
        perdoc = self._files.perdoc
        perdoc.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = 0
            if field.indexed and field.scorable:
                lengths = self._field_lengths(name)
                length = lengths[docnum] if docnum < len(lengths) else 0
            # ``_stored_<name>`` stores a value other than the one indexed, as in Whoosh
            stored = fields.get("_stored_" + name, value) if field.stored else None
            perdoc.add_field(name, field, stored, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(name, column, field.to_column_value(value))
        perdoc.finish_doc()
        self._completed += 1

    def _field_lengths(self, name: str):
        field = self._fields.get(name)
        if field is not None:
            return field.lengths
        return self._handed_over.get(name, ())

    def start_helper(self, *, processes: int, pending: Collection[str]) -> None:
        """Hand the posting lists of some fields to a forked helper now, before documents are
        completed, so that it writes them while this process completes the documents.

        ``pending``: the fields ``complete`` may still add postings to (they stay here). The helper
        takes the costliest other fields, up to about half of all the work left (writing every
        posting list and completing the documents); adding postings to them later is an error.
        """
        if self._helper is not None or processes < 2 or not hasattr(os, "fork"):
            return
        fields = [f for n, f in self._fields.items() if f.term_ids.terms]
        theirs = _fields_for_helper(fields, pending, len(self._indexed) - self._completed)
        if not theirs:
            return
        self._spill.flush()  # the helper reads finished blocks back from the spill file
        for field in theirs:
            self._handed_over[field.name] = field.lengths
        self._helper = _Child.start(self, theirs)

    def add_document(self, fields: dict[str, Any], analyser: Analyser) -> int:
        """``add_postings`` + ``complete`` for a document whose fields are all known now."""
        docnum = self.add_postings(analyser(fields))
        self.complete(docnum, fields, analyser)
        return docnum

    def finish(self, *, processes: int = 1):
        """Write the postings and close the segment; returns the Whoosh segment object.

        With ``processes`` > 1 a forked child encodes about half of the fields' posting lists (the
        bulk of this step) while this process encodes the rest.
        """
        if self._files is None:
            raise RuntimeError("open() the segment before finishing it")
        if self._completed != len(self._indexed):
            raise RuntimeError(
                f"{len(self._indexed) - self._completed} documents were never completed"
            )
        files = self._files
        files.perdoc.close()
        self._spill.flush()
        writer = files.fieldwriter
        postfile = whoosh_internals.postings_file(writer)
        own = [n for n, f in self._fields.items() if f.term_ids.terms]
        names = sorted([*own, *self._handed_over])
        theirs: list[_Field]
        if self._helper is not None:  # the helper took its share already
            mine, theirs = [self._fields[n] for n in sorted(own)], []
        else:
            mine, theirs = _split_fields([self._fields[n] for n in sorted(own)], processes)
        encoded: dict[str, _EncodedField] = {}
        try:
            child = _Child.start(self, theirs) if theirs else self._helper
            self._helper = None
            try:
                for field in mine:
                    out = _PostingsOut(postfile)
                    encoded[field.name] = _encode_field(field, self, out)
                    out.close()
                    del self._fields[field.name]
            except BaseException:
                if child is not None:
                    child.kill()
                raise
            if child is not None:
                encoded.update(child.collect(postfile))
        finally:
            self._spill.close()
        # The terms file, in key order: field by field (field ids in name order), term by term.
        tindex = whoosh_internals.terms_table(writer)
        for name in names:
            writer.start_field(name, self.schema[name])
            _add_terms(tindex, pack_ushort(whoosh_internals.field_id(writer)), encoded.pop(name))
            writer.finish_field()
        writer.close()
        segment = files.segment
        segment.set_doc_count(len(self._indexed))
        segment.create_compound_file(files.storage)
        return segment

    def cancel(self) -> None:
        """Drop everything (the segment's files are left for the caller to remove)."""
        if self._helper is not None:
            self._helper.kill()
            self._helper = None
        self._spill.close()
        if self._files is not None:
            self._files.close_quietly()

    def read_spill(self, offset: int, size: int) -> bytes:
        # pread: a forked child reads the same file, so no shared seek position
        return os.pread(self._spill.fileno(), size, offset)
