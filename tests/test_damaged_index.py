"""A damaged index folder (issue 15's red-team findings on the store): one clear line, never a
traceback or another folder's index, and ``searchkit index --rebuild`` always works.

Each test damages a copy of the session's seed index (``seed_store``), as a disk fault, a killed
run or a hand edit would.
"""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from searchkit.cli import app
from searchkit.index import generations
from searchkit.index.generations import CHECKSUMS_FILE, IndexStore

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DAMAGED = "is damaged ("
REBUILD_HINT = "run `searchkit index --rebuild`"


@pytest.fixture()
def index_copy(seed_store: IndexStore, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(seed_store.path, target)
    return target


def _segment(index: Path) -> Path:
    (seg,) = (index / (index / "CURRENT").read_text().strip()).glob("*.seg")
    return seg


def _an_article_id(runner, index: Path) -> str:
    found = runner.invoke(app, ["search", "credit", "--json", "--index", str(index)])
    assert found.exit_code == 0, found.output
    return json.loads(found.output)["hits"][0]["id"]


def _assert_damage_line(result, index: Path) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"searchkit: error: the index at {index} {DAMAGED}"), lines[0]
    assert lines[0].endswith(REBUILD_HINT), lines[0]
    assert "Traceback" not in result.output


def _assert_rebuild_works(runner, index: Path) -> None:
    rebuilt = runner.invoke(app, ["index", "--rebuild", str(SEEDS), "--index", str(index), "-q"])
    assert rebuilt.exit_code == 0, rebuilt.output
    found = runner.invoke(app, ["search", "social credit blacklist", "--index", str(index)])
    assert found.exit_code == 0, found.output
    assert "2 articles contain all the words" in found.output


def test_a_pointer_out_of_the_index_folder_is_refused(runner, index_copy, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(index_copy, other)  # another folder's index, which must not be served
    (index_copy / "CURRENT").write_text("gen-000001/../../other/gen-000001\n")
    result = runner.invoke(app, ["stats", "--index", str(index_copy)])
    _assert_damage_line(result, index_copy)
    assert "not a generation name" in result.output
    _assert_rebuild_works(runner, index_copy)


def test_a_pointer_to_a_generation_that_is_gone_is_damage(runner, index_copy):
    (index_copy / "CURRENT").write_text("gen-000042\n")
    _assert_damage_line(runner.invoke(app, ["stats", "--index", str(index_copy)]), index_copy)


@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00garbage", b"", b"gen-1\n", b"../gen-000001"])
def test_garbage_in_current_is_one_line_and_rebuild_works(runner, index_copy, garbage):
    (index_copy / "CURRENT").write_bytes(garbage)
    for command in (["stats"], ["search", "credit"], ["index"]):
        result = runner.invoke(app, [*command, "--index", str(index_copy)])
        _assert_damage_line(result, index_copy)
    _assert_rebuild_works(runner, index_copy)


@pytest.mark.parametrize(
    "meta",
    ["[1, 2]", '"text"', "{", '{"schema_version": "3"}', '{"roots": 3}',
     '{"options": "x"}', '{"root_labels": [7]}'],
)
def test_a_wrongly_shaped_searchkit_json_is_damage_and_rebuild_works(runner, index_copy, meta):
    gen = index_copy / (index_copy / "CURRENT").read_text().strip()
    (gen / "searchkit.json").write_text(meta)
    result = runner.invoke(app, ["stats", "--index", str(index_copy)])
    _assert_damage_line(result, index_copy)
    assert "searchkit.json" in result.output
    _assert_rebuild_works(runner, index_copy)


def _truncate(seg: Path) -> None:
    with open(seg, "r+b") as fh:
        fh.truncate(seg.stat().st_size // 2)


def _flip_bits(seg: Path) -> None:
    data = bytearray(seg.read_bytes())
    for i in range(0, len(data), 4000):
        data[i] ^= 0xFF
    seg.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _flip_bits], ids=["truncated", "bit-flipped"])
