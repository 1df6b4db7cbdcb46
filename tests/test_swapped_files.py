"""Folders and files that change under a run: an unreadable folder keeps its articles, a file swapped
for a FIFO or a symlink between discovery and reading is a counted skip (never a hang, never the
link's target indexed), and UTF-16 text without a byte-order mark is read."""

from __future__ import annotations

import os
import threading

import pytest

from searchkit.index.build import build_index, update_index
from searchkit.index.generations import IndexStore
from searchkit.ingest.decode import ExtractionError, decode, read_bytes, read_page
from searchkit.ingest.discover import discover
from searchkit.ingest.parallel import process_file
from searchkit.models import SkippedFile, SourceFile
from searchkit.query.searcher import Searcher

NOTE = "A note about giant pandas eating bamboo in the misty mountains of Sichuan.\n"
OTHER = "A second note about red kites circling over the Chiltern hills in spring.\n"


def _corpus(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "top.txt").write_text(OTHER)
    (docs / "sub" / "pandas.txt").write_text(NOTE)
    return docs


def _sources(text: str, store: IndexStore) -> list[str]:
    with Searcher(store) as searcher:
        return [hit.source for hit in searcher.search(text).hits]


def _unreadable(monkeypatch, folder) -> None:
    """Make ``folder`` unreadable in this process, even for root (chmod 000 does not stop root)."""
    real_scandir = os.scandir
    target = os.path.abspath(folder)

    def scandir(path=".", *args, **kwargs):
        if os.path.abspath(os.fspath(path)) == target:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)


# --- 1. an unreadable folder keeps its articles -------------------------------------------------


def _check_kept(report, store) -> None:
    assert report.files_removed == 0
    assert report.articles == 2
    reasons = {s.relpath: s.reason for s in report.skipped}
    assert "docs/sub" in reasons, reasons
    assert reasons["docs/sub"].startswith("cannot read folder: Permission denied")
    assert "its 1 files stay indexed" in reasons["docs/sub"]
    assert _sources("pandas bamboo", store) == ["docs/sub/pandas.txt"]


def test_an_unreadable_folder_keeps_its_articles(tmp_path, monkeypatch):
    docs = _corpus(tmp_path)
    store = IndexStore(tmp_path / "index")
    assert build_index([docs], store, workers=1).articles == 2
    assert _sources("pandas bamboo", store) == ["docs/sub/pandas.txt"]
    _unreadable(monkeypatch, docs / "sub")
    _check_kept(update_index([], store, workers=1), store)
    # still kept on a second run, and back to normal once the folder can be read again
    _check_kept(update_index([], store, workers=1), store)
    monkeypatch.undo()
    report = update_index([], store, workers=1)
    assert report.skipped == [] and report.articles == 2


def test_an_unreadable_root_folder_keeps_its_articles(tmp_path, monkeypatch):
    docs = _corpus(tmp_path)
    store = IndexStore(tmp_path / "index")
    build_index([docs], store, workers=1)
    _unreadable(monkeypatch, docs)
    report = update_index([], store, workers=1)
    assert report.files_removed == 0 and report.articles == 2
    (skip,) = report.skipped
    assert skip.relpath == "docs"
    assert skip.reason.startswith("cannot read folder: Permission denied; its 2 files stay indexed")


def test_a_deleted_file_next_to_an_unreadable_folder_is_still_removed(tmp_path, monkeypatch):
    docs = _corpus(tmp_path)
    store = IndexStore(tmp_path / "index")
    build_index([docs], store, workers=1)
    (docs / "top.txt").unlink()
    _unreadable(monkeypatch, docs / "sub")
    report = update_index([], store, workers=1)
    assert report.files_removed == 1 and report.articles == 1
    assert _sources("pandas bamboo", store) == ["docs/sub/pandas.txt"]


# --- 2. a file swapped between discovery and reading ----------------------------------------------


def _discovered(docs) -> SourceFile:
    (found,) = [s for s in discover([docs]) if isinstance(s, SourceFile) and "pandas" in s.path]
    return found


