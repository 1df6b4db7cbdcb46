"""Stages 2–4 on a Dask cluster: a ``--cluster`` value -> a connected ``Cluster`` whose
``read_files`` streams ``FileResult``s back like ``parallel.read_files`` does.

In: the ``--cluster`` value (``tcp://HOST:PORT`` of a running ``dask scheduler``, or ``local:N``
for a LocalCluster of N worker processes on this machine) and the files discovery found on the
client. Out: ``FileResult``s in the order the files were given (``parallel.process_batch`` run as
Dask tasks: read, decode, split, fingerprint, analyse), and, for dedup, the LSH candidate pairs
found across the workers (``searchkit.dedup_cluster``). The workers open the files themselves,
through the same absolute paths: the corpus must be on a filesystem every worker mounts there.

Why not ``client.map`` over every file and ``gather``: that holds the whole corpus's postings in
the cluster's memory and then in the client's at once. Here a bounded number of batches is in
flight (four per worker thread), and each is taken back and released in order as the one segment
builder in the client consumes it, so no process holds more than those batches.

A worker lost mid-run fails the run (``ClusterError``, one line) before anything is written, so
the live generation stays as it was. A ``local:N`` cluster's scheduler gives up on a task at the
first lost worker; a remote scheduler retries it elsewhere as its own
``distributed.scheduler.allowed-failures`` says (3 by default) and fails the run after that.

Dask is imported only here and in ``dedup_cluster``, and only once ``connect`` is called, so the
CLI starts as fast without it, and a searchkit installed without the ``cluster`` extra says how to
add it instead of failing to import.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from searchkit.index.generations import StoreError
from searchkit.ingest.parallel import FileResult, batch_size, process_batch

if TYPE_CHECKING:
    import numpy as np
    from distributed import Client

    from searchkit.models import SourceFile

INSTALL_HINT = "--cluster needs Dask: pip install 'searchkit[cluster]'"
_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})")
_LOCAL = re.compile(r"local:(-?\d+)")
_MAX_LOCAL_WORKERS = 256
# Batches in flight per worker thread: enough that a worker has its next batch while the client
# is busy with the last one, few enough that memory stays bounded by batches, not by the corpus.
_IN_FLIGHT_PER_WORKER = 4


class ClusterError(StoreError):
    """A bad ``--cluster`` value, a scheduler out of reach, or a worker lost: one line."""


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """A parsed ``--cluster`` value: a scheduler's address, or a local cluster's size."""

    address: str | None  # tcp://HOST:PORT; None for a local cluster
    local_workers: int = 0  # local:N

    def __str__(self) -> str:
        return self.address or f"local:{self.local_workers}"


def parse_cluster(value: str) -> ClusterSpec:
    """``tcp://HOST:PORT`` or ``local:N`` -> ``ClusterSpec``; anything else is a ``ClusterError``
    saying what is expected (checked before Dask is imported or anything is scanned)."""
    text = value.strip()
    local = _LOCAL.fullmatch(text)
    if local:
        workers = int(local.group(1))
        if not 1 <= workers <= _MAX_LOCAL_WORKERS:
            raise ClusterError(
                f"--cluster {text}: a local cluster needs 1 to {_MAX_LOCAL_WORKERS} workers "
                "(local:N)"
            )
        return ClusterSpec(None, workers)
    address = _ADDRESS.fullmatch(text)
    if address and 0 < int(address.group(3)) < 65536:
        return ClusterSpec(text)
    raise ClusterError(
        f"--cluster {value!r} is not a Dask scheduler address: expected tcp://HOST:PORT "
        "(e.g. tcp://10.0.0.5:8786) or local:N"
    )


@dataclass(slots=True)
class Cluster:
    """A connected cluster: what build.py reads files and finds duplicate candidates with."""

    client: Client
    spec: ClusterSpec
    threads: int  # worker threads across the cluster when the run began
    # closes the client (and a local cluster); ``connect`` calls it too, a second call is a no-op
    release: Callable[[], None] = lambda: None

    def read_files(
        self,
        sources: Sequence[SourceFile],
        *,
        max_bytes: int,
        known_digests: dict[str, str] | None = None,
        analyse: bool = False,
    ) -> Iterator[FileResult]:
        """``parallel.read_files`` on the cluster: results in input order, bounded in flight."""
        if not sources:
            return
        self._check_paths(sources)
        known = known_digests or {}
        batch = batch_size(len(sources), self.threads)
        limit = max(2, self.threads * _IN_FLIGHT_PER_WORKER)
        in_flight: deque[Any] = deque()
        next_up = 0
        try:
            while next_up < len(sources) or in_flight:
                while next_up < len(sources) and len(in_flight) < limit:
                    chunk = list(sources[next_up : next_up + batch])
                    digests = [known.get(source.relpath) for source in chunk]
                    in_flight.append(
                        self.client.submit(
                            process_batch, chunk, digests, max_bytes, analyse, pure=False
                        )
                    )
                    next_up += len(chunk)
                future = in_flight.popleft()
                results = self._result(future, "reading files")
                future.release()  # taken: the cluster can let this batch's memory go
                yield from results
        finally:
            for future in in_flight:
                future.cancel()

    def band_pairs(self, sigs: np.ndarray) -> np.ndarray:
        """``dedup._band_pairs`` with the LSH bands grouped across the workers."""
        from searchkit.dedup_cluster import cluster_band_pairs

        try:
            return cluster_band_pairs(self.client, sigs, partitions=max(2, self.threads * 2))
        except ClusterError:
            raise
        except Exception as exc:
            raise ClusterError(self._lost(exc, "finding duplicates")) from None

    def _result(self, future: Any, doing: str) -> list[FileResult]:
        try:
            return future.result()
        except Exception as exc:  # a lost worker, a lost scheduler, a worker without searchkit
            raise ClusterError(self._lost(exc, doing)) from None

    def _lost(self, exc: BaseException, doing: str) -> str:
        from distributed import KilledWorker

        if isinstance(exc, KilledWorker):
            what = "a Dask worker was lost"
        else:
            what = f"the Dask cluster failed ({type(exc).__name__}: {_first_line(exc)})"
        return f"{what} while {doing} on {self.spec}; nothing was written, the index is as it was"

    def _check_paths(self, sources: Sequence[SourceFile]) -> None:
        """Every worker must see the files where the client found them (a shared filesystem):
        checked on one file this process sees now (one deleted since the scan proves nothing)."""
        sample = next((s for s in sources[:100] if _exists_here(s.path)), None)
        if sample is None:
            return
        try:
            seen = self.client.run(os.path.isfile, sample.path)
        except Exception as exc:
            raise ClusterError(self._lost(exc, "checking the workers")) from None
        blind = sorted(worker for worker, found in seen.items() if not found)
        if blind:
            raise ClusterError(
                f"Dask worker {blind[0]} cannot see {sample.path}"
                f"{f' (nor can {len(blind) - 1} more)' if len(blind) > 1 else ''}; "
                "--cluster reads the files at the same paths on every worker (a shared filesystem)"
            )


@contextlib.contextmanager
def connect(value: str) -> Iterator[Cluster]:
    """The cluster ``value`` names, connected (and, for ``local:N``, started) for one run, and
    closed after it. How long an address may take to answer is Dask's connect timeout
    (``distributed.comm.timeouts.connect``, 30 s unless configured)."""
    spec = parse_cluster(value)
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    timeout = dask.config.get("distributed.comm.timeouts.connect")
    with contextlib.ExitStack() as stack:
        # Dask logs a lost worker, a restart and a closed comm at WARNING: the run says it in
        # one line of its own instead.
        stack.enter_context(_quiet_logs())
        try:
            if spec.address is None:
                # The first lost worker fails its task (and the run), as the docstring promises.
                with (
                    dask.config.set({"distributed.scheduler.allowed-failures": 0}),
                    _sigint_ignored(),
                ):
                    local = stack.enter_context(
                        LocalCluster(
                            n_workers=spec.local_workers,
                            threads_per_worker=1,
                            processes=True,
                            # no dashboard, and its HTTP server on a free port rather than
                            # 8787 (taken by a second run, with a warning on stderr)
                            dashboard_address=None,
                            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                            silence_logs=logging.CRITICAL,
                        )
                    )
                client = stack.enter_context(Client(local, timeout=timeout))
            else:
                client = stack.enter_context(Client(spec.address, timeout=timeout))
                client.wait_for_workers(1, timeout=timeout)
        except Exception as exc:
            raise ClusterError(_unreachable(spec, exc)) from None
        threads = sum(client.nthreads().values())
        yield Cluster(client, spec, max(1, threads), release=stack.close)


def _unreachable(spec: ClusterSpec, exc: BaseException) -> str:
    if spec.address is None:
        return f"could not start a local Dask cluster ({spec}): {type(exc).__name__}: {_first_line(exc)}"
    if isinstance(exc, TimeoutError) and "worker" in str(exc).lower():
        return f"the Dask scheduler at {spec.address} has no workers"
    return f"cannot reach a Dask scheduler at {spec.address}: {_first_line(exc)}"


def _exists_here(path: str) -> bool:
    return os.path.isfile(path)


def _first_line(exc: BaseException) -> str:
    """An exception's message as one line (Dask's may hold a traceback or several lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ctrl-C ignored while the local workers start, so they inherit that and leave Ctrl-C to
    this process (which closes them): otherwise each prints its own KeyboardInterrupt traceback.
    Python keeps an inherited "ignore" for SIGINT; only the main thread may change it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
