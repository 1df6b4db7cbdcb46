"""Main-text and metadata extraction from real news pages: searchkit vs trafilatura, side by side.

    python -m bench.extraction [--quick]

The pages and their hand-checked truth are in bench/extraction/ (see its README for where they come
from). For every page, each extractor's main text is scored by token F1 against the truth (tokens:
words, or single characters of Chinese/Japanese text, as dedup splits them), and its title,
authors and date by exact match after normalising case, spacing and punctuation. Extractors:

- searchkit: what `searchkit index` ships — BeautifulSoup (lxml) for metadata and page structure,
  trafilatura for the main text;
- searchkit-own: the same with our own BeautifulSoup main-text scoring instead of trafilatura;
- trafilatura: trafilatura.bare_extraction alone (its own metadata too).

Also times BeautifulSoup's parsers (lxml vs html.parser) on the same pages. --quick: 6 pages.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass

from bench.common import ROOT
from searchkit.dedup import tokens
from searchkit.models import Page, SourceFile

DATA = ROOT / "bench" / "extraction"
QUICK_PAGES = 6


@dataclass(slots=True)
class Extracted:
    body: str
    title: str | None
    authors: list[str]
    date: str | None


def ours(html: str, name: str, body_extractor: str) -> Extracted:
    from searchkit.ingest.html import html_articles

    page = Page(SourceFile(name, name, len(html), 0.0), html, kind="html")
    articles = html_articles(page, body_extractor=body_extractor)
    if not articles:
        return Extracted("", None, [], None)
    main = max(articles, key=lambda a: len(a.body))
    return Extracted(
        main.body,
        None if main.title_derived else main.title,
        main.authors,
        main.date.isoformat() if main.date else None,
    )


def trafilatura_alone(html: str, name: str) -> Extracted:
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if doc is None:
        return Extracted("", None, [], None)
    authors = [a.strip() for a in re.split(r";|,(?! Jr)", doc.author or "") if a.strip()]
    return Extracted(doc.text or "", doc.title, authors, doc.date)


EXTRACTORS = {
    "searchkit": lambda html, name: ours(html, name, "trafilatura"),
    "searchkit-own": lambda html, name: ours(html, name, "own"),
    "trafilatura": trafilatura_alone,
}


def token_f1(predicted: str, truth: str) -> float:
    got, want = Counter(tokens(predicted)), Counter(tokens(truth))
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(got.values())
    recall = overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\W_]+", "", text)


def load(quick: bool) -> list[tuple[str, str, dict]]:
    truth = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
    names = sorted(truth)[:QUICK_PAGES] if quick else sorted(truth)
    pages = []
    for name in names:
        entry = truth[name]
        raw = (DATA / entry["file"]).read_bytes()
        from searchkit.ingest.decode import decode

        html, _ = decode(raw, html=True)
        entry = {**entry, "body": (DATA / entry["body"]).read_text(encoding="utf-8")}
        pages.append((name, html, entry))
    return pages


def score(pages) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for label, extract in EXTRACTORS.items():
        f1s, titles, authors, dates, seconds, rows = [], [], [], [], [], []
        for name, html, truth in pages:
            started = time.perf_counter()
            got = extract(html, name)
            seconds.append(time.perf_counter() - started)
            f1 = token_f1(got.body, truth["body"])
            title_ok = norm(got.title) == norm(truth["title"])
            authors_ok = sorted(map(norm, got.authors)) == sorted(map(norm, truth["authors"]))
            date_ok = (got.date or None) == truth["date"]
            f1s.append(f1)
            titles.append(title_ok)
            authors.append(authors_ok)
            dates.append(date_ok)
            rows.append((name, f1, title_ok, authors_ok, date_ok, got.title, got.authors, got.date))
        results[label] = {
            "pages": len(pages),
            "body_f1_mean": statistics.mean(f1s),
            "body_f1_median": statistics.median(f1s),
            "title_accuracy": sum(titles) / len(pages),
            "author_accuracy": sum(authors) / len(pages),
            "date_accuracy": sum(dates) / len(pages),
            "ms_per_page": 1000 * statistics.mean(seconds),
            "rows": rows,
        }
    return results


def parser_speed(pages, rounds: int) -> dict[str, float]:
    """ms per page for each BeautifulSoup parser: per page, the best of ``rounds`` alternating runs."""
    from bs4 import BeautifulSoup

    totals = {"lxml": 0.0, "html.parser": 0.0}
    for _, html, _ in pages:
        best = {name: float("inf") for name in totals}
        for _ in range(rounds):
            for name in totals:  # alternating, so both see the same machine load
                started = time.perf_counter()
                BeautifulSoup(html, name)
                best[name] = min(best[name], time.perf_counter() - started)
        for name in totals:
            totals[name] += best[name]
    return {name: 1000 * total / len(pages) for name, total in totals.items()}


def report(results: dict[str, dict], parsers: dict[str, float], verbose: bool) -> str:
    lines = [
        f"{'extractor':<14} {'body F1 mean':>12} {'median':>7} {'title':>6} {'authors':>8} "
        f"{'date':>6} {'ms/page':>8}"
    ]
    for label, r in results.items():
        lines.append(
            f"{label:<14} {r['body_f1_mean']:>12.3f} {r['body_f1_median']:>7.3f} "
            f"{r['title_accuracy']:>6.2f} {r['author_accuracy']:>8.2f} {r['date_accuracy']:>6.2f} "
            f"{r['ms_per_page']:>8.1f}"
        )
    lines.append("")
    lines.append(
        f"BeautifulSoup parse, ms/page: lxml {parsers['lxml']:.1f}, html.parser "
        f"{parsers['html.parser']:.1f} (html.parser / lxml = "
        f"{parsers['html.parser'] / parsers['lxml']:.2f}x)"
    )
    if verbose:
        lines.append("")
        for label, r in results.items():
            lines.append(f"-- {label}")
            for name, f1, t, a, d, title, authors, date in r["rows"]:
                flags = "".join(c if ok else "." for c, ok in zip("TAD", (t, a, d), strict=True))
                lines.append(f"   {name:<22} F1 {f1:.2f} {flags}  {title!r:.60} {authors} {date}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PAGES} pages only")
    parser.add_argument("--verbose", "-v", action="store_true", help="per-page results")
    args = parser.parse_args(argv)
    pages = load(args.quick)
    results = score(pages)
    parsers = parser_speed(pages, rounds=2 if args.quick else 7)
    print(report(results, parsers, args.verbose))
    return {
        "extraction": {k: {m: v for m, v in r.items() if m != "rows"} for k, r in results.items()},
        "parsers": parsers,
    }


if __name__ == "__main__":
    main()
