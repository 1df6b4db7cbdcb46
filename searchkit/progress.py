"""What `searchkit index` shows: a progress bar on a terminal (stderr) and the summary at the end.

``BuildReport`` -> text (``summary_text``). The bar (rich) shows files read, files/s and the time
left; it appears only when stderr is a terminal, so piped or scripted runs stay quiet. It refreshes
from the indexing thread itself (no background thread), which keeps the forked worker pool safe.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import IO

from searchkit.index.build import BuildReport, Progress
from searchkit.ingest.parallel import FileResult
from searchkit.terminal import safe_text

_LIST_ALL_SKIPS = 20  # above this many skipped files, the summary groups them by reason
_REFRESH_SECONDS = 0.1


class ProgressBar:
    """A rich progress bar fed by ``indexing.Progress`` callbacks."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("elapsed,"),
            TimeRemainingColumn(),
            TextColumn("left"),
            console=Console(file=stream),
            auto_refresh=False,
            transient=True,
        )
        self._task = self._bar.add_task("scanning", total=None, rate="")
        self._started = time.monotonic()
        self._last = 0.0
        self._done = 0

    def callbacks(self, on_wait=None) -> Progress:
        return Progress(
            on_scan=self._scanned,
            on_start=self._start,
            on_file=self._file,
            on_stage=self._stage,
            on_wait=on_wait,
        )

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def _scanned(self, count: int) -> None:
        self._bar.update(self._task, description=f"scanning ({count:,} files)")
        self._refresh()

    def _start(self, total: int) -> None:
        self._started = time.monotonic()
        self._bar.update(self._task, description="reading", total=total, completed=0)
        self._refresh(force=True)

    def _file(self, result: FileResult) -> None:
        self._done += 1
        elapsed = max(time.monotonic() - self._started, 1e-6)
        self._bar.update(self._task, advance=1, rate=f"{self._done / elapsed:,.0f} files/s")
        self._refresh()

    def _stage(self, stage: str) -> None:
        names = {"dedup": "finding duplicates", "write": "indexing", "commit": "saving"}
        self._bar.update(self._task, description=names.get(stage, stage))
        self._refresh(force=True)

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= _REFRESH_SECONDS:
            self._last = now
            self._bar.refresh()


def summary_text(report: BuildReport, index_path: str) -> str:
    """The lines `searchkit index` prints when it is done."""
    clusters = report.duplicate_clusters
    counts = (
        f"{report.articles:,} articles ({report.distinct:,} distinct, {clusters:,} duplicate "
        f"{'cluster' if clusters == 1 else 'clusters'}) from {report.files:,} files"
    )
    if report.changed:
        lines = [f"Indexed {counts} in {report.seconds:.1f} s into {index_path}/"]
    else:
        lines = [f"Index up to date: {counts}; checked in {report.seconds:.1f} s ({index_path}/)"]
    lines.append(
        f"Files: {report.files_seen:,} found, {report.files_read:,} read, "
        f"{report.files_unchanged:,} unchanged, {report.files_removed:,} removed. "
        f"Articles: {report.articles_added:,} added, {report.articles_updated:,} updated, "
        f"{report.articles_removed:,} removed."
    )
    skipped = report.skipped
    if skipped:
        lines.append(f"Skipped {len(skipped):,} {'file' if len(skipped) == 1 else 'files'}:")
        if len(skipped) <= _LIST_ALL_SKIPS:
            lines.extend(f"  {s.relpath}: {s.reason}" for s in skipped)
        else:
            by_reason = Counter(_reason_kind(s.reason) for s in skipped)
            for reason, count in by_reason.most_common():
                examples = [s.relpath for s in skipped if _reason_kind(s.reason) == reason][:3]
                more = f", … ({count - 3:,} more)" if count > 3 else ""
                lines.append(f"  {count:,} × {reason}: {', '.join(examples)}{more}")
            lines.append("  (--json lists every skipped file)")
    return safe_text("\n".join(lines))


def _reason_kind(reason: str) -> str:
    """Group 'larger than the size cap (61.2 MB > 50.0 MB)' with its siblings."""
    return reason.split(" (", 1)[0]
