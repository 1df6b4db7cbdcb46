"""Turning results into what the CLI prints: terminal text (colour optional) and JSON-ready dicts.

The dict shapes here are the scriptable contract (`search --json`, `show --json`, `stats --json`)
that the web API reuses, so the terminal and the API never disagree.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from typing import Any

from searchkit.models import (
    DuplicateRef,
    FacetCount,
    Hit,
    ScorePart,
    SearchResults,
    StoredArticle,
    web_url,
)
from searchkit.query import snippets
from searchkit.terminal import safe_text


class Style:
    """ANSI styling that switches itself off when output is not a terminal or NO_COLOR is set.

    Why markers rather than ANSI codes at once: the text being styled comes from scraped pages and
    may carry escape sequences of its own (OSC 52 clipboard writes, fake links). While lines are
    built, bold/dim/highlight are Unicode noncharacters (reserved for a program's internal use,
    never text); ``finish`` strips every control sequence from the whole text and only then turns
    the markers into our ANSI codes, so no field can be forgotten and only our styling reaches the
    terminal.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        # Links (OSC 8) carry a URL between markers; a token only this object knows closes each
        # marker, so a page that writes the marker characters into its text cannot open one.
        self._token = secrets.token_hex(8)
        self._link = re.compile(
            f"{_LINK_OPEN}{self._token}(?P<url>[^{_LINK_OPEN}{_LINK_SEP}]*){_LINK_SEP}{self._token}"
            f"(?P<text>.*?){_LINK_CLOSE}{self._token}",
            re.DOTALL,
        )

    @classmethod
    def for_stream(cls, stream: Any = None, mode: str = "auto") -> Style:
        if mode == "always":
            return cls(True)
        if mode == "never" or os.environ.get("NO_COLOR"):
            return cls(False)
        stream = stream or sys.stdout
        return cls(bool(getattr(stream, "isatty", lambda: False)()))

    def _wrap(self, mark: str, text: str) -> str:
        return f"{mark}{text}{_RESET}" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self._wrap(_BOLD, text)

    def dim(self, text: str) -> str:
        return self._wrap(_DIM, text)

    def link(self, text: str, url: str | None) -> str:
        """``text`` as a terminal hyperlink to ``url`` (OSC 8; terminals without them show the
        text alone). Only an http(s) URL becomes a link (``web_url``)."""
        url = web_url(url)
        if not (self.enabled and url and text):
            return text
        token = self._token
        return f"{_LINK_OPEN}{token}{url}{_LINK_SEP}{token}{text}{_LINK_CLOSE}{token}"

    def snippet(self, snippet: snippets.Snippet) -> str:
        if self.enabled:
            return snippets.to_marked(snippet, _MATCH, _RESET)
        return snippets.to_plain(snippet)

    def finish(self, text: str) -> str:
        """The built text, ready to print: page-borne control sequences gone, markers made ANSI
        (or dropped when styling is off)."""
        text = safe_text(text)
        if not self.enabled:
            return _MARKERS.sub("", self._link.sub(lambda m: m.group("text"), text))
        text = self._link.sub(
            lambda m: f"\x1b]8;;{m.group('url')}\x1b\\{m.group('text')}\x1b]8;;\x1b\\", text
        )
        return _MARKERS.sub(lambda m: _ANSI.get(m.group(), ""), text)


_BOLD, _DIM, _MATCH, _RESET = "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3"
_LINK_OPEN, _LINK_SEP, _LINK_CLOSE = "\ufdd4", "\ufdd5", "\ufdd6"
_ANSI = {_BOLD: "\x1b[1m", _DIM: "\x1b[2m", _MATCH: "\x1b[1;33m", _RESET: "\x1b[0m"}
# every marker character, ours or a page's: those left after styling are dropped
_MARKERS = re.compile(f"[{_BOLD}{_DIM}{_MATCH}{_RESET}{_LINK_OPEN}{_LINK_SEP}{_LINK_CLOSE}]")


# --- JSON shapes ------------------------------------------------------------------------------------


def refs_json(refs: list[DuplicateRef]) -> list[dict[str, Any]]:
    return [{"id": r.id, "source": r.source, "similarity": r.similarity} for r in refs]


def hit_json(hit: Hit) -> dict[str, Any]:
    data = {
        "rank": hit.rank,
        "id": hit.id,
        "title": hit.title,
        "title_derived": hit.title_derived,
        "authors": hit.authors,
        "date": hit.date.isoformat() if hit.date else None,
        "site": hit.site,
        "category": hit.category,
        "source": hit.source,
        "url": hit.url,
        "score": hit.score,
        "snippet": snippets.to_html(hit.snippet),
        "duplicates": refs_json(hit.duplicates),
    }
    if hit.explanation is not None:
        data["explanation"] = [
            {"field": p.field, "term": p.term, "score": round(p.score, 4)} for p in hit.explanation
        ]
    return data


