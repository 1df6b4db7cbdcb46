"""Main text on trafilatura's own evaluation set (923 judged pages): searchkit vs trafilatura, one run.

    python -m bench.extraction_snippets [--quick | --limit N] [--half H] [--show FILE] [--misses EXTRACTOR]

The pages and judgments are ``../shared/extraction/trafilatura-eval`` (see its README): per page, a
few snippets the main text must contain ("with") and a few it must not ("without": navigation,
footers, bylines, imprints, related links). Scoring is the set's own: after collapsing whitespace,
a "with" snippet found in the text is a true positive (missed: a false negative), a "without"
snippet found is a false positive (absent: a true negative); precision, recall, F1 and accuracy
over all snippets.

What each extractor's "text" is:
- searchkit: what ``searchkit index`` stores for the page — the bodies of the articles it splits
  the page into (titles are their own field, not text), from bytes through our own decoding;
- trafilatura: ``trafilatura.extract`` on the bytes with its evaluation's settings (no comments,
  tables kept, no formatting).

The entries are split into two halves by a hash of the file name — a tuning half (even) and a
checking half (odd) — so a change chosen on one can be checked on the other (the brief's
"generalize, don't fit"). trafilatura is tuned on this whole set: this is its home ground.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from bench.common import SHARED

DATA = SHARED / "extraction" / "trafilatura-eval"
QUICK_PAGES = 60


@dataclass(slots=True)
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    seconds: float = 0.0
    pages: int = 0
    empty: int = 0

    def add(self, other: Tally) -> None:
        for name in ("tp", "fp", "fn", "tn", "seconds", "pages", "empty"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def scores(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        total = self.tp + self.fp + self.fn + self.tn
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "accuracy": (self.tp + self.tn) / total if total else 0.0,
        }


@dataclass(slots=True)
class PageResult:
    file: str
    half: str
    tallies: dict[str, Tally] = field(default_factory=dict)
    missed: dict[str, list[str]] = field(default_factory=dict)  # extractor -> snippets gone wrong


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def searchkit_text(raw: bytes, name: str) -> str:
    from searchkit.ingest.decode import decode
    from searchkit.ingest.html import html_articles
    from searchkit.models import Page, SourceFile

    html, _ = decode(raw, html=True)
    page = Page(SourceFile(name, name, len(raw), 0.0), html, kind="html")
    return "\n\n".join(article.body for article in html_articles(page))


def trafilatura_text(raw: bytes, name: str) -> str:
    import trafilatura

    return (
        trafilatura.extract(
            raw, include_comments=False, include_tables=True, include_formatting=False
        )
        or ""
    )


EXTRACTORS: dict[str, Callable[[bytes, str], str]] = {
    "searchkit": searchkit_text,
    "trafilatura": trafilatura_text,
}


def half_of(name: str) -> str:
    return "tuning" if zlib.crc32(name.encode()) % 2 == 0 else "checking"


def score_page(item: tuple[str, dict]) -> PageResult:
    name, judged = item
    raw = gzip.decompress((DATA / "pages" / f"{name}.gz").read_bytes())
    result = PageResult(name, half_of(name))
    for label, extract in EXTRACTORS.items():
        started = time.perf_counter()
        try:
            text = extract(raw, name)
        except Exception as error:  # a crash is a full miss, as a failing library would be
            text = ""
            print(f"{label} failed on {name}: {type(error).__name__}: {error}")
        tally = Tally(seconds=time.perf_counter() - started, pages=1, empty=int(not text.strip()))
        found = _collapse(text)
        wrong = []
        for snippet in judged["with"]:
            if _collapse(snippet) in found:
                tally.tp += 1
            else:
                tally.fn += 1
                wrong.append(f"missed: {snippet}")
        for snippet in judged["without"]:
            if _collapse(snippet) in found:
                tally.fp += 1
                wrong.append(f"kept: {snippet}")
            else:
                tally.tn += 1
        result.tallies[label] = tally
        result.missed[label] = wrong
    return result


def load(limit: int | None) -> list[tuple[str, dict]]:
    judged = json.loads((DATA / "evaldata.json").read_text(encoding="utf-8"))
    items = []
    for entry in judged.values():
        if (DATA / "pages" / f"{entry['file']}.gz").exists():
            items.append((entry["file"], entry))
    items.sort()
    return items[:limit] if limit else items


def run(items: list[tuple[str, dict]], workers: int) -> list[PageResult]:
    if workers <= 1:
        return [score_page(item) for item in items]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(score_page, items, chunksize=8))


def summarise(results: list[PageResult]) -> dict[str, dict[str, dict[str, float]]]:
    table: dict[str, dict[str, dict[str, float]]] = {}
    for label in EXTRACTORS:
        per_half: dict[str, Tally] = {"tuning": Tally(), "checking": Tally(), "all": Tally()}
        for page in results:
            per_half[page.half].add(page.tallies[label])
            per_half["all"].add(page.tallies[label])
        table[label] = {
            half: {
                **tally.scores(),
                "pages": tally.pages,
                "empty": tally.empty,
                "ms_per_page": 1000 * tally.seconds / max(tally.pages, 1),
            }
            for half, tally in per_half.items()
        }
    return table


def report(table: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        f"{'extractor':<12} {'half':<9} {'pages':>5} {'precision':>9} {'recall':>7} {'F1':>6} "
        f"{'accuracy':>8} {'empty':>5} {'ms/page':>8}"
    ]
    for label, halves in table.items():
        for half, s in halves.items():
            lines.append(
                f"{label:<12} {half:<9} {s['pages']:>5} {s['precision']:>9.3f} {s['recall']:>7.3f} "
                f"{s['f1']:>6.3f} {s['accuracy']:>8.3f} {s['empty']:>5} {s['ms_per_page']:>8.1f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction_snippets", description=__doc__)
    parser.add_argument("--limit", type=int, help="the first N pages only")
    parser.add_argument("--quick", action="store_true", help=f"the first {QUICK_PAGES} pages only")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--show", help="print every extractor's text for one page (its file name)")
    parser.add_argument(
        "--misses", choices=sorted(EXTRACTORS), help="list the snippets this extractor got wrong"
    )
    parser.add_argument("--half", choices=("tuning", "checking"), help="only this half's pages")
    args = parser.parse_args(argv)
    if not DATA.exists():
        raise SystemExit(f"no evaluation pages at {DATA}")
    if args.show:
        raw = gzip.decompress((DATA / "pages" / f"{args.show}.gz").read_bytes())
        for label, extract in EXTRACTORS.items():
            print(f"===== {label}\n{extract(raw, args.show)}\n")
        return {}
    items = load(QUICK_PAGES if args.quick else args.limit)
    if args.half:
        items = [item for item in items if half_of(item[0]) == args.half]
    results = run(items, args.workers)
    table = summarise(results)
    print(report(table))
    if args.misses:
        other = "trafilatura" if args.misses == "searchkit" else "searchkit"
        for page in results:
            only_here = sorted(set(page.missed[args.misses]) - set(page.missed[other]))
            for line in only_here:
                print(f"{page.file}\t{line[:120]}")
    return {"extraction_snippets": table}


if __name__ == "__main__":
    main()
