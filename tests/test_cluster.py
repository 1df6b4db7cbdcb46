"""`searchkit index --cluster`: the index a Dask cluster builds is the one this machine builds.

Every cluster here is a LocalCluster of 2 worker processes (one thread each, no dashboard), as
`--cluster local:2` starts it, and each is closed by the run (or the fixture) that started it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest

from searchkit.cli import app
from searchkit.dedup import _band_pairs
from searchkit.index.build import Progress, update_index
from searchkit.index.generations import IndexStore
from searchkit.ingest.cluster import ClusterError, connect
from searchkit.ingest.discover import FileFilters, discover
from searchkit.ingest.parallel import read_files
from searchkit.models import SourceFile
from searchkit.query.searcher import Searcher
from tests.conftest import SEEDS
from tests.perturb import edit, new_tail, truncate
from tests.test_processes import write_big_corpus

QUERIES = ["social credit blacklist", "wechat privacy", "sesame credit", "giant panda report 17"]


def _corpus(folder: Path) -> Path:
    """The seeds, 80 pages mixing their paragraphs (many partial overlaps for LSH to sort out),
    and edited, cut-off and re-tailed copies of the seed pages (real near-duplicates)."""
    shutil.copytree(SEEDS, folder / "seeds")
    write_big_corpus(folder / "mixed", files=80)
    copies = folder / "copies"
    copies.mkdir()
    pages = sorted(SEEDS.glob("*.txt"))
    for n, page in enumerate(pages):
        text = page.read_text(encoding="utf-8")
        (copies / f"edited_{n}.txt").write_text(edit(text, 0.05, seed=n), encoding="utf-8")
        (copies / f"cut_{n}.txt").write_text(truncate(text, 0.8), encoding="utf-8")
        tail = pages[(n + 1) % len(pages)].read_text(encoding="utf-8")[:2000]
        (copies / f"tailed_{n}.txt").write_text(new_tail(text, tail), encoding="utf-8")
    return folder


def _cli(runner, *args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The same corpus indexed by the process pool and through `--cluster local:2`."""
    from typer.testing import CliRunner

    runner = CliRunner()
    corpus = _corpus(tmp_path_factory.mktemp("cluster-corpus"))
    here, there = tmp_path_factory.mktemp("local") / "index", tmp_path_factory.mktemp("dask") / "index"
    for index, extra in ((here, []), (there, ["--cluster", "local:2"])):
        result = _cli(runner, "index", str(corpus), "--index", str(index), "--json", *extra)
        assert result.exit_code == 0, result.output
    return here, there


def test_the_cluster_build_holds_the_same_articles_with_the_same_ids_and_fields(built, runner):
    exported = [
        _cli(runner, "export", "--index", str(index), "--format", "jsonl").output
        for index in built
    ]
    articles = [json.loads(line) for line in exported[0].splitlines()]
    assert len(articles) > 100
    assert exported[0] == exported[1]


def test_the_cluster_build_finds_the_same_duplicate_clusters(built, runner):
    dups = [_cli(runner, "dups", "--index", str(index), "--json").output for index in built]
    assert len(json.loads(dups[0])["clusters"]) >= 5  # real copies, not only the seeds' one
    assert dups[0] == dups[1]
    stats = [json.loads(_cli(runner, "stats", "--index", str(i), "--json").output) for i in built]
    for key in ("articles", "distinct_articles", "duplicate_clusters"):
        assert stats[0][key] == stats[1][key], key


@pytest.mark.parametrize("words", QUERIES)
def test_the_cluster_build_ranks_the_same_top_ten(built, runner, words):
    pages = [
        json.loads(_cli(runner, "search", words, "--index", str(index), "--json").output)
        for index in built
    ]
    top = [[(hit["id"], round(hit["score"], 6)) for hit in page["hits"]] for page in pages]
    assert top[0], f"no results for {words!r}"
    assert top[0] == top[1]


def test_an_incremental_run_through_the_cluster_updates_the_index_as_a_local_run_does(
    tmp_path, runner
):
    outputs = []
    for name, extra in (("here", []), ("there", ["--cluster", "local:2"])):
        corpus = _corpus(tmp_path / name / "corpus")
        copies = tmp_path / name / "copies"
        (corpus / "copies").rename(copies)
        index = str(tmp_path / name / "index")
        assert _cli(runner, "index", str(corpus), "--index", index, "-q").exit_code == 0
        copies.rename(corpus / "copies")  # new files: copies of stories the index holds
        (corpus / "mixed" / "page_0003.txt").unlink()  # and one file gone
        result = _cli(runner, "index", "--index", index, "--json", *extra)
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert (report["files_read"], report["files_removed"]) == (15, 1)
        outputs.append(
            [
                _cli(runner, *command, "--index", index).output
                for command in (["dups", "--json"], ["export", "--format", "jsonl"])
            ]
        )
    assert len(json.loads(outputs[0][0])["clusters"]) >= 5
    assert outputs[0] == outputs[1]


# --- the pieces, on one cluster shared by these tests -----------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    with connect("local:2") as connected:
        yield connected


def _sources(folder: Path) -> list[SourceFile]:
    return [s for s in discover([str(folder)], FileFilters()) if isinstance(s, SourceFile)]


