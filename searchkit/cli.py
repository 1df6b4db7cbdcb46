"""Stage 7 — the command line: a thin typer layer over the library (``indexing``, ``search``).

Exit codes: 0 when the command ran (a search with zero hits included), 2 for bad usage or a query
that cannot be parsed, 1 for anything else. Errors are one line on stderr, never a traceback
(set SEARCHKIT_DEBUG=1 to see one). Heavy modules (the indexing pipeline, NumPy, bs4, trafilatura) are
imported inside the commands that need them, so `search` starts fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from searchkit.index.generations import (
    DEFAULT_INDEX,
    DEMO_CORPUS,
    IndexStore,
    StoreError,
    user_index_path,
)
from searchkit.library import Index, demo_index_reason
from searchkit.terminal import safe_text
from searchkit.web.server import DEFAULT_HOST, DEFAULT_PORT
from searchkit.web.shared import SEARCH_TIME_LIMIT

DEFAULT_CORPUS = DEMO_CORPUS

app = typer.Typer(
    name="searchkit",
    help="Local full-text search for saved web articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class Sort(StrEnum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


IndexOpt = Annotated[
    Path | None,
    typer.Option(
        "--index",
        envvar="SEARCHKIT_INDEX",
        help="Index folder [default: index/].",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ColorOpt = Annotated[Color, typer.Option("--color", help="Colour the output.")]
ArticleIdArg = Annotated[str, typer.Argument(metavar="ID", help="Article id (or a unique prefix).")]


def _show_version(value: bool) -> None:
    if value:
        from searchkit import __version__

        typer.echo(f"searchkit {__version__}")
        raise typer.Exit()


VersionOpt = Annotated[
    bool,
    typer.Option(
        "--version", is_eager=True, callback=_show_version, help="Print the version and exit."
    ),
]


@app.callback()
def _main_options(version: VersionOpt = False) -> None:
    """Local full-text search for saved web articles."""


# --- helpers ----------------------------------------------------------------------------------------


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"searchkit: error: {safe_text(message)}", err=True)  # may quote a file name
    raise typer.Exit(code)


def note(message: str) -> None:
    typer.echo(f"searchkit: {safe_text(message)}", err=True)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _store(index: Path | None) -> IndexStore:
    return IndexStore(index)


def _open_index(store: IndexStore) -> Index:
    """The library's ``Index`` over ``store``, opened now so that a missing index is one line."""
    ix = Index(store)
    try:
        ix.searcher  # noqa: B018 - opening is what is being checked
    except StoreError as exc:
        fail(str(exc))
    return ix


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """Report a ``StoreError`` raised in the block (a damaged index, say) as the one-line error."""
    try:
        yield
    except StoreError as exc:
        fail(str(exc))


def ensure_default_index(store: IndexStore) -> None:
    """Build the default index from seeds/ when it is missing or older than seeds/.

    Only an index that was built from seeds/ (or none at all) is rebuilt: an index of the user's
    own folders is never replaced behind their back.
    """
    seeds = Path(DEFAULT_CORPUS)
    if not seeds.is_dir() or store.path != Path(DEFAULT_INDEX):
        return  # only the demo index beside seeds/ is built unasked (named or not)
    reason = demo_index_reason(store, seeds)
    if reason is None:
        return
    from searchkit.index.build import Progress

    note(f"{reason}; indexing {DEFAULT_CORPUS}/ into {store.path}/ …")
    report = Index(store).update(
        [seeds],
        rebuild=not store.is_current_schema(),
        progress=Progress(on_wait=lambda pid: note("waiting for another indexer…")),
    )
    note(
        f"indexed {report.articles} articles ({report.distinct} distinct) "
        f"from {report.files} files in {report.seconds:.1f} s"
    )


def _indexing_store(index: Path | None, paths: list[Path]) -> IndexStore:
    """Where `searchkit index PATHS` writes: the index named, or else — when the default is the
    demo index beside seeds/ and PATHS are the user's own folders — the user's index, so their
    folders do not mix with the demo (``--index index`` adds them to it on purpose)."""
    if index is not None:
        return IndexStore(index)
    store = IndexStore()
    demo = Path(DEFAULT_CORPUS).resolve()
    own = [p for p in paths if p.resolve() != demo]
    if own and store.path == Path(DEFAULT_INDEX):
        store = IndexStore(user_index_path())
        if not store.exists():
            note(f"indexing into your own index at {store.path} (the demo stays in index/)")
    return store


