"""`searchkit index`: the summary people read, the JSON scripts read, options and exit codes."""

from __future__ import annotations

import json

from searchkit.cli import app
from searchkit.index.generations import IndexStore


def test_summary_counts_and_a_quiet_second_run(runner, corpus_dir, tmp_path):
    index = str(tmp_path / "ix")
    first = runner.invoke(app, ["index", str(corpus_dir), "--index", index])
    assert first.exit_code == 0
    assert first.stdout.splitlines()[1] == (
        "Files: 5 found, 5 read, 0 unchanged, 0 removed. Articles: 21 added, 0 updated, 0 removed."
    )
    second = runner.invoke(app, ["index", "--index", index])
    assert second.stdout.startswith(
        "Index up to date: 21 articles (20 distinct, 1 duplicate cluster) from 5 files; checked in "
    )
    assert runner.invoke(app, ["index", "--index", index, "--quiet"]).stdout == ""
    assert "\x1b[" not in first.output  # not a terminal: no progress bar, no colour


def test_json_summary(runner, corpus_dir, tmp_path):
    (corpus_dir / "blank.txt").write_text("   \n")
    result = runner.invoke(
        app, ["index", str(corpus_dir), "--index", str(tmp_path / "ix"), "--json"]
    )
    data = json.loads(result.stdout)
    assert (data["files"], data["articles"], data["distinct_articles"]) == (5, 21, 20)
    assert (data["files_seen"], data["files_read"], data["articles_added"]) == (6, 6, 21)
    assert data["changed"] is True
    assert data["roots"] == [str(corpus_dir)]
    assert data["skipped"] == [{"source": "corpus/blank.txt", "reason": "empty file"}]


def test_strict_makes_skips_exit_3(runner, corpus_dir, tmp_path):
    index = str(tmp_path / "ix")
    clean = runner.invoke(app, ["index", str(corpus_dir), "--index", index, "--strict"])
    assert clean.exit_code == 0
    (corpus_dir / "blank.txt").write_text("   \n")
    strict = runner.invoke(app, ["index", "--index", index, "--strict"])
    assert strict.exit_code == 3
    assert strict.stderr == "searchkit: 1 files skipped (--strict)\n"
    assert "corpus/blank.txt: empty file" in strict.stdout
    assert IndexStore(index).exists()  # the run itself was applied


def test_many_skips_are_grouped_by_reason(runner, corpus_dir, tmp_path):
    for i in range(25):
        (corpus_dir / f"img{i:02d}.png").write_bytes(b"\x89PNG")
    for i in range(3):
        (corpus_dir / f"empty{i}.txt").write_text("")
    result = runner.invoke(app, ["index", str(corpus_dir), "--index", str(tmp_path / "ix")])
    lines = result.stdout.splitlines()
    assert lines[2:] == [
        "Skipped 28 files:",
        "  25 × unsupported file type: corpus/img00.png, corpus/img01.png, corpus/img02.png, … "
        "(22 more)",
        "  3 × empty file: corpus/empty0.txt, corpus/empty1.txt, corpus/empty2.txt",
        "  (--json lists every skipped file)",
    ]


def test_max_size_and_globs(runner, corpus_dir, tmp_path):
    index = str(tmp_path / "ix")
    result = runner.invoke(
        app,
        ["index", str(corpus_dir), "--index", index, "--max-size", "30k", "--exclude", "000_*"],
    )
    assert result.exit_code == 0
    skipped = [line.strip() for line in result.stdout.splitlines()[3:]]
    # 002 (48 KB) and 003 (40 KB) are over 30 KiB; 000 is excluded, so not even listed
    assert skipped == [
        "corpus/002_5c42664f1906b5a1.txt: larger than the size cap (47 KB > 30 KB)",
        "corpus/003_2ea9e9789186997a.txt: larger than the size cap (39 KB > 30 KB)",
    ]
    include = runner.invoke(app, ["index", "--index", index, "--include", "001_*"])
    assert "from 1 files" in include.stdout.splitlines()[0]


def test_bad_size_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(app, ["index", "--index", str(tmp_path / "ix"), "--max-size", "big"])
    assert result.exit_code == 2
    assert "'big' is not a size like 20MB or 500k" in result.output


