"""Collecting postings: documents' indexed fields -> per-field columns of postings.

In: a document's field dict (``searchkit.index.documents``), analysed by ``Analyser`` — in the
reader processes, for articles — into ``FieldPostings`` per field (``DocPostings``).
Out: ``_Field``, one per field of the segment being built: its terms numbered in order of first
appearance (``_TermIds``), its postings since the last flush in flat arrays (term ids, documents as
runs, frequencies, values), the field length of each document, and what earlier flushes left:
unfinished blocks (``carry``) and the finished ones parked in the builder's temporary file
(``done``). ``encode`` sorts and encodes them; nothing here knows Whoosh's file format.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from whoosh.formats import Frequency, Positions

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

    def __init__(self, schema, composed: Mapping[str, tuple[str, ...]] | None = None) -> None:
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