def _parse_day(value: str | None, option: str, end: bool) -> Any:
    if value is None:
        return None
    from searchkit.ingest.dates import user_date_span

    try:
        first, last = user_date_span(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None
    return last if end else first


# --- commands ---------------------------------------------------------------------------------------


@app.command("index")
def index_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders to add or re-scan [default: the folders the index already "
            "covers; seeds/ for a new index].",
            show_default=False,
        ),
    ] = None,
    index: IndexOpt = None,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Start over: index only PATHS (or the remembered roots)."),
    ] = False,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Then keep indexing as files appear, change or go."),
    ] = False,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help="Only files matching this glob (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Skip files and folders matching this glob (repeatable)."),
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option("--max-size", help="Skip files larger than this (e.g. 20MB) [default: 50MB]."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes reading files [default: one per core]."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="ADDRESS",
            help="Read the files and find duplicates on a Dask cluster: tcp://HOST:PORT of a "
            "scheduler (the files at the same paths on every worker), or local:N for N local "
            "worker processes (needs Dask: the cluster extra); --watch batches are read here.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 3 when any file was skipped.")
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail instead of waiting for another indexer.")
    ] = False,
) -> None:
    """Add PATHS to the index, or bring it up to date: only new and changed files are read."""
    from searchkit.index.build import Progress
    from searchkit.ingest.discover import FileFilters
    from searchkit.progress import ProgressBar, summary_text

    store = _indexing_store(index, paths or [])
    filters = None
    if include is not None or exclude is not None or max_size is not None:
        remembered = _remembered_options(store)
        filters = FileFilters(
            include=tuple(include if include is not None else remembered.get("include") or ()),
            exclude=tuple(exclude if exclude is not None else remembered.get("exclude") or ()),
            max_bytes=_parse_size(max_size)
            if max_size is not None
            else remembered.get("max_bytes"),
        )

    def waiting(pid: str) -> None:
        if not quiet:
            note(f"waiting for another indexer (pid {pid}) to finish…")

    show_bar = not (quiet or as_json) and sys.stderr.isatty()
    bar = ProgressBar(sys.stderr) if show_bar else None
    progress = bar.callbacks(on_wait=waiting) if bar else Progress(on_wait=waiting)
    try:
        with bar or contextlib.nullcontext():
            report = Index(store).update(
                paths or [],
                rebuild=rebuild,
                filters=filters,
                wait=not no_wait,
                progress=progress,
                workers=workers,
                default_roots=[DEFAULT_CORPUS],
                cluster=cluster,
            )
    except StoreError as exc:
        fail(str(exc))
    if as_json:
        emit_json(report.as_dict())
    elif not quiet:
        typer.echo(summary_text(report, str(store.path)))
    if strict and report.skipped:
        note(f"{len(report.skipped)} files skipped (--strict)")
        raise typer.Exit(3)
    if watch:
        _watch(store, quiet=quiet or as_json)


def _watch(store: IndexStore, *, quiet: bool) -> None:
    """Re-index the index's folders as files appear, change or go, until Ctrl+C."""
    from searchkit.index.watch import watch_index
    from searchkit.progress import summary_text

    def ran(outcome: Any) -> None:
        if isinstance(outcome, StoreError):
            note(f"not indexed: {outcome}")
        elif outcome.changed and not quiet:
            typer.echo(summary_text(outcome, str(store.path)))

    note("watching the index's folders for changes (Ctrl+C to stop)")
    try:
        watch_index(store, ran)
    except StoreError as exc:
        fail(str(exc))


def _remembered_options(store: IndexStore) -> dict[str, Any]:
    try:
        return store.meta().get("options") or {} if store.exists() else {}
    except StoreError:
        return {}


def _parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*", text, re.IGNORECASE)
    if not match:
        raise typer.BadParameter(
            f"{text!r} is not a size like 20MB or 500k", param_hint="--max-size"
        )
    units = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    unit = (match.group(2) or "").lower()[:1]
    size = int(float(match.group(1)) * units[unit])
    if size < 1:  # 0 used to mean "no cap given", i.e. the 50 MB default, without a word
        raise typer.BadParameter(
            f"{text!r}: the size cap must be at least 1 byte", param_hint="--max-size"
        )
    return size