def test_a_zero_size_cap_is_refused_rather_than_read_as_the_default(runner, tmp_path):
    result = runner.invoke(app, ["index", "--index", str(tmp_path / "ix"), "--max-size", "0"])
    assert result.exit_code == 2
    assert "the size cap must be at least 1 byte" in result.output
    assert not (tmp_path / "ix").exists()


def test_a_terminal_gets_a_progress_bar_on_stderr(tmp_path, seeds_dir):
    """Run as a user would on a terminal: stderr is a pseudo-terminal, stdout a pipe."""
    import os
    import pty
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    corpus = tmp_path / "many"
    corpus.mkdir()
    for i in range(40):  # enough files for the process pool and a few refreshes
        shutil.copy(seeds_dir / "000_8c6565e280eec17d.txt", corpus / f"copy{i:02d}.txt")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchkit", "index", str(corpus), "--index", str(tmp_path / "ix")],
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "COLUMNS": "120"},
    )
    os.close(follower)
    stdout, _ = proc.communicate(timeout=120)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert proc.returncode == 0
    text = screen.decode("utf-8", errors="replace")
    assert "files/s" in text and "40/40" in text and "left" in text
    # the summary goes to stdout, without terminal codes
    assert stdout.decode().startswith("Indexed 120 articles (3 distinct, 3 duplicate clusters)")
    assert b"\x1b[" not in stdout


def _two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "1.txt").write_text("Alpha story\n\n" + "An alpha story about moon landers. " * 5)
    (b / "2.txt").write_text("Beta story\n\n" + "A beta story about the moon and tides. " * 5)
    return a, b


def test_roots_lists_each_folder_and_forget_drops_one_with_its_articles(runner, tmp_path):
    a, b = _two_folders(tmp_path)
    index = ["--index", str(tmp_path / "ix")]
    assert runner.invoke(app, ["index", str(a), str(b), *index]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["roots", "--json", *index]).stdout)["roots"]
    assert [(r["path"], r["files"], r["articles"]) for r in listed] == [
        (str(a), 1, 1),
        (str(b), 1, 1),
    ]
    forgot = runner.invoke(app, ["forget", str(b), *index])
    assert forgot.exit_code == 0
    assert forgot.stderr.strip() == f"searchkit: forgot {b}: 1 article removed, 1 left"
    found = json.loads(runner.invoke(app, ["search", "moon", "--json", *index]).stdout)
    assert [h["title"] for h in found["hits"]] == ["Alpha story"]
    # a later run without paths re-scans what is left, not the forgotten folder
    assert runner.invoke(app, ["index", *index]).exit_code == 0
    assert runner.invoke(app, ["roots", *index]).stdout == f"{a}  1 files, 1 articles\n"
    assert (b / "2.txt").exists()  # the files stay on disk


def test_forget_refuses_a_path_that_is_no_folder_of_the_index(runner, tmp_path):
    a, b = _two_folders(tmp_path)
    index = ["--index", str(tmp_path / "ix")]
    assert runner.invoke(app, ["index", str(a), *index]).exit_code == 0
    stranger = runner.invoke(app, ["forget", str(b), *index])
    assert stranger.exit_code == 1
    assert (
        stranger.stderr
        == f"searchkit: error: {b} is not a folder of this index (its folders: {a})\n"
    )
    last = runner.invoke(app, ["forget", str(a), *index])
    assert last.exit_code == 1 and "no folder" in last.stderr
    assert runner.invoke(app, ["stats", "--json", *index]).exit_code == 0  # nothing was lost


