"""Stage 3 — segment: ``Page`` -> ``list[Article]``, boilerplate stripped, metadata lifted out.

HTML pages go to ``segment.html``, Markdown to ``segment.markdown``, JSON Lines to ``segment.jsonl``;
this module reads scraped text dumps (the seeds), described below.

A saved page rarely holds one article. News sites append related stories after the main one (each
opened by a header: section label, headline, standfirst, author, "Published"), archive pages list many
posts (a headline, then a date line), and link-outs end with "Read the full article here". Between
them sits page chrome: comment forms, copyright footers, author bios, ads, navigation.

The steps, each small and named:
1. ``normalise`` the text into lines and ``classify`` each line (see ``lines``).
2. ``find_headers``: where articles start, and their title, standfirst, author, category and date.
3. ``_walk``: go through the lines with a tiny state machine (in an article / in the page tail after
   a footer / after a soft end), collecting content and metadata into drafts.
4. ``_finish``: tidy each draft (drop bios, repeated captions, repeated paragraphs; derive a title
   where the page gave none) into an ``Article``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

from searchkit.ingest import lines as L
from searchkit.ingest.dates import parse_date_line
from searchkit.models import Article

__all__ = ["derive_title", "find_headers", "split_text"]

# A "Published" marker and what may follow it on the next lines (":", "on", a date, "First published").
_MARKER = re.compile(r"^(?:published|posted)(?:\s+on)?\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
_MARKER_TAIL = re.compile(r"^(?::|on|first published\s*:?\s*(?P<date>.*))$", re.IGNORECASE)
_BIO_VERB = re.compile(r"^(?:\s*\([^)]{1,80}\))?,?\s+(?:is|was|has|works|writes|studies|holds)\b")
# A closing author note: "Mr. Sartwell teaches philosophy at …", "Jane Doe is a reporter for …".
_TRAILING_BIO = re.compile(
    r"^(?:(?:Mr|Ms|Mrs|Dr|Prof)\.?\s+[A-Z][\w’'-]+\s+(?:is|was|teaches|writes|covers|reports|works)\b"
    r"|[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3}\s+(?:is|was)\s+(?:a|an|the)\b.{0,120}\b"
    r"(?:professor|reporter|correspondent|editor|writer|journalist|columnist|author of|"
    r"contributor|student|researcher|fellow)\b)"
)
_TITLE_MAX_CHARS = 90
_FRAGMENT_WORDS = 25  # an untitled scrap this short, on a page with real articles, is chrome


@dataclass(slots=True)
class Header:
    """Where an article starts (line ``start``), where its body begins (``end``) and what it states."""

    start: int
    end: int
    title: str
    subtitle: str | None = None
    author: str | None = None
    category: str | None = None
    date: dt.date | None = None


@dataclass(slots=True)
class _Draft:
    header: Header | None
    lines: list[str] = field(default_factory=list)
    byline: list[str] = field(default_factory=list)  # "By …" near the end: the most specific
    signoff: list[str] = field(default_factory=list)  # "Write to … at", "(Reporting by …)"
    date: dt.date | None = None
    site: str | None = None  # from a masthead line inside the article
    copyright_site: str | None = None
    copyright_year: int | None = None


def split_text(text: str, source: str) -> list[Article]:
    lines = L.normalise(text)
    kinds = [L.classify(line) for line in lines]
    headers = find_headers(lines, kinds)
    drafts, tags = _walk(lines, kinds, headers)
    # One copyright owner for the whole page: articles without a footer of their own share it.
    owners = {d.copyright_site for d in drafts if d.copyright_site}
    page_site = owners.pop() if len(owners) == 1 else None
    articles = [a for a in (_finish(d, source, tags, page_site) for d in drafts) if a is not None]
    if len(articles) > 1:
        articles = [a for a in articles if not (a.title_derived and a.word_count < _FRAGMENT_WORDS)]
    for position, article in enumerate(articles, start=1):
        article.position = position
    return articles


# --- 2. headers -------------------------------------------------------------------------------------


def find_headers(lines: list[str], kinds: list[L.Kind]) -> dict[int, Header]:
    """Article headers by their first line: 'Published'-anchored ones and 'headline + date' ones."""
    found: list[Header] = []
    for j in range(len(lines)):
        header = _marker_header(lines, kinds, j) or _dated_header(lines, kinds, j)
        if header is not None:
            found.append(header)
    headers: dict[int, Header] = {}
    floor = 0
    for header in sorted(found, key=lambda h: h.start):
        if header.start >= floor:
            headers[header.start] = header
            floor = header.end
    return headers


def _marker_header(lines: list[str], kinds: list[L.Kind], j: int) -> Header | None:
    match = _MARKER.match(lines[j])
    if not match:
        return None
    rest = match.group("rest").strip()
    date = parse_date_line(rest, allow_time=True) if rest else None
    if rest and date is None:
        return None
    above = _lines_above(lines, kinds, j, limit=4)
    if not above:
        return None
    texts = [lines[i] for i in above]
    author = subtitle = category = None
    if (
        len(texts) >= 2
        and L.is_name(texts[-1])
        and L.word_count(texts[-2]) > L.word_count(texts[-1])
    ):
        author = texts.pop()
        above.pop()
    # A standfirst usually reads as a sentence; under a section label ("Science" / headline /
    # standfirst) the structure is clear even when it lacks the final period.
    anchored = len(texts) >= 3 and L.is_category(texts[-3])
    if len(texts) >= 2 and L.is_title(texts[-2]) and (L.is_sentence(texts[-1]) or anchored):
        subtitle = texts.pop()
        above.pop()
    if not texts or not L.is_title(texts[-1]):
        return None
    title = texts.pop()
    start = above.pop()
    if texts and L.is_category(texts[-1]):
        category = texts.pop()
        start = above.pop()
    end = j + 1
    while end < len(lines):
        line = lines[end]
        tail = _MARKER_TAIL.match(line)
        if not line:
            end += 1
        elif tail:
            date = date or (parse_date_line(tail.group("date") or "", allow_time=True))
            end += 1
        elif date is None and (parsed := parse_date_line(line, allow_time=True)):
            date = parsed
            end += 1
        else:
            break
    return Header(start, end, title, subtitle, author, category, date)


def _dated_header(lines: list[str], kinds: list[L.Kind], j: int) -> Header | None:
    """'Headline' then a line holding only a date: how archive and tag pages list posts."""
    if kinds[j] is not L.Kind.CONTENT:
        return None
    date = parse_date_line(lines[j])
    if date is None:
        return None
    above = _lines_above(lines, kinds, j, limit=1)
    if not above:
        return None
    i = above[0]
    if not L.is_title(lines[i]) or (i > 0 and kinds[i - 1] is L.Kind.CONTENT):
        return None
    return Header(i, j + 1, lines[i], date=date)


def _lines_above(lines: list[str], kinds: list[L.Kind], j: int, *, limit: int) -> list[int]:
    """Indices of up to ``limit`` content lines right above line j (blank lines skipped), in order."""
    found: list[int] = []
    i = j - 1
    while i >= 0 and len(found) < limit:
        if kinds[i] is L.Kind.BLANK:
            i -= 1
            continue
        if kinds[i] is not L.Kind.CONTENT:
            break
        found.append(i)
        i -= 1
    return found[::-1]


# --- 3. walk ----------------------------------------------------------------------------------------


def _walk(
    lines: list[str], kinds: list[L.Kind], headers: dict[int, Header]
) -> tuple[list[_Draft], list[str]]:
    drafts: list[_Draft] = []
    tags: list[str] = []
    draft: _Draft | None = None
    mode = (
        "open"  # "open": before any article or after a soft end; "article"; "tail": after a footer
    )
    i = 0
    while i < len(lines):
        header = headers.get(i)
        if header is not None:
            draft = _Draft(header, date=header.date)
            drafts.append(draft)
            mode = "article"
            i = header.end
            continue
        line, kind = lines[i], kinds[i]
        i += 1
        if kind is L.Kind.BLANK:
            if mode == "article" and draft is not None and draft.lines and draft.lines[-1]:
                draft.lines.append("")
        elif kind is L.Kind.COPYRIGHT:
            # A footer closes the article it follows, even when it comes after "Spotted a mistake…".
            if draft is not None and mode in ("article", "tail"):
                year, site = L.copyright_parts(line)
                draft.copyright_year = draft.copyright_year or year
                draft.copyright_site = draft.copyright_site or site
            mode = "tail" if draft is not None else mode
        elif kind is L.Kind.END_HARD:
            mode = "tail" if draft is not None else mode
        elif kind is L.Kind.END_SOFT:
            if mode == "article":
                mode = "open"
        elif kind is L.Kind.PAGE_HEADING:
            tag = L.page_tag(line)
            if tag and tag not in tags:
                tags.append(tag)
        elif mode == "tail" or kind is L.Kind.CHROME:
            continue
        elif kind in (L.Kind.BYLINE, L.Kind.SIGNOFF, L.Kind.DATELINE, L.Kind.MASTHEAD):
            if draft is None or mode != "article":
                draft = _Draft(None)
                drafts.append(draft)
                mode = "article"
            _take_metadata(draft, line, kind)
        else:  # content
            if mode == "open" or draft is None:
                draft = _Draft(None)
                drafts.append(draft)
                mode = "article"
            if not _is_bio(draft, line):
                draft.lines.append(line)
    return drafts, tags


def _take_metadata(draft: _Draft, line: str, kind: L.Kind) -> None:
    if kind is L.Kind.BYLINE:
        draft.byline = draft.byline or L.byline_names(line)
    elif kind is L.Kind.SIGNOFF:
        draft.signoff = draft.signoff or L.signoff_names(line)
    elif kind is L.Kind.DATELINE:
        match = L.DATELINE.match(line)
        if match and "updat" not in match.group("label").lower():
            draft.date = draft.date or L.dateline_date(line)
    elif kind is L.Kind.MASTHEAD:
        draft.site = draft.site or line


def _is_bio(draft: _Draft, line: str) -> bool:
    """'Manya Koetse is the editor-in-chief of…': an author's bio, not the story."""
    names = list(draft.byline)
    if draft.header and draft.header.author:
        names.append(draft.header.author)
    return any(line.startswith(n) and _BIO_VERB.match(line[len(n) :]) for n in names)


