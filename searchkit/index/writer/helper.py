"""The helper process: some fields' posting lists written by a forked child, in parallel.

In: the builder's fields with collected postings (``collect._Field``), and how many processes
may work. ``_split_fields`` / ``_fields_for_helper`` pick the fields for the helper from an
estimate of the work each takes (``_encoding_work``); ``_Child.start`` forks a child that encodes
them (``encode._encode_field``) into a temporary postings file, and pickles their term tables
(``_EncodedField``) into another.
Out: ``_Child.collect`` waits for the child, appends its postings to the segment's postings file
and returns its fields' term tables, offsets moved to where they now are. The child is forked,
not spawned: it works on the fields as they are in memory, and reads the builder's parked blocks
through the file descriptor both share; ``forked.die_with`` makes it die with the parent.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from typing import IO, BinaryIO, Protocol

from searchkit.forked import die_with
from searchkit.index.writer.collect import _Field
from searchkit.index.writer.encode import _encode_field, _EncodedField, _PostingsOut


class _Builder(Protocol):
    """What the helper needs of ``SegmentBuilder``: where its temporary files go, the fields it
    still holds (the helper's are taken out), and what ``_encode_field`` reads of it."""

    tempdir: str | None
    blocklimit: int
    _fields: dict[str, _Field]

    def read_spill(self, offset: int, size: int) -> bytes: ...


# A child that fails with an OSError exits with this plus its errno (below 100), printing nothing:
# the parent raises the OSError again, so a full disk is one line rather than the child's traceback.
_OSERROR_EXIT = 100
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


def _fields_for_helper(
    fields: list[_Field], pending: Collection[str], completing: int
) -> list[_Field]:
    """The fields to hand to a helper while ``completing`` documents are still to be completed
    here: the costliest ones not in ``pending``, up to about half of all the work left (none if
    there is too little work to be worth a process)."""
    work = {f.name: _encoding_work(f) for f in fields}
    # This process also completes the documents meanwhile.
    total = sum(work.values()) + _COMPLETE_WORK * completing
    if total < _SPLIT_FROM:
        return []
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
    return theirs


class _Child:
    """A forked process encoding some fields' posting lists into temporary files."""

    def __init__(self, pid: int, postings: IO[bytes], table: IO[bytes]) -> None:
        self.pid = pid
        self.postings = postings
        self.table = table

    @classmethod
    def start(cls, builder: _Builder, fields: list[_Field]) -> _Child:
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
                die_with(parent)
                out = _PostingsOut(postings)
                encoded = [_encode_field(f, builder, out) for f in fields]
                out.close()
                postings.flush()
                pickle.dump(encoded, table, protocol=pickle.HIGHEST_PROTOCOL)
                table.flush()
                code = 0
            except OSError as exc:  # a full disk, say: the parent reports it, in one line
                code = _OSERROR_EXIT + exc.errno if exc.errno and exc.errno < 100 else 1
                if code == 1:
                    traceback.print_exc(file=sys.stderr)
                    sys.stderr.flush()
            except BaseException:
                traceback.print_exc(file=sys.stderr)
                sys.stderr.flush()
            finally:
                os._exit(code)
        for field in fields:  # the child has them now
            del builder._fields[field.name]
        return cls(pid, postings, table)

    def collect(self, postfile: BinaryIO) -> dict[str, _EncodedField]:
        """Wait for the child; append its postings to ``postfile``; its fields' term tables."""
        import pickle
        import shutil

        _, status = os.waitpid(self.pid, 0)
        try:
            code = os.waitstatus_to_exitcode(status)
            if _OSERROR_EXIT < code < _OSERROR_EXIT + 100:  # the child's OSError, by errno
                number = code - _OSERROR_EXIT
                raise OSError(number, os.strerror(number))
            if code != 0:
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