def test_ones_own_index_is_found_from_any_folder(
    runner, tmp_path, monkeypatch, _private_user_index
):
    a, _ = _two_folders(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    missing = runner.invoke(app, ["search", "moon"])
    assert missing.exit_code == 1
    assert missing.stderr == (
        f"searchkit: error: no index at {_private_user_index}; "
        "build one with `searchkit index PATH` (e.g. seeds/)\n"
    )
    assert runner.invoke(app, ["index", str(a)]).exit_code == 0
    assert (_private_user_index / "CURRENT").exists()
    monkeypatch.chdir(tmp_path)
    found = json.loads(runner.invoke(app, ["search", "moon", "--json"]).stdout)
    assert [h["title"] for h in found["hits"]] == ["Alpha story"]


def test_ones_own_folders_do_not_mix_with_the_demo(
    runner, tmp_path, monkeypatch, _private_user_index
):
    import shutil

    from tests.conftest import SEEDS

    demo = tmp_path / "demo"
    shutil.copytree(SEEDS, demo / "seeds")
    a, _ = _two_folders(tmp_path)
    monkeypatch.chdir(demo)
    added = runner.invoke(app, ["index", str(a)])
    assert added.exit_code == 0, added.output
    assert added.stderr.startswith(
        f"searchkit: indexing into your own index at {_private_user_index}"
    )
    assert not (demo / "index").exists()  # the demo index was not touched
    titles = [
        h["title"]
        for h in json.loads(runner.invoke(app, ["search", "moon", "--json"]).stdout)["hits"]
    ]
    assert titles == ["Alpha story"]  # the user's index, not the seeds
    demo_hits = runner.invoke(app, ["search", "sesame", "--json", "--index", "index"])
    assert demo_hits.exit_code == 0 and json.loads(demo_hits.stdout)["total"] > 0


def test_export_writes_a_querys_results_in_rank_order_or_every_article(runner, seed_store):
    import csv
    import io

    index = ["--index", str(seed_store.path)]
    ranked = json.loads(runner.invoke(app, ["search", "sesame credit", "--json", *index]).stdout)
    exported = runner.invoke(app, ["export", "sesame", "credit", "--format", "csv", *index])
    assert exported.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["id"] for r in rows] == [h["id"] for h in ranked["hits"]]
    assert rows[0]["authors"] == "Manya Koetse" and rows[0]["text"]
    every = runner.invoke(app, ["export", *index]).stdout.splitlines()
    stats = json.loads(runner.invoke(app, ["stats", "--json", *index]).stdout)
    assert len(every) == stats["articles"]  # copies included
    assert {"id", "title", "authors", "date", "url", "text", "duplicates"} <= set(
        json.loads(every[0])
    )


def test_exported_csv_cells_never_start_a_spreadsheet_formula(tmp_path):
    import io

    from searchkit import export
    from searchkit.models import StoredArticle

    hostile = StoredArticle(
        id="abc",
        title='=HYPERLINK("http://evil")',
        summary=None,
        authors=["@attacker"],
        date=None,
        year=None,
        site="+site",
        category="-x",
        tags=[],
        source="a.txt",
        position=0,
        text="ok",
        title_derived=False,
        canonical_id="abc",
    )
    out = io.StringIO()
    assert export.write([hostile], "csv", out) == 1
    row = out.getvalue().splitlines()[1]
    assert row.startswith('abc,"\'=HYPERLINK(""http://evil"")",false,,\'@attacker')
    assert ",'+site,'-x," in row


def test_index_watch_indexes_files_as_they_appear_and_go(tmp_path):
    """A real process, as a user runs it: new files are found, removed ones leave the index,
    and Ctrl+C ends it with no traceback. The index lives inside the watched folder too, which
    must not make it re-index on its own writes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from searchkit import library
    from tests.conftest import ROOT

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text("First story\n\n" + "A first story about the tides. " * 5)
    index = pages / ".searchkit-index"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "searchkit", "index", str(pages), "--index", str(index), "--watch"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def titles() -> list[str]:
        try:
            with library.open(index) as ix:
                return sorted(h.title for h in ix.search("story", limit=50).hits)
        except Exception:
            return []

    def wait_for(wanted: list[str]) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if titles() == wanted:
                return True
            time.sleep(0.2)
        return False

    try:
        assert wait_for(["First story"])
        time.sleep(1.0)  # the watcher is up once the first run is done
        (pages / "b.txt").write_text("Second story\n\n" + "A second story about zebras. " * 5)
        assert wait_for(["First story", "Second story"])
        (pages / "a.txt").unlink()
        assert wait_for(["Second story"])
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err
    assert out.count("Indexed") <= 4  # one run per change, no loop on the index's own writes
