"""A killed `searchkit index` takes every process it forked with it, and leaves the lock free.

The run reads files in a pool of forked workers; a worker that outlived the run would keep the
index lock (an flock, shared with every forked copy of its file descriptor) and every later run
would wait forever, or with ``--no-wait`` name the dead run's pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_processes import TIMEOUT, indexer, wait_for, write_big_corpus


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def children(parent: int) -> dict[int, str]:
    """The live children of ``parent``: pid -> start time (to tell a reused pid apart)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat(int(entry))
        if fields is not None and fields[1] == str(parent) and fields[0] != "Z":
            found[int(entry)] = fields[19]
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` still running (a zombie holds no files: it counts as dead)."""
    still = []
    for pid, started in processes.items():
        fields = _stat(pid)
        if fields is not None and fields[19] == started and fields[0] != "Z":
            still.append(pid)
    return still


def open_files(pid: int) -> set[str]:
    files = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                files.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    except OSError:
        pass
    return files


def within(seconds: float, condition) -> bool:
    """Whether ``condition`` comes true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture()
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    write_big_corpus(folder, files=600)  # about 2 KB each: seconds of reading with two workers
    return folder


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_indexer_leaves_no_process_and_no_lock_behind(corpus, tmp_path, signum):
    index = tmp_path / "ix"
    run = indexer(corpus, index, "--workers", "2")
    workers: dict[int, str] = {}
    try:

        def reading() -> bool:
            workers.update(children(run.pid))
            return len(workers) >= 2

        wait_for(reading, "the reading workers", run)
        # the run holds the lock; its workers closed their copy of it right after the fork
        lock = str(index / ".lock")
        assert lock in open_files(run.pid)
        # (within a moment: a worker seen just after its fork may not have got that far)
        assert within(1, lambda: not [p for p in alive(workers) if lock in open_files(p)])
        assert alive(workers)  # still reading when killed
        os.kill(run.pid, signum)
        assert run.wait(TIMEOUT) == -signum
        assert within(5, lambda: not alive(workers)), "workers outlived the killed run"
        again = indexer(corpus, index, "--no-wait")
        _, err = again.communicate(timeout=TIMEOUT)
        assert again.returncode == 0, err  # before the fix: "another indexing run (pid N) ..."
    finally:  # nothing left running when the test fails
        if run.poll() is None:
            run.kill()
            run.wait(TIMEOUT)
        for pid in alive(workers):
            os.kill(pid, signal.SIGKILL)


FALLBACK_SCRIPT = """
import os, sys, time
from searchkit import forked

forked._kernel_kills_with_parent = lambda: False  # as where prctl is not there: a watching thread
forked._WATCH_EVERY = 0.02
parent = os.getpid()
child = os.fork()
if child == 0:
    forked.die_with(parent)
    time.sleep(3600)
    os._exit(0)
print(child, flush=True)
time.sleep(3600)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_where_the_kernel_cannot_be_asked_a_thread_watches_the_parent():
    run = subprocess.Popen(
        [sys.executable, "-c", FALLBACK_SCRIPT],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    child: dict[int, str] = {}
    try:
        pid = int(run.stdout.readline())
        child[pid] = _stat(pid)[19]
        assert alive(child)
        run.kill()
        run.wait(TIMEOUT)
        assert within(5, lambda: not alive(child)), "the child outlived its parent"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(TIMEOUT)
        for pid in alive(child):
            os.kill(pid, signal.SIGKILL)