@pytest.mark.parametrize("checksums", [True, False], ids=["checksums", "whoosh-errors"])
def test_a_damaged_segment_is_one_line_for_every_reader(runner, index_copy, damage, checksums):
    article_id = _an_article_id(runner, index_copy)
    gen = _segment(index_copy).parent
    if checksums:
        assert (gen / CHECKSUMS_FILE).is_file()
    else:  # an index from before checksums: what Whoosh raises is mapped to the same line
        (gen / CHECKSUMS_FILE).unlink()
    damage(_segment(index_copy))
    for command in (["search", "credit"], ["stats"], ["show", article_id]):
        result = runner.invoke(app, [*command, "--index", str(index_copy)])
        _assert_damage_line(result, index_copy)
        if checksums:
            assert ".seg" in result.output  # the checksum check names the file
    _assert_rebuild_works(runner, index_copy)


def test_the_checksum_manifest_covers_the_segment_and_reuses_linked_hashes(
    runner, index_copy, corpus_dir
):
    rebuilt = runner.invoke(app, ["index", "--rebuild", str(corpus_dir), "--index", str(index_copy)])
    assert rebuilt.exit_code == 0, rebuilt.output
    (corpus_dir / "new.txt").write_text("A new article about credit scores. " * 40)
    again = runner.invoke(app, ["index", "--index", str(index_copy), "-q"])
    assert again.exit_code == 0, again.output
    gen = IndexStore(index_copy).current()
    assert gen is not None
    table = json.loads((gen / CHECKSUMS_FILE).read_text())["sha256"]
    assert {p.name for p in gen.iterdir() if p.suffix in (".seg", ".toc")} <= set(table)
    assert generations.verify_checksums(gen) is None


def test_web_answers_503_with_the_json_error_for_a_damaged_index(index_copy):
    from searchkit.web.app import create_app

    _truncate(_segment(index_copy))
    with TestClient(create_app(IndexStore(index_copy)), base_url="http://localhost") as client:
        for url in ("/api/search?q=credit", "/healthz"):
            response = client.get(url)
            assert response.status_code == 503, (url, response.text)
            body = response.json()
            assert body["status"] == 503 and DAMAGED in body["error"], body


def test_web_answers_503_when_whoosh_trips_on_the_damage(index_copy):
    from searchkit.web.app import create_app

    seg = _segment(index_copy)
    (seg.parent / CHECKSUMS_FILE).unlink()
    _flip_bits(seg)
    with TestClient(create_app(IndexStore(index_copy)), base_url="http://localhost") as client:
        for url in ("/api/search?q=credit", "/healthz"):
            response = client.get(url)
            assert response.status_code == 503, (url, response.text)
            assert DAMAGED in response.json()["error"]


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["commit", "helper"])
def test_a_full_disk_is_one_line_and_leaves_no_generation(
    runner, index_copy, monkeypatch, capfd, where
):
    before = sorted(p.name for p in index_copy.iterdir())
    current = (index_copy / "CURRENT").read_text()
    if where == "commit":  # the segment's commit, in this process
        from searchkit.index import writer

        monkeypatch.setattr(writer, "commit_segment", _no_space)
    else:  # the forked helper writing posting lists (its traceback used to reach the terminal)
        from searchkit.index.writer import helper

        monkeypatch.setattr(helper, "_SPLIT_FROM", 0)
        monkeypatch.setattr(helper, "_encode_field", _no_space)
    result = runner.invoke(
        app, ["index", "--rebuild", str(SEEDS), "--index", str(index_copy), "--workers", "2"]
    )
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        result.output.strip().splitlines()[0]
    ], result.output
    line = result.output.strip()
    assert line.startswith("searchkit: error: no space left on device writing "), line
    assert line.endswith("; the previous index is unchanged"), line
    assert "Traceback" not in capfd.readouterr().err
    assert sorted(p.name for p in index_copy.iterdir()) == before  # no gen-000002 left
    assert (index_copy / "CURRENT").read_text() == current
    monkeypatch.undo()
    found = runner.invoke(app, ["search", "social credit blacklist", "--index", str(index_copy)])
    assert found.exit_code == 0 and "2 articles contain all the words" in found.output, found.output


def test_a_stale_current_tmp_is_removed_by_the_next_run(runner, index_copy):
    stale = index_copy / ".CURRENT.4242.123456789.tmp"
    stale.write_text("gen-000009\n")
    result = runner.invoke(app, ["index", "--index", str(index_copy), "-q"])
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert not list(index_copy.glob(".CURRENT.*.tmp"))