@app.command("search")
def search_cmd(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="QUERY...",
            help='Words (quoted or not), "phrases", AND/OR/NOT, field:value, wild*.',
        ),
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="Hits per page.")
    ] = 10,
    page: Annotated[int, typer.Option("--page", "-p", min=1, help="Page of results.")] = 1,
    author: Annotated[
        list[str] | None, typer.Option("--author", help="Only articles by this author.")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Only articles from this site.")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Only articles in this category.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Published on/after (YYYY[-MM[-DD]]).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Published on/before (YYYY[-MM[-DD]]).")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", min=1, max=9999, help="Only articles of this year.")
    ] = None,
    sort: Annotated[Sort, typer.Option("--sort", help="Order of the results.")] = Sort.relevance,
    facets: Annotated[
        bool,
        typer.Option("--facets", help="Also count the results by site, author, year, category."),
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each hit's score by field and term.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show each hit's score.")
    ] = False,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.001,
            help="Seconds the search may take; past them it shows what it found by then.",
        ),
    ] = None,
    no_correct: Annotated[
        bool,
        typer.Option("--no-correct", help="Search the words as typed: no spelling correction."),
    ] = False,
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    index: IndexOpt = None,
    version: VersionOpt = False,
) -> None:
    """Search the index; copies of one story show once."""
    from searchkit.query.searcher import QueryError
    from searchkit.render import Style, results_json, results_text

    query = " ".join(words)  # `search moon lander NASA` needs no quotes

    since_day = _parse_day(since, "--since", end=False)
    until_day = _parse_day(until, "--until", end=True)
    store = _store(index)
    try:
        ensure_default_index(store)
    except StoreError as exc:
        fail(str(exc))
    ix = _open_index(store)
    try:
        results = ix.search(
            query,
            author=author or [],
            site=site,
            category=category,
            year=year,
            since=since_day,
            until=until_day,
            page=page,
            limit=limit,
            sort=sort.value,
            facets=facets or as_json,
            explain=explain,
            time_limit=time_limit,
            correct=not no_correct,
        )
    except QueryError as exc:
        fail(str(exc), code=2)
    except StoreError as exc:
        fail(str(exc))
    finally:
        ix.close()
    if as_json:
        emit_json(results_json(results))
    else:
        style = Style.for_stream(sys.stdout, color.value)
        in_force = _filters_in_force(
            author=author, site=site, category=category, year=year, since=since, until=until
        )
        text = results_text(
            results,
            style,
            facets=facets,
            scores=verbose or explain,
            filters=in_force,
            width=_terminal_width(),
        )
        typer.echo(text, color=style.enabled)


def _filters_in_force(**given: object) -> list[str]:
    """The filter options given, as typed: ``--site nypost.com``, one per author."""
    shown = []
    for name, value in given.items():
        for one in value if isinstance(value, list) else [value]:
            if one is not None:
                shown.append(f"--{name} {one}")
    return shown


def _terminal_width() -> int | None:
    """The terminal's width to wrap results to; None when the output is not a terminal (a pipe
    or a file keeps each line whole, for grep)."""
    import shutil

    if not sys.stdout.isatty():
        return None
    return max(40, shutil.get_terminal_size().columns)


def _article_or_fail(ix: Index, article_id: str):
    """The article with this id (or unique id prefix); a one-line error when there is none."""
    from searchkit.query.searcher import ArticleNotFound

    try:
        return ix.article(article_id)
    except ArticleNotFound as exc:
        fail(str(exc))


@app.command("similar")
def similar_cmd(
    article_id: ArticleIdArg,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=100, help="How many articles.")
    ] = 10,
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    index: IndexOpt = None,
) -> None:
    """Articles most like article ID (more like this); its own copies are left out."""
    from searchkit.render import Style, similar_json, similar_text

    with _open_index(_store(index)) as ix, _store_errors():
        article = _article_or_fail(ix, article_id)
        hits = ix.similar(article.id, limit=limit)
    if as_json:
        emit_json(similar_json(article.id, hits))
    else:
        style = Style.for_stream(sys.stdout, color.value)
        typer.echo(similar_text(article, hits, style), color=style.enabled)


