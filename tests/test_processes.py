"""Real processes: a killed indexer, two indexers at once, searching while an index is written."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchkit.index.build import update_index
from searchkit.index.generations import IndexStore
from searchkit.query.searcher import Searcher
from tests.conftest import ROOT, SEEDS

TIMEOUT = 120


def write_big_corpus(folder: Path, files: int = 600) -> None:
    """Pages made of seed paragraphs in a seeded random mix: slow enough to index to catch midway."""
    paragraphs = [
        p.strip()
        for path in sorted(SEEDS.glob("*.txt"))
        for p in path.read_text(encoding="utf-8").split("\n\n")
        if len(p.split()) > 30
    ]
    rng = random.Random(3)
    folder.mkdir(parents=True)
    for i in range(files):
        body = "\n\n".join(rng.sample(paragraphs, 6))
        (folder / f"page_{i:04d}.txt").write_text(f"Giant Panda Report Number {i}\n\n{body}\n")


def indexer(corpus: Path, index: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "searchkit", "index", str(corpus), "--index", str(index), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(condition, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the indexer ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


def unpublished(store: IndexStore) -> list[Path]:
    live = store.current()
    return [g for g in store.path.glob("gen-*") if g != live]


@pytest.fixture()
def seeded_store(tmp_path) -> IndexStore:
    store = IndexStore(tmp_path / "index")
    update_index([SEEDS], store)
    return store


@pytest.fixture()
def big_corpus(tmp_path) -> Path:
    corpus = tmp_path / "big"
    write_big_corpus(corpus)
    return corpus


def test_sigkill_midway_leaves_the_old_index_searchable_and_the_next_run_recovers(
    seeded_store, big_corpus
):
    live = seeded_store.current()
    proc = indexer(big_corpus, seeded_store.path)
    # kill it once it has started writing its new generation
    wait_for(lambda: unpublished(seeded_store) != [] and live.exists(), "a new generation", proc)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(TIMEOUT)
    assert proc.returncode == -signal.SIGKILL
    assert seeded_store.current() == live
    with Searcher(seeded_store) as searcher:
        assert searcher.stats()["articles"] == 21
        assert searcher.search("social credit blacklist").all_words == 2
        assert searcher.search('"giant panda report"').total == 0
    # no stale lock: the next run neither waits nor fails, and drops the half-written generation
    done = indexer(big_corpus, seeded_store.path, "--no-wait", "--json")
    _, err = done.communicate(timeout=TIMEOUT)
    assert done.returncode == 0, err
    assert seeded_store.current() != live
    assert unpublished(seeded_store) == [live]  # only the previous one is kept, for open readers
    with Searcher(seeded_store) as searcher:
        assert searcher.search('"giant panda report number 17"').total >= 1
        assert searcher.search("social credit blacklist").total >= 2


def test_a_second_indexer_is_told_or_waits(seeded_store, big_corpus, tmp_path):
    first = indexer(big_corpus, seeded_store.path)
    lock = seeded_store.path / ".lock"
    wait_for(
        lambda: lock.exists() and lock.read_text().strip() == str(first.pid), "the lock", first
    )
    refused = indexer(SEEDS, seeded_store.path, "--no-wait")
    _, err = refused.communicate(timeout=TIMEOUT)
    assert refused.returncode == 1
    assert err == (
        f"searchkit: error: another indexing run (pid {first.pid}) is writing "
        f"{seeded_store.path}; try again when it has finished\n"
    )
    waiting = indexer(SEEDS, seeded_store.path, "--json")
    _, err = waiting.communicate(timeout=TIMEOUT)
    assert waiting.returncode == 0
    assert f"waiting for another indexer (pid {first.pid}) to finish" in err
    assert first.wait(TIMEOUT) == 0  # the first finished before the second could start


def test_searching_while_indexing_sees_the_last_committed_state(seeded_store, big_corpus):
    searcher = Searcher(seeded_store)
    proc = indexer(big_corpus, seeded_store.path)
    wait_for(lambda: unpublished(seeded_store) != [], "a new generation", proc)
    # mid-write: the live index answers, with what was committed before the run
    assert searcher.search("social credit blacklist").all_words == 2
    assert searcher.search('"giant panda report"').total == 0
    assert proc.wait(TIMEOUT) == 0
    assert searcher.refresh()  # the published generation is picked up
    assert searcher.search('"giant panda report"').total > 100
    searcher.close()


HELPER_SCRIPT = """
import sys, time
from searchkit.index import writer as fastwriter
from searchkit.index.writer import Analyser, SegmentBuilder
from searchkit.index.schema import build_schema
from searchkit.index.generations import IndexStore

fastwriter.helper._encode_field = lambda *args: time.sleep(3600)  # a helper still busy when the run dies
schema = build_schema()
with IndexStore(sys.argv[1]).writing(wait=False):
    builder = SegmentBuilder(schema, tempdir=sys.argv[1])
    builder.add_postings(Analyser(schema)({"body": "a helper writes these postings"}))
    helper = fastwriter._Child.start(builder, [builder._fields["body"]])
    print(helper.pid, flush=True)
    time.sleep(3600)
"""


def test_a_killed_run_takes_its_helper_process_and_the_lock_with_it(tmp_path):
    """The segment writer forks a helper that inherits the index lock; when the run is killed,
    the helper must die too, or the next run would find the index locked by a dead run."""
    store = IndexStore(tmp_path / "index")
    run = subprocess.Popen(
        [sys.executable, "-c", HELPER_SCRIPT, str(store.path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    helper = int(run.stdout.readline())
    run.send_signal(signal.SIGKILL)
    run.wait(TIMEOUT)

    def helper_gone() -> bool:
        try:
            status = Path(f"/proc/{helper}/status").read_text()
        except FileNotFoundError:
            return True
        return "State:\tZ" in status  # dead, waiting to be reaped

    try:
        wait_for(helper_gone, "the helper to die")
        with store.writing(wait=False):  # the lock is free: no IndexBusy
            pass
    finally:
        if not helper_gone():
            os.kill(helper, signal.SIGKILL)