# --- 4. finish --------------------------------------------------------------------------------------


def _finish(draft: _Draft, source: str, tags: list[str], page_site: str | None) -> Article | None:
    header = draft.header
    heading = None if header is not None else _standalone_heading(draft.lines)
    # (a standalone first line is taken before tidying, which drops a line the next one repeats:
    # collections whose text opens by restating the title would lose it)
    body_lines = _tidy(draft.lines if heading is None else draft.lines[heading + 1 :])
    title_derived = False
    if header is not None:
        title = header.title
    elif heading is not None:
        title = draft.lines[heading]
    elif (
        len(body_lines) > 1
        and L.is_title(body_lines[0])
        and not L.is_sentence(body_lines[0])
        and L.word_count(body_lines[0]) <= 15
    ):
        title = body_lines.pop(0)
        while body_lines and not body_lines[0]:
            body_lines.pop(0)
    else:
        title = derive_title("\n".join(body_lines))
        title_derived = True
    body = "\n".join(body_lines).strip()
    if not body or not title:
        return None
    authors = draft.byline or draft.signoff or ([header.author] if header and header.author else [])
    date = draft.date
    return Article(
        source=source,
        position=0,
        title=title,
        body=body,
        title_derived=title_derived,
        summary=header.subtitle if header else None,
        authors=authors,
        date=date,
        year=date.year if date else draft.copyright_year,
        site=draft.site or draft.copyright_site or page_site,
        category=header.category if header else None,
        tags=list(tags),
    )