@app.command("show")
def show_cmd(
    article_id: ArticleIdArg,
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    index: IndexOpt = None,
) -> None:
    """Print one article: its metadata, cleaned text and other copies."""
    from searchkit.render import Style, article_json, article_text

    with _open_index(_store(index)) as ix, _store_errors():
        article = _article_or_fail(ix, article_id)
    if as_json:
        emit_json(article_json(article))
    else:
        style = Style.for_stream(sys.stdout, color.value)
        typer.echo(article_text(article, style), color=style.enabled)


@app.command("dups")
def dups_cmd(
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    index: IndexOpt = None,
) -> None:
    """List stories saved more than once, with the source of every copy."""
    from searchkit.render import Style, clusters_json, clusters_text

    with _open_index(_store(index)) as ix, _store_errors():
        clusters = ix.duplicates()
    if as_json:
        emit_json(clusters_json(clusters))
    else:
        style = Style.for_stream(sys.stdout, color.value)
        typer.echo(clusters_text(clusters, style), color=style.enabled)


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@app.command("export")
def export_cmd(
    words: Annotated[
        list[str] | None,
        typer.Argument(metavar="[QUERY]...", help="Export this query's results [default: all]."),
    ] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = (
        ExportFormat.jsonl
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file [default: stdout].")
    ] = None,
    index: IndexOpt = None,
) -> None:
    """Every article, or a query's results in rank order, with every field: CSV or JSON Lines."""
    from searchkit.query.searcher import QueryError

    query = " ".join(words) if words else None
    with _open_index(_store(index)) as ix, _store_errors():
        try:
            if output is None:
                count = ix.export(sys.stdout, fmt.value, query)
            else:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    count = ix.export(out, fmt.value, query)
        except QueryError as exc:
            fail(str(exc), code=2)
        except BrokenPipeError:  # `searchkit export | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            fail(f"cannot write {output or 'the output'}: {exc.strerror or exc}")
    if output is not None:
        note(f"exported {count} {'article' if count == 1 else 'articles'} to {output}")


@app.command("roots")
def roots_cmd(as_json: JsonOpt = False, index: IndexOpt = None) -> None:
    """The folders the index covers, with how many files and articles each holds."""
    store = _store(index)
    if not store.exists():
        fail(f"no index at {store.path}; build one with `searchkit index PATH`")
    with Index(store) as ix, _store_errors():
        roots = ix.roots()
    if as_json:
        emit_json({"roots": roots})
        return
    for root in roots:
        gone = "" if root["exists"] else "  (not found now: its articles stay until forgotten)"
        typer.echo(
            safe_text(f"{root['path']}  {root['files']} files, {root['articles']} articles{gone}")
        )


@app.command("forget")
def forget_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Indexed folders to drop, with their articles.")],
    index: IndexOpt = None,
) -> None:
    """Drop folders from the index (their files stay on disk)."""
    from searchkit.index.roots import NotARoot

    store = _store(index)
    if not store.exists():
        fail(f"no index at {store.path}; build one with `searchkit index PATH`")
    try:
        with Index(store) as ix, _store_errors():
            report = ix.forget(paths)
    except NotARoot as exc:
        fail(str(exc))
    removed = report.articles_removed
    note(
        f"forgot {', '.join(str(p) for p in paths)}: {removed} "
        f"{'article' if removed == 1 else 'articles'} removed, {report.articles} left"
    )


@app.command("stats")
def stats_cmd(as_json: JsonOpt = False, index: IndexOpt = None) -> None:
    """Counts of articles, duplicates, sources and skipped files."""
    from searchkit.render import stats_text

    with _open_index(_store(index)) as ix, _store_errors():
        stats = ix.stats()
    if as_json:
        emit_json(stats)
    else:
        typer.echo(stats_text(stats))


