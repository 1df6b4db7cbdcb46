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
"""

from __future__ import annotations

import os
import tempfile
import zlib
from array import array
from collections.abc import Collection, Iterable
from hashlib import md5
from itertools import repeat
from operator import sub
from pickle import dumps
from typing import Any, NamedTuple

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from searchkit.analysis import (
    PLAIN_TERMS,
    STEMMED_TERMS,
    IndexPlan,
    index_plan,
    index_words,
    term_counts,
    term_positions,
    without_stop_words,
)

_COMPRESSION = 3  # Whoosh's W3 codec default (zlib level)
# A small window and memory level: zlib's default state (256 KiB) costs more to set up than a
# block takes to compress; any zlib reader decompresses the result.
_WBITS, _MEMLEVEL = 12, 4
_COMPRESS_FROM = 96  # bytes of pickled block; smaller blocks only grow when compressed


class FieldPostings(NamedTuple):
    """One document's postings in one field: what Whoosh's ``field.index(value)`` yields.

    Whoosh's weight of a posting is its frequency times the field's boost (every format of
    Whoosh's, with the token boosts of 1 our analyzers give), so frequencies are kept instead:
    whole numbers travel and pack cheaper than floats.
    """

    # the distinct terms: a list, or joined by newlines (which no word holds) so that they cross
    # from a reader process to this one as one string rather than hundreds
    terms: list[bytes] | bytes
    freqs: array  # array("I"): the frequency of each term
    # the format's encoded value per term (None: the format has none, or it is the frequency)
    values: list[bytes] | None
    length: int  # the field length BM25 sees (sum of frequencies) for scorable fields, else 0


DocPostings = dict[str, FieldPostings]


class _TextPlan(NamedTuple):
    plan: IndexPlan
    positions: bool  # Positions format (else Frequency)
    scorable: bool


class Analyser:
    """A schema's indexed fields -> ``FieldPostings``, exactly as Whoosh's ``field.index()``.

    Text fields analysed by ``searchkit.analysis``'s analyzers (with the Positions or Frequency
    format, field boost 1) take the fast path; any other indexed field goes through Whoosh.
    ``composed`` names fields whose value is the other fields' values joined by newlines (the
    ``exact`` field: title, summary, body): their words are reused rather than found again.
    """

    def __init__(self, schema, composed: dict[str, tuple[str, ...]] | None = None) -> None:
        self.schema = schema
        self.composed = composed or {}
        self._text: dict[str, _TextPlan] = {}
        for name, field in schema.items():
            if not field.indexed or field.format is None:
                continue
            fmt = field.format
            if type(fmt) not in (Positions, Frequency) or fmt.field_boost != 1.0:
                continue
            plan = index_plan(field.analyzer)
            if plan is not None and not field.separate_spelling() and not field.vector:
                self._text[name] = _TextPlan(plan, type(fmt) is Positions, bool(field.scorable))
        self._generic_cache: dict[tuple[str, Any], FieldPostings] = {}

    def __call__(self, fields: dict[str, Any], names: Iterable[str] | None = None) -> DocPostings:
        """The postings of the indexed fields of one document (of ``names`` only, if given)."""
        out: DocPostings = {}
        words: dict[str, list[str]] = {}  # field -> its words (for composed fields)
        wanted = fields if names is None else [n for n in names if n in fields]
        for name in wanted:
            value = fields[name]
            if value is None or name.startswith("_"):
                continue
            field = self.schema[name]
            if not field.indexed:
                continue
            text = self._text.get(name)
            if text is None:
                out[name] = self._generic(name, field, value)
                continue
            if not isinstance(value, str):
                raise ValueError(f"{value!r} is not a string (field {name!r})")
            parts = self.composed.get(name)
            found = None
            if parts is not None and value == "\n".join(fields.get(p) or "" for p in parts):
                # A newline always ends a word, so the joined value's words are the parts' words.
                found = []
                for part in parts:
                    found.extend(self._words(part, fields.get(part) or "", text.plan, words))
            if found is None:
                found = self._words(name, value, text.plan, words)
            out[name] = self._postings(found, text)
        return out

    def _words(self, name: str, value: str, plan: IndexPlan, cache: dict[str, list[str]]):
        key = f"{name}/{plan.min_word}"
        if key not in cache:
            cache[key] = index_words(value, plan.min_word)
        return cache[key]

    @staticmethod
    def _postings(words: list[str], text: _TextPlan) -> FieldPostings:
        kept, first = without_stop_words(words)
        table = STEMMED_TERMS if text.plan.stemmed else PLAIN_TERMS
        terms = list(map(table.__getitem__, kept))
        length = len(terms) if text.scorable else 0
        if text.positions:
            unique, freqs, values = term_positions(terms, first)
            return FieldPostings(b"\n".join(unique), array("I", freqs), values, length)
        # Frequency: the value is the frequency itself, which the builder encodes from ``freqs``
        unique, freqs = term_counts(terms)
        return FieldPostings(b"\n".join(unique), array("I", freqs), None, length)

    def _generic(self, name: str, field, value: Any) -> FieldPostings:
        try:
            key = (name, value)
            cached = self._generic_cache.get(key)
        except TypeError:  # an unhashable value
            key, cached = None, None
        if cached is not None:
            return cached
        terms, freqs, values = [], array("I"), []
        length = 0
        boost = field.format.field_boost
        for btext, freq, weight, vbytes in field.index(value):
            if weight != freq * boost:
                raise ValueError(f"field {name!r}: weight {weight} is not frequency x boost")
            terms.append(btext)
            freqs.append(freq)
            values.append(vbytes)
            if field.scorable:
                length += freq
        fixed = field.format.fixed_value_size()
        postings = FieldPostings(terms, freqs, None if fixed == 0 else values, length)
        if key is not None and not field.unique:
            if len(self._generic_cache) > 50_000:
                self._generic_cache.clear()
            self._generic_cache[key] = postings
        return postings


class _TermIds(dict):
    """A field's terms -> small ints, in order of first appearance (``terms[i]`` is term i)."""

    def __init__(self) -> None:
        super().__init__()
        self.terms: list[bytes] = []

    def __missing__(self, term: bytes) -> int:
        tid = self[term] = len(self.terms)
        self.terms.append(term)
        return tid


