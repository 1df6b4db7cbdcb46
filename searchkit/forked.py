"""Every process searchkit forks dies with the process that forked it.

The indexing run forks the file readers' pool workers (``ingest.parallel``) and the segment
writer's helper (``index.writer.helper``). A forked process that outlived a killed run would keep
what it inherited — the index lock above all (an flock lives as long as any copy of its file
descriptor, see ``IndexStore.writing``) — and the next run would find the index locked by a dead
run. So each of them calls ``die_with`` first thing after the fork.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_WATCH_EVERY = 0.2  # seconds between looks at the parent, where the kernel cannot be asked


def die_with(parent: int) -> None:
    """Have this (just forked) process end when ``parent``, the process that forked it, does.

    On Linux the kernel sends it SIGKILL (``prctl(PR_SET_PDEATHSIG)``), then ``getppid`` closes
    the race with a parent that died before the request was made. Strictly the signal comes when
    the *thread* that forked this process ends: searchkit forks from the thread that runs the
    indexing, which outlives its pool and its helper. Elsewhere a daemon thread watches
    ``getppid`` and ends the process once it was re-parented.
    """
    if not _kernel_kills_with_parent():
        threading.Thread(target=_watch, args=(parent,), name="die-with-parent", daemon=True).start()
    if os.getppid() != parent:  # the parent died already
        os._exit(1)


def _kernel_kills_with_parent() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_EVERY)
    os._exit(1)
