"""Folders and files that change under a run: an unreadable folder keeps its articles, a file swapped
for a FIFO or a symlink between discovery and reading is a counted skip (never a hang, never the
link's target indexed), and UTF-16 text without a byte-order mark is read."""

from __future__ import annotations

import os

import pytest

from searchkit.index.build import build_index, update_index
from searchkit.index.generations import IndexStore
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


def test_a_chmod_000_folder_keeps_its_articles(tmp_path):
    docs = _corpus(tmp_path)
    store = IndexStore(tmp_path / "index")
    build_index([docs], store, workers=1)
    (docs / "sub").chmod(0)
    try:
        if os.access(docs / "sub", os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reading (see the in-process test)")
        _check_kept(update_index([], store, workers=1), store)
    finally:
        (docs / "sub").chmod(0o755)


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