def test_files_read_on_the_cluster_come_back_in_the_order_given_like_the_pool(
    cluster, tmp_path
):
    sources = _sources(_corpus(tmp_path))
    assert len(sources) > 50  # several batches in flight, so the order is something to keep
    there = list(cluster.read_files(sources, max_bytes=10**7, analyse=True))
    here = list(read_files(sources, max_bytes=10**7, analyse=True, workers=2))
    assert [r.relpath for r in there] == [s.relpath for s in sources]
    assert [r.record for r in there] == [r.record for r in here]
    assert [[a.id for a in r.articles] for r in there] == [[a.id for a in r.articles] for r in here]


def test_lsh_candidate_pairs_grouped_on_the_cluster_are_the_local_ones(cluster):
    rng = np.random.default_rng(7)
    # few distinct values per row: many bands collide, groups of many sizes
    sigs = rng.integers(0, 12, size=(3000, 128)).astype(np.uint64)
    local = _band_pairs(sigs)
    assert len(local) > 10_000
    assert np.array_equal(cluster.band_pairs(sigs), local)
    assert len(cluster.band_pairs(sigs[:1])) == 0


def test_a_scheduler_address_is_used_like_a_local_cluster(cluster, tmp_path):
    address = cluster.client.scheduler.address  # the running cluster, reached as a remote one
    assert address.startswith("tcp://")
    sources = _sources(SEEDS)
    with connect(address) as remote:
        assert remote.threads == 2
        there = [r.record for r in remote.read_files(sources, max_bytes=10**7)]
    assert there == [r.record for r in read_files(sources, max_bytes=10**7, workers=1)]


def test_files_the_workers_cannot_see_stop_the_run_saying_so(cluster, tmp_path, monkeypatch):
    # This machine sees a file the workers do not (one machine cannot be two: the client's own
    # look is what is made to differ).
    import searchkit.ingest.cluster as cluster_module

    monkeypatch.setattr(cluster_module, "_exists_here", lambda path: True)
    elsewhere = SourceFile(str(tmp_path / "only-on-the-client.txt"), "x.txt", 10, 0.0)
    with pytest.raises(ClusterError) as failed:
        list(cluster.read_files([elsewhere], max_bytes=10**7))
    assert str(failed.value).startswith("Dask worker tcp://")
    assert str(failed.value).endswith(
        "--cluster reads the files at the same paths on every worker (a shared filesystem)"
    )


# --- failures ------------------------------------------------------------------------------------


def _worker_processes(exclude: set[int]) -> list[psutil.Process]:
    """This test process's Dask worker processes (spawned by the nannies), but ``exclude``."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.pid not in exclude and "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def test_a_worker_lost_mid_run_fails_the_run_in_one_line_and_the_old_index_stays(tmp_path):
    store = IndexStore(tmp_path / "index")
    update_index([SEEDS], store)
    live = store.current()
    corpus = tmp_path / "big"
    write_big_corpus(corpus, files=120)
    before = {p.pid for p in _worker_processes(set())}  # the shared cluster's, left alone

    def kill_workers(_result) -> None:
        # Every time a file comes back: the workers of this run die, restarted ones too, so a
        # batch is surely lost while it is being read.
        for process in _worker_processes(before):
            os.kill(process.pid, signal.SIGKILL)

    with pytest.raises(ClusterError) as failed:
        update_index([corpus], store, cluster="local:2", progress=Progress(on_file=kill_workers))
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("a Dask worker was lost while reading files on local:2")
    assert message.endswith("nothing was written, the index is as it was")
    assert store.current() == live
    assert [g for g in store.path.glob("gen-*") if g != live] == []
    with Searcher(store) as searcher:
        assert searcher.stats()["articles"] == 21
        assert searcher.search("social credit blacklist").all_words == 2
        assert searcher.search('"giant panda report"').total == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("local:0", "--cluster local:0: a local cluster needs 1 to 256 workers (local:N)"),
        ("local:many", "--cluster 'local:many' is not a Dask scheduler address: expected"),
        ("8786", "--cluster '8786' is not a Dask scheduler address: expected tcp://HOST:PORT"),
        ("tcp://", "--cluster 'tcp://' is not a Dask scheduler address"),
        ("tcp://127.0.0.1:{closed}", "cannot reach a Dask scheduler at tcp://127.0.0.1:{closed}"),
    ],
)
def test_a_bad_cluster_value_is_one_error_line_and_a_failing_exit(
    runner, tmp_path, value, says
):
    import dask

    closed = _closed_port()
    value, says = value.format(closed=closed), says.format(closed=closed)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = runner.invoke(
            app, ["index", str(SEEDS), "--index", str(tmp_path / "ix"), "--cluster", value]
        )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"searchkit: error: {says}")
    assert not (tmp_path / "ix").exists()  # nothing scanned, nothing created


def test_without_dask_the_cluster_option_says_how_to_install_it(runner, tmp_path, monkeypatch):
    for name in ("dask", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # `import dask` now raises ImportError
    result = runner.invoke(
        app, ["index", str(SEEDS), "--index", str(tmp_path / "ix"), "--cluster", "local:2"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "searchkit: error: --cluster needs Dask: pip install 'searchkit[cluster]'\n"
    )


def test_indexing_without_cluster_never_imports_dask(tmp_path):
    import subprocess

    code = (
        "import sys; from searchkit.cli import main; sys.argv = ['searchkit', 'index', "
        f"{str(SEEDS)!r}, '--index', {str(tmp_path / 'ix')!r}, '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