def _read_with_timeout(source: SourceFile, seconds: float = 10.0):
    """``process_file`` in a thread: a reader that blocks fails the test instead of hanging it."""
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(process_file(source)), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        # unblock the reader (open a FIFO for writing) so the thread can end
        try:
            fd = os.open(source.path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        pytest.fail("reading a swapped-in FIFO hung")
    (result,) = results
    return result


def test_a_file_swapped_for_a_fifo_is_a_skip_not_a_hang(tmp_path):
    docs = _corpus(tmp_path)
    source = _discovered(docs)
    os.unlink(source.path)
    os.mkfifo(source.path)
    result = _read_with_timeout(source)
    assert result.articles == [] and result.record is None
    assert result.skipped == SkippedFile("docs/sub/pandas.txt", "changed while indexing: now a FIFO")


def test_a_file_swapped_for_a_symlink_outside_is_a_skip(tmp_path):
    docs = _corpus(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("The launch codes are tangerine walrus.\n")
    source = _discovered(docs)
    os.unlink(source.path)
    os.symlink(secret, source.path)
    result = _read_with_timeout(source)
    assert result.articles == []
    assert result.skipped == SkippedFile(
        "docs/sub/pandas.txt", "changed while indexing: now a symlink"
    )
    with pytest.raises(ExtractionError, match="now a symlink"):
        read_bytes(source)


def test_a_folder_swapped_for_a_symlink_outside_is_a_skip(tmp_path):
    docs = _corpus(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pandas.txt").write_text("The launch codes are tangerine walrus.\n")
    source = _discovered(docs)
    (docs / "sub" / "pandas.txt").unlink()
    (docs / "sub").rmdir()
    os.symlink(elsewhere, docs / "sub")
    page = read_page(source)
    assert isinstance(page, SkippedFile)
    assert page.reason == "changed while indexing: now outside the indexed folder"


def test_a_file_swapped_for_a_folder_is_a_skip(tmp_path):
    docs = _corpus(tmp_path)
    source = _discovered(docs)
    os.unlink(source.path)
    os.mkdir(source.path)
    assert read_page(source) == SkippedFile(
        "docs/sub/pandas.txt", "changed while indexing: now a folder"
    )


def test_files_swapped_in_a_run_are_counted_skips_and_never_hang(tmp_path, monkeypatch):
    docs = _corpus(tmp_path)
    (docs / "third.txt").write_text(OTHER.replace("kites", "herons"))
    secret = tmp_path / "secret.txt"
    secret.write_text("The launch codes are tangerine walrus.\n")
    link_target = docs / "sub" / "pandas.txt"
    fifo_target = docs / "top.txt"
    import searchkit.index.build as build

    real_discover = build.discover

    def discover_then_swap(*args, **kwargs):
        found = list(real_discover(*args, **kwargs))
        link_target.unlink()
        os.symlink(secret, link_target)
        fifo_target.unlink()
        os.mkfifo(fifo_target)
        yield from found

    monkeypatch.setattr(build, "discover", discover_then_swap)
    store = IndexStore(tmp_path / "index")
    results: list[object] = []
    thread = threading.Thread(
        target=lambda: results.append(build_index([docs], store, workers=1)), daemon=True
    )
    thread.start()
    thread.join(30)
    if thread.is_alive():
        os.close(os.open(fifo_target, os.O_WRONLY | os.O_NONBLOCK))  # let the reader go
        thread.join(30)
        pytest.fail("the run hung on a swapped-in FIFO")
    (report,) = results
    reasons = {s.relpath: s.reason for s in report.skipped}
    assert reasons == {
        "docs/sub/pandas.txt": "changed while indexing: now a symlink",
        "docs/top.txt": "changed while indexing: now a FIFO",
    }
    assert report.articles == 1
    assert _sources("tangerine walrus", store) == []
    assert _sources("herons", store) == ["docs/third.txt"]


# --- 3. UTF-16 without a byte-order mark ----------------------------------------------------------

WIDE = (
    "Regulators ordered app stores to remove forty apps on Tuesday, saying they had collected "
    "personal data without consent. Café owners said payments still worked.\n"
)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_decoded(codec):
    data = WIDE.encode(codec)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    text, encoding = decode(data)
    assert text == WIDE
    assert encoding == codec


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_indexed(tmp_path, codec):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "wide.txt").write_bytes(WIDE.encode(codec))
    store = IndexStore(tmp_path / "index")
    report = build_index([docs], store, workers=1)
    assert (report.articles, report.skipped) == (1, [])
    assert _sources("regulators consent", store) == ["docs/wide.txt"]


def test_binary_with_many_nul_bytes_is_still_binary():
    data = bytes([0, 1, 0, 2, 0, 3, 0, 0x80, 0, 0x90]) * 400
    with pytest.raises(ExtractionError, match="binary"):
        decode(data)
