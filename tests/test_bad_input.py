"""Bad input: a counted skip with its reason, never a traceback, and nothing already indexed lost."""

from __future__ import annotations

import json

import pytest

from searchkit.cli import app, search_app
from searchkit.index import build as indexing
from searchkit.index.build import NothingToIndex, build_index
from searchkit.index.generations import IndexBusy, IndexStore
from searchkit.query.searcher import Searcher
from tests.conftest import SEEDS

BAD_FILES = {
    "empty.txt": (b"", "empty file"),
    "blank.txt": (b"  \n\n \t\n", "empty file"),
    "binary.txt": (bytes(range(256)) * 4, "binary file (not text)"),
    "chrome.txt": (b"Advertisement\n\nLeave a Reply\n\nFacebook\n", "no article text found"),
    "photo.jpg": (b"\xff\xd8\xff\xe0 not really a jpeg", "unsupported file type (.jpg)"),
}


@pytest.fixture()
def corpus_with_bad_files(corpus_dir):
    for name, (data, _) in BAD_FILES.items():
        (corpus_dir / name).write_bytes(data)
    return corpus_dir


def test_bad_files_are_counted_skips_with_reasons(corpus_with_bad_files, tmp_path):
    store = IndexStore(tmp_path / "index")
    report = build_index([corpus_with_bad_files], store)
    skipped = {s.relpath.split("/")[-1]: s.reason for s in report.skipped}
    assert skipped == {name: reason for name, (_, reason) in BAD_FILES.items()}
    # the good files are all there
    assert (report.files, report.articles, report.distinct) == (5, 21, 20)
    with Searcher(store) as searcher:
        stats = searcher.stats()
        assert stats["articles"] == 21
        assert {s["source"].split("/")[-1] for s in stats["skipped"]} == set(BAD_FILES)


def test_index_cli_lists_skips_and_exits_0(runner, corpus_with_bad_files, tmp_path):
    result = runner.invoke(
        app, ["index", str(corpus_with_bad_files), "--index", str(tmp_path / "ix")]
    )
    assert result.exit_code == 0
    assert "Skipped 5 files:" in result.stdout
    assert "corpus/binary.txt: binary file (not text)" in result.stdout
    assert "Traceback" not in result.output


def test_an_empty_run_keeps_the_existing_index(runner, tmp_path):
    store = IndexStore(tmp_path / "index")
    build_index([SEEDS], store)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "binary.txt").write_bytes(b"\x00\x01\x02")
    with pytest.raises(NothingToIndex, match="existing index was left as it was"):
        build_index([empty], store)
    # adding a folder without articles leaves the index as it was, and says why
    added = runner.invoke(app, ["index", str(empty), "--index", str(store.path)])
    assert added.exit_code == 0
    assert "Articles: 0 added, 0 updated, 0 removed." in added.stdout
    assert "empty/binary.txt: binary file (not text)" in added.stdout
    # starting over from it would empty the index: refused
    result = runner.invoke(app, ["index", "--rebuild", str(empty), "--index", str(store.path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("searchkit: error: no articles found in ")
    assert "binary.txt: binary file (not text)" in result.stderr
    with Searcher(store) as searcher:
        assert searcher.stats()["articles"] == 21


def test_missing_path_is_reported(runner, tmp_path):
    result = runner.invoke(app, ["index", str(tmp_path / "nope"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "no such file or directory" in result.stderr


def test_a_build_that_fails_midway_leaves_the_previous_index_searchable(tmp_path, monkeypatch):
    store = IndexStore(tmp_path / "index")
    build_index([SEEDS], store)
    live = store.current()

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(indexing, "article_document", explode)
    with pytest.raises(RuntimeError):
        build_index([SEEDS], store)
    assert store.current() == live
    with Searcher(store) as searcher:
        assert searcher.search("social credit blacklist").all_words == 2
    monkeypatch.undo()
    # the next run cleans up the unpublished generation and publishes a new one
    build_index([SEEDS], store)
    assert store.current() != live
    assert sorted(p.name for p in store.path.glob("gen-*")) == [live.name, store.current().name]


def test_a_second_writer_is_told_one_is_running(tmp_path):
    store = IndexStore(tmp_path / "index")
    build_index([SEEDS], store)
    with store.writing(), pytest.raises(IndexBusy, match=r"another indexing run .* is writing"):
        build_index([SEEDS], store, wait=False)


def test_index_folder_with_foreign_files_is_refused(tmp_path):
    folder = tmp_path / "mydocs"
    folder.mkdir()
    (folder / "thesis.docx").write_text("precious")
    with pytest.raises(Exception, match="holds other files"):
        build_index([SEEDS], IndexStore(folder))
    assert (folder / "thesis.docx").read_text() == "precious"


def test_unparsable_query_json_mode_still_one_line(runner, seed_store, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_INDEX", str(seed_store.path))
    result = runner.invoke(search_app, ['"open sesame', "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == 'searchkit: error: unbalanced quote (") in query\n'


def test_json_output_keeps_unicode_readable(runner, seed_store, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_INDEX", str(seed_store.path))
    data = json.loads(runner.invoke(search_app, ["芝麻信用", "--json"]).stdout)
    assert data["query"] == "芝麻信用"  # written as UTF-8, not \\u escapes lost on the way