class _Field:
    """The postings of one field: collected column-wise, sorted by term when flushed."""

    def __init__(self, name: str, fieldobj) -> None:
        self.name = name
        fixed = fieldobj.format.fixed_value_size()
        self.fixed = -1 if fixed is None else fixed  # -1: variable-size values, 0: no values
        # Whoosh's Frequency format stores each posting's frequency as its value: made from the
        # frequencies when the field is flushed, not collected.
        self.from_freqs = type(fieldobj.format) is Frequency
        self.scorable = bool(fieldobj.scorable)
        self.boost = float(fieldobj.format.field_boost)
        self.term_ids = _TermIds()
        self.lengths = array("I")  # per document (0: no length)
        # Postings added since the last flush, in the order added: term ids and frequencies, and
        # the documents as runs (document, how many postings).
        self.tids = array("I")
        self.freqs = array("I")
        self.run_docs = array("I")
        self.run_sizes = array("I")
        self.values: list[bytes] | bytearray | None = self._no_values()
        # Postings of unfinished blocks, kept from one flush to the next (sorted by term, doc).
        self.carry: tuple | None = None
        # Terms with finished blocks: term id -> [weight, df, min len, max len, max weight,
        # first id, last id, [(offset, size) of each block in the temporary file]].
        self.done: dict[int, list] = {}
        self.flushed_upto = -1  # no posting at or before this document may be added any more
        self.positions = 0  # word positions held by the values (fields that keep positions)

    def _no_values(self) -> list[bytes] | bytearray | None:
        if self.from_freqs:
            return None
        return [] if self.fixed < 0 else bytearray() if self.fixed else None

    def posting_count(self) -> int:
        carried = 0 if self.carry is None else len(self.carry[0])
        return len(self.tids) + carried


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
        if field.values is not None:
            if field.fixed < 0:
                field.values.extend(postings.values)
            else:
                field.values += b"".join(postings.values)
        if len(field.tids) >= self.FLUSH_POSTINGS:
            self._flush(field, final=False)

    def _flush(self, field: _Field, *, final: bool):
        """Sort what was collected by term; write every full block to the temporary file.

        Returns, when ``final``, the remaining postings (sorted) and where each term's start.
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
        lengths = field.lengths.tolist()
        if final:
            return tids, docs, weights, values, starts, counts, lengths
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
        return None

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
            perdoc.add_field(name, field, value if field.stored else None, length)
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
        work = {f.name: _encoding_work(f) for f in fields}
        # This process also completes the documents meanwhile.
        total = sum(work.values()) + _COMPLETE_WORK * (len(self._indexed) - self._completed)
        if total < _SPLIT_FROM:
            return
        theirs: list[_Field] = []
        taken = 0.0
        for field in sorted(fields, key=lambda f: -work[f.name]):
            # up to half: the helper's share costs it more than estimated (it competes with this
            # process for memory bandwidth and copies the pages it touches), and this process
            # has the terms file to write at the end, so the estimate errs on the helper's side
            if field.name in pending or taken + work[field.name] > total / 2:
                continue
            theirs.append(field)
            taken += work[field.name]
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
        postfile = writer._postfile
        own = [n for n, f in self._fields.items() if f.term_ids.terms]
        names = sorted([*own, *self._handed_over])
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
        tindex = writer._tindex
        for name in names:
            writer.start_field(name, self.schema[name])
            _add_terms(tindex, pack_ushort(writer._fieldid), encoded.pop(name))
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

    def __init__(self, file) -> None:
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


def _encode_field(field: _Field, builder: SegmentBuilder, out: _PostingsOut) -> _EncodedField:
    """Write every posting list of ``field`` to ``out``, term by term in byte order."""
    import numpy as np

    terms = field.term_ids.terms
    tids, docs, weights, values, starts, counts, lengths = builder._flush(field, final=True)
    group_of = np.full(len(terms), -1, dtype=np.int64)
    group_of[tids[starts]] = np.arange(len(starts))
    group_of = group_of.tolist()
    starts, counts = starts.tolist(), counts.tolist()
    docs, weights, values = docs.tolist(), weights.tolist(), _value_list(field, values)
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
    from whoosh.filedb.filetables import _lengths, md5_hash

    if tindex.hashfn is not md5_hash:
        raise ValueError("the terms file does not use Whoosh's MD5 key hash")
    dbfile = tindex.dbfile
    pos = dbfile.tell()
    lastkey = tindex.lastkey
    index_append = tindex.index.append
    buckets = tindex.buckets
    pack_lengths = _lengths.pack
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


_SPLIT_FROM = 250_000  # work (see _encoding_work) below which one process writes every field


# Work, in about microseconds (measured on the 10k bench corpus, one process): writing a term's
# posting list 4.5, a posting 0.8, a word position 0.3; completing a document (stored fields,
# columns, lengths) 150. Tried on the same corpus: counting the terms file and 185 per document
# gave the helper the two largest fields and left this process waiting 1.9 s (455/s vs 470/s).
_TERM_WORK, _POSTING_WORK, _POSITION_WORK, _COMPLETE_WORK = 4.5, 0.8, 0.3, 150.0


def _encoding_work(field: _Field) -> float:
    return (
        _TERM_WORK * len(field.term_ids.terms)
        + _POSTING_WORK * field.posting_count()
        + _POSITION_WORK * field.positions
    )


def _split_fields(fields: list[_Field], processes: int) -> tuple[list[_Field], list[_Field]]:
    """Fields for this process and for a helper, about equal work each (one list if no helper)."""
    work = {f.name: _encoding_work(f) for f in fields}
    if processes < 2 or not hasattr(os, "fork") or sum(work.values()) < _SPLIT_FROM:
        return fields, []
    mine: list[_Field] = []
    theirs: list[_Field] = []
    for field in sorted(fields, key=lambda f: -work[f.name]):
        side = (
            mine if sum(work[f.name] for f in mine) <= sum(work[f.name] for f in theirs) else theirs
        )
        side.append(field)
    return mine, theirs


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` dies (Linux).

    The helper inherits the index lock (an flock on a file descriptor both processes share): if
    the indexing run is killed and the helper lives on, the lock lives on with it, and the next
    run finds the index locked by a dead run.
    """
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