@app.command("serve")
def serve_cmd(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you say so).")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = DEFAULT_PORT,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Server processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request to stderr.")
    ] = False,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            min=0.01,
            help="Seconds each search may take before it answers with what it found by then.",
        ),
    ] = SEARCH_TIME_LIMIT,
    index: IndexOpt = None,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Also index files as they appear, change or go."),
    ] = False,
) -> None:
    """Serve the search page and the JSON API on this machine (http://127.0.0.1:8732/)."""
    import threading

    from searchkit.web.server import ServeError, is_loopback, serve

    store = _store(index)
    try:
        ensure_default_index(store)
        if not store.exists():
            store.meta()  # raises the "no index at …; build one with …" error
    except StoreError as exc:
        fail(str(exc))
    if not is_loopback(host):
        note(
            f"warning: listening on {host}, beyond this machine's loopback: anyone who can "
            f"reach port {port} can read everything in the index"
        )
    stop = threading.Event()
    watcher = None
    if watch:  # one watcher in this process, however many server processes: one writer
        from searchkit.index.watch import watch_index

        def ran(outcome: Any) -> None:
            if isinstance(outcome, StoreError):
                note(f"not indexed: {outcome}")
            elif outcome.changed:
                note(f"re-indexed: {outcome.articles} articles ({outcome.distinct} distinct)")

        watcher = threading.Thread(
            target=watch_index, args=(store, ran), kwargs={"stop": stop}, daemon=True
        )
        watcher.start()
    try:
        serve(
            store,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            time_limit=time_limit,
            on_ready=lambda url: note(f"serving {store.path}/ at {url} (Ctrl+C to stop)"),
        )
    except ServeError as exc:
        fail(str(exc))
    finally:
        stop.set()
        if watcher is not None:
            watcher.join(timeout=5)


@app.command("eval")
def eval_cmd(
    collection: Annotated[
        Path | None,
        typer.Argument(
            help="A test collection folder (BEIR: corpus.jsonl, queries.jsonl, qrels/; or SMART: "
            "*.all, *.qry or query.text, *qrel*).",
            show_default=False,
        ),
    ] = None,
    judged: Annotated[
        Path | None,
        typer.Option(
            "--judged",
            help="A judged query set (JSON) to run against the index instead of a collection.",
        ),
    ] = None,
    peers: Annotated[
        bool,
        typer.Option(
            "--peers/--no-peers",
            help="Also run SQLite FTS5, stock Whoosh, tantivy and bm25s (those installed).",
        ),
    ] = True,
    as_json: JsonOpt = False,
    index: IndexOpt = None,
) -> None:
    """Measure ranking quality: nDCG@10, MRR@10 and Recall@100 (with peers, same run)."""
    from searchkit import evaluate

    if (collection is None) == (judged is None):
        fail("give a collection folder or --judged FILE (one of them)", code=2)
    try:
        if collection is not None:
            loaded, scores = evaluate.evaluate_collection(collection, peers=peers)
            name = f"{loaded.name} ({len(loaded.documents)} documents)"
        elif judged is not None:
            queries = evaluate.load_judged(judged)
            store = _store(index)
            try:
                ensure_default_index(store)
            except StoreError as exc:
                fail(str(exc))
            with _open_index(store) as ix, _store_errors(), store.reporting_damage():
                scores = [evaluate.evaluate_judged(ix.searcher, queries)]
            name = f"{judged.name} over {store.path}/"
    except evaluate.EvalError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"collection": name, "systems": [s.as_dict() for s in scores]})
    else:
        typer.echo(evaluate.report_text(name, scores))


# --- entry points -----------------------------------------------------------------------------------

search_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
search_app.command(help="Search the index (same as `searchkit search`).")(search_cmd)


# typer 0.28 vendors click (typer._click) and exports only some of its exceptions; its
# UsageError is the base of the BadParameter it does export, whichever click is underneath.
_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)


def _run(typer_app: typer.Typer) -> None:
    try:
        # standalone_mode=False: usage errors come back as exceptions, to be told in one line
        # rather than typer's six-line box
        code = typer_app(standalone_mode=False)
    except _USAGE_ERROR as exc:  # a bad option or value, a missing argument
        _usage_error(exc)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("searchkit: interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except StoreError as exc:  # no index, a damaged one, a full disk: the message is the line
        typer.echo(f"searchkit: error: {safe_text(str(exc))}", err=True)
        sys.exit(1)
    except Exception as exc:  # the promise: one line, never a traceback
        if os.environ.get("SEARCHKIT_DEBUG"):
            raise
        typer.echo(f"searchkit: error: {type(exc).__name__}: {safe_text(str(exc))}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: Any) -> NoReturn:
    """One line for click's UsageError (``exc``: typed Any, the class is found at run time)."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # `searchkit` alone: the help, as before
        exc.show()
        sys.exit(exc.exit_code)
    command = exc.ctx.command_path if exc.ctx else "searchkit"
    message = safe_text(exc.format_message())
    typer.echo(f"searchkit: error: {message} (see `{command} --help`)", err=True)
    sys.exit(exc.exit_code)


def main() -> None:
    _run(app)


def search_main() -> None:
    _run(search_app)