def facets_json(facets: dict[str, list[FacetCount]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{"value": c.value, "count": c.count} for c in counts]
        for name, counts in facets.items()
    }


def results_json(results: SearchResults) -> dict[str, Any]:
    return {
        "query": results.query,
        "total": results.total,
        "page": results.page,
        "limit": results.limit,
        "sort": results.sort,
        "corrected": results.corrected,
        "complete": results.complete,
        "suggested": results.suggested,
        "correct": results.correct,
        "all_words": results.all_words,
        "notices": results.notices,
        "facets": facets_json(results.facets),
        "hits": [hit_json(h) for h in results.hits],
    }


def similar_json(article_id: str, hits: list[Hit]) -> dict[str, Any]:
    return {"id": article_id, "hits": [hit_json(h) for h in hits]}


def article_json(article: StoredArticle) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "title_derived": article.title_derived,
        "summary": article.summary,
        "authors": article.authors,
        "date": article.date.isoformat() if article.date else None,
        "year": article.year,
        "site": article.site,
        "category": article.category,
        "tags": article.tags,
        "source": article.source,
        "url": article.url,
        "position": article.position,
        "canonical_id": article.canonical_id,
        "text": article.text,
        "duplicates": refs_json(article.duplicates),
    }


def clusters_json(clusters: list[StoredArticle]) -> dict[str, Any]:
    return {
        "clusters": [
            {
                "canonical": {"id": c.id, "title": c.title, "source": c.source},
                "duplicates": refs_json(c.duplicates),
            }
            for c in clusters
        ]
    }


# --- terminal ---------------------------------------------------------------------------------------


def byline(authors: list[str], date, site: str | None, source: str) -> str:
    parts = []
    if authors:
        parts.append(", ".join(authors))
    if date:
        parts.append(date.isoformat())
    if site:
        parts.append(site)
    parts.append(source)
    return " · ".join(parts)


def results_text(
    results: SearchResults,
    style: Style,
    *,
    facets: bool = False,
    scores: bool = False,
    filters: list[str] | None = None,
    width: int | None = None,
) -> str:
    """The terminal page: notices, the count, each hit (with its score when ``scores``), facets.

    ``filters`` are the filter options in force, as typed, named when nothing is found; ``width``
    wraps each hit's lines to a terminal that wide (None: lines kept whole).
    """
    lines: list[str] = []
    if results.corrected:
        lines.append(
            f"Showing results for {style.bold(repr(results.corrected))} "
            f"(no close match for {results.query!r})."
        )
        lines.append(f"Search instead for {results.query!r}: add --no-correct.")
    if results.suggested:
        lines.append(f"Did you mean {style.bold(repr(results.suggested))}?")
    for notice in results.notices:
        lines.append(style.dim(notice))
    shown = results.corrected or results.query
    if not results.hits:
        if results.total and results.page > 1:
            lines.append(f"No results on page {results.page} ({results.total} in all).")
        elif filters:
            lines.append(f"No results for {shown!r} with {' '.join(filters)}.")
            lines.append(style.dim("Drop a filter to search every article."))
        else:
            lines.append(f"No results for {shown!r}.")
        return style.finish("\n".join(lines))
    first = results.hits[0].rank
    last = results.hits[-1].rank
    noun = "result" if results.total == 1 else "results"
    order = "" if results.sort == "relevance" else f", {results.sort} first"
    lines.append(f"{results.total} {noun} for {shown!r} (showing {first}–{last}{order})")
    for hit in results.hits:
        lines.append("")
        if starts_partial(results, hit.rank):
            lines.append(style.dim(PARTIAL_DIVIDER))
            lines.append("")
        lines.extend(hit_lines(hit, style, scores=scores, width=width))
    if facets and results.facets:
        lines.append("")
        lines.extend(facets_lines(results.facets, style))
    if last < results.total:
        lines.append("")
        lines.append(style.dim(f"More: --page {results.page + 1}"))
    return style.finish("\n".join(lines))


PARTIAL_DIVIDER = "--- articles with some of the words ---"


def starts_partial(results: SearchResults, rank: int) -> bool:
    """Whether the hit at ``rank`` is the first with only some of the words (after all-word ones).

    Only a page that has full matches above it marks the boundary: with none, the notice says
    that every hit holds only some of the words.
    """
    return results.all_words is not None and results.all_words > 0 and rank == results.all_words + 1