class _Child:
    """A forked process encoding some fields' posting lists into temporary files."""

    def __init__(self, pid: int, postings, table) -> None:
        self.pid = pid
        self.postings = postings
        self.table = table

    @classmethod
    def start(cls, builder: SegmentBuilder, fields: list[_Field]) -> _Child:
        import pickle
        import sys
        import traceback

        postings = tempfile.TemporaryFile(dir=builder.tempdir)  # noqa: SIM115
        table = tempfile.TemporaryFile(dir=builder.tempdir)  # noqa: SIM115
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: encode, write, and leave without running any clean-up
            code = 1
            try:
                _die_with(parent)
                out = _PostingsOut(postings)
                encoded = [_encode_field(f, builder, out) for f in fields]
                out.close()
                postings.flush()
                pickle.dump(encoded, table, protocol=pickle.HIGHEST_PROTOCOL)
                table.flush()
                code = 0
            except BaseException:
                traceback.print_exc(file=sys.stderr)
                sys.stderr.flush()
            finally:
                os._exit(code)
        for field in fields:  # the child has them now
            del builder._fields[field.name]
        return cls(pid, postings, table)

    def collect(self, postfile) -> dict[str, _EncodedField]:
        """Wait for the child; append its postings to ``postfile``; its fields' term tables."""
        import pickle
        import shutil

        _, status = os.waitpid(self.pid, 0)
        try:
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(f"the process writing posting lists failed (status {status})")
            base = postfile.tell()
            self.postings.seek(0)
            shutil.copyfileobj(self.postings, postfile, 1 << 22)
            self.table.seek(0)
            encoded: list[_EncodedField] = pickle.load(self.table)
        finally:
            self.postings.close()
            self.table.close()
        # The child's offsets count from the start of its own file.
        return {field.name: field._replace(base=base + field.base) for field in encoded}

    def kill(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        self.postings.close()
        self.table.close()


def _value_list(field: _Field, values):
    """The values of sorted postings as a list (variable size) or one bytes string (fixed)."""
    if values is None:
        return None
    return values.tobytes() if field.fixed > 0 else values.tolist()


def _value_array(field: _Field, values):
    """A flush's values as a NumPy array that can be reordered (objects, or fixed-size records)."""
    import numpy as np

    if field.fixed < 0:  # (np.array would read each bytes value as a sequence of numbers)
        return np.fromiter(values, dtype=object, count=len(values))
    if field.fixed:
        return np.frombuffer(bytes(values), dtype=f"V{field.fixed}")
    return None


class _Block(NamedTuple):
    """A block's encoded bytes (info + data) and its statistics for the term's info."""

    data: bytes
    count: int
    first: int
    last: int
    total_weight: float
    min_len: int | None
    max_len: int
    max_w: float

    def stats(self) -> list:
        return [
            self.total_weight,
            self.count,
            self.min_len,
            self.max_len,
            self.max_w,
            self.first,
            self.last,
        ]


def _merge_stats(stats: list, block: _Block) -> None:
    """``W3TermInfo.add_block``, on the list ``_Block.stats`` makes."""
    stats[0] += block.total_weight
    stats[1] += block.count
    if stats[2] is None:
        stats[2] = block.min_len
    elif block.min_len is not None:
        stats[2] = min(stats[2], block.min_len)
    stats[3] = max(stats[3], block.max_len)
    stats[4] = max(stats[4], block.max_w)
    stats[6] = block.last


_TERMINFO = W3TermInfo._struct


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
    if first_weight == 1.0 and weights.count(1.0) == count:
        mini_weights = None
    elif weights.count(first_weight) == count:
        mini_weights = first_weight
    else:
        mini_weights = tuple(weights)
    mini_values = tuple(values) if field.fixed < 0 else values  # bytes, or None
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
        segments = writer._merge_segments(None, None, None)
        if writer._added:  # the merge policy merged small segments into the writer's own
            segments.append(writer._finalize_segment())
        else:
            writer._close_segment()
        if segment is not None:
            segments.append(segment)
        writer._commit_toc(segments)
    except BaseException:
        writer.cancel()
        raise
    writer._finish()
    return deleted