def _standalone_heading(lines: list[str]) -> int | None:
    """Where the first line of an untitled draft stands alone as its title (``is_heading_line``,
    a blank line after it, text after that), or None."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or first + 2 >= len(lines) or lines[first + 1]:
        return None
    if not any(lines[first + 2 :]) or not L.is_heading_line(lines[first]):
        return None
    return first


def _tidy(lines: list[str]) -> list[str]:
    """Drop captions a scraper repeated ('X' then 'X PHOTO: …') and paragraphs seen already."""
    content = [i for i, line in enumerate(lines) if line]
    drop: set[int] = set()
    for a, b in itertools.pairwise(content):
        if L.word_count(lines[a]) >= 5 and lines[b].startswith(lines[a]):
            drop.add(a)
    seen: set[str] = set()
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in drop:
            continue
        if line and L.word_count(line) >= 8:
            if line in seen:
                continue
            seen.add(line)
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and (not out[-1] or (L.word_count(out[-1]) <= 40 and _TRAILING_BIO.match(out[-1]))):
        out.pop()
    return out


def derive_title(body: str) -> str:
    """The first sentence of the text, cut at a word boundary (for articles the page left untitled)."""
    first = body.strip().split("\n", 1)[0]
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"‘'])", first, maxsplit=1)[0].strip()
    if len(sentence) <= _TITLE_MAX_CHARS:
        return sentence.rstrip(".")
    cut = sentence[: _TITLE_MAX_CHARS + 1].rsplit(" ", 1)[0].rstrip(",;:–— ")
    return cut + "…"