def hit_lines(
    hit: Hit, style: Style, *, scores: bool = False, width: int | None = None
) -> list[str]:
    # the title links to the original; wrapped first, so the URL does not count towards the width
    prefix = f"{hit.rank:>2}. "
    title = _wrapped(prefix, style.bold(hit.title), width)
    lines = [line[: len(prefix)] + style.link(line[len(prefix) :], hit.url) for line in title]
    meta = byline(hit.authors, hit.date, hit.site, hit.source)
    if scores:
        meta += f" · score {hit.score:.2f}"
    lines.extend(_wrapped("    ", style.dim(meta), width))
    lines.extend(_wrapped("    ", style.snippet(hit.snippet), width))
    if hit.url:
        lines.append("    " + hit.url)  # whole, never wrapped: a terminal finds it as one link
    tail = f"id {hit.id}"
    if hit.duplicates:
        n = len(hit.duplicates)
        where = ", ".join(d.source for d in hit.duplicates[:3])
        tail += f" · (+{n} similar {'copy' if n == 1 else 'copies'}: {where})"
    lines.append("    " + style.dim(tail))
    if hit.explanation is not None:
        lines.extend("    " + line for line in explanation_lines(hit.explanation))
    return lines


def _wrapped(indent: str, text: str, width: int | None) -> list[str]:
    """``text`` after ``indent``, wrapped to ``width`` with the indent kept (colour codes count
    towards the width, so a highlighted line wraps a little early, never late)."""
    if width is None or len(indent) + len(text) <= width:
        return [indent + text]
    import textwrap

    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=" " * len(indent),
        break_long_words=False,
        break_on_hyphens=False,
    )


def explanation_lines(parts: list[ScorePart]) -> list[str]:
    """The score as a sum: one line per field and term, largest first, then the total."""
    if not parts:
        return ["score: no scoring terms (matched by filters or operators only)"]
    width = max(len(p.field) for p in parts)
    lines = ["score breakdown (field, term, points):"]
    for part in sorted(parts, key=lambda p: -p.score):
        lines.append(f"  {part.field:<{width}}  {part.term:<24} {part.score:8.3f}")
    lines.append(f"  {'total':<{width}}  {'':<24} {sum(p.score for p in parts):8.3f}")
    return lines


FACET_TITLES = {"site": "Sites", "author": "Authors", "year": "Years", "category": "Categories"}


def facets_lines(facets: dict[str, list[FacetCount]], style: Style, top: int = 8) -> list[str]:
    """One line per facet: its most frequent values with their story counts."""
    lines = [style.bold("Refine:")]
    for name, counts in facets.items():
        if not counts:
            continue
        shown = ", ".join(f"{c.value} ({c.count})" for c in counts[:top])
        more = f", … {len(counts) - top} more" if len(counts) > top else ""
        lines.append(f"  {FACET_TITLES.get(name, name)}: {shown}{more}")
    return lines


def similar_text(article: StoredArticle, hits: list[Hit], style: Style) -> str:
    lines = [f"Articles like {style.bold(article.title)} ({article.id}):"]
    if not hits:
        lines.append("No similar articles found.")
    for hit in hits:
        lines.append("")
        lines.extend(hit_lines(hit, style))
    return style.finish("\n".join(lines))


def article_text(article: StoredArticle, style: Style) -> str:
    lines = [style.bold(article.title)]
    if article.summary:
        lines.append(article.summary)
    lines.append(style.dim(byline(article.authors, article.date, article.site, article.source)))
    if article.url:
        lines.append(article.url)
    facts = [f"id {article.id}"]
    if article.category:
        facts.append(f"category {article.category}")
    if article.title_derived:
        facts.append("title derived from the text")
    lines.append(style.dim(" · ".join(facts)))
    lines.append("")
    lines.append(article.text)
    if article.duplicates:
        lines.append("")
        label = "Other copies" if article.id == article.canonical_id else "Copies"
        lines.append(style.bold(f"{label} of this story:"))
        for ref in article.duplicates:
            mark = " (shown in results)" if ref.id == article.canonical_id else ""
            lines.append(f"  {ref.id}  {ref.source}{mark}")
    return style.finish("\n".join(lines))


def clusters_text(clusters: list[StoredArticle], style: Style) -> str:
    if not clusters:
        return "No duplicate copies found."
    lines = [f"{len(clusters)} {'story has' if len(clusters) == 1 else 'stories have'} copies:"]
    for c in clusters:
        lines.append("")
        lines.append(style.bold(c.title))
        lines.append(f"  shown:  {c.id}  {c.source}")
        for ref in c.duplicates:
            lines.append(f"  copy:   {ref.id}  {ref.source}  (similarity {ref.similarity:.2f})")
    return style.finish("\n".join(lines))


def stats_text(stats: dict[str, Any]) -> str:
    lines = [
        f"articles:   {stats['articles']} ({stats['distinct_articles']} distinct, "
        f"{stats['duplicates']} duplicate {'copy' if stats['duplicates'] == 1 else 'copies'} "
        f"in {stats['duplicate_clusters']} "
        f"{'cluster' if stats['duplicate_clusters'] == 1 else 'clusters'})",
        f"sources:    {stats['sources']} files",
        f"skipped:    {len(stats['skipped'])} files",
    ]
    for skip in stats["skipped"][:20]:
        lines.append(f"  {skip['source']}: {skip['reason']}")
    lines.append(f"index:      {stats['index']} (built {stats['built_at']})")
    return safe_text("\n".join(lines))
