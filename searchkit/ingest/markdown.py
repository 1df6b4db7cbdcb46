"""Markdown files -> ``list[Article]``: markup stripped, ``# Heading`` as the title.

A file is one article unless it has several top-level (``#``) headings, in which case each heading
opens an article, the way a notes file or an exported blog archive holds several posts. YAML front
matter (``---`` … ``---``) supplies title, author(s), date and tags when present. A "By Jane Doe"
line right under a heading is taken as the byline.
"""

from __future__ import annotations

import datetime as dt
import re

from searchkit.ingest import lines as L
from searchkit.ingest.dates import parse_date_line
from searchkit.ingest.text_dump import derive_title
from searchkit.models import Article, Page

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*\n", re.S)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_SETEXT_H1 = re.compile(r"^=+\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Inline spans are bounded (_SPAN characters of text, _URL of address): unbounded, an opener
# with no closer ("[a](" or "`" repeated) is scanned to the end of the line from every opener,
# which is quadratic in the line (issue 15: 25 s on one 40 KB line). A longer span keeps its
# markup as text, which loses nothing searchable.
# Link text and addresses hold no bracket either, so a run of "[" fails at once from each.
_SPAN, _URL = 1000, 2048
_TEXT, _HREF = r"[^\[\]\n]", r"[^)\[\]\n]"
_INLINE = [
    (re.compile(rf"!\[({_TEXT}{{0,{_SPAN}}})\]\({_HREF}{{0,{_URL}}}\)"), r"\1"),  # images -> alt
    (re.compile(rf"\[({_TEXT}{{1,{_SPAN}}})\]\({_HREF}{{0,{_URL}}}\)"), r"\1"),  # links -> text
    (re.compile(rf"\[({_TEXT}{{1,{_SPAN}}})\]\[{_TEXT}{{0,{_SPAN}}}\]"), r"\1"),  # reference links
    (re.compile(r"<[^<>\n]{1,500}>"), ""),  # inline HTML tags
    (re.compile(rf"(\*\*|__)(.{{1,{_SPAN}}}?)\1"), r"\2"),
    # emphasis holds no marker of its own kind, so "*a *a *a…" fails at the next "*" each time
    (re.compile(rf"(?<![\w*])\*(?!\s)([^*\n]{{1,{_SPAN}}})(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(rf"(?<![\w_])_(?!\s)([^_\n]{{1,{_SPAN}}})(?<!\s)_(?![\w_])"), r"\1"),
    (re.compile(rf"~~(.{{1,{_SPAN}}}?)~~"), r"\1"),
    # code: the closing run of backticks is exactly as long as the opening one; one space inside
    # each end is padding (CommonMark)
    (re.compile(rf"(?<!`)(`+)(?!`) ?(.{{1,{_SPAN}}}?) ?(?<!`)\1(?!`)"), r"\2"),
]
_BLOCK_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_TABLE_RULE = re.compile(r"^\s*(?:\|\s*)?:?-{3,}")  # not \s*\|?\s*: quadratic on spaces


def markdown_articles(page: Page) -> list[Article]:
    text = page.text.replace("\r\n", "\n").replace("\r", "\n")
    front: dict[str, str | list[str]] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        front = _front_matter(match.group(1))
        text = text[match.end() :]
    sections = _split_on_h1(text.split("\n"))
    articles: list[Article] = []
    for title, body_lines in sections:
        article = _article(
            title, body_lines, front if len(sections) == 1 else {}, page.source.relpath
        )
        if article is not None:
            articles.append(article)
    for position, article in enumerate(articles, start=1):
        article.position = position
    return articles


def _split_on_h1(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        heading = None
        if not fenced:
            h1 = _H1.match(line)
            if h1:
                heading = h1.group(1)
            elif _SETEXT_H1.match(line) and i > 0 and lines[i - 1].strip() and sections[-1][1]:
                heading = sections[-1][1].pop()
        if heading is not None:
            sections.append((strip_inline(heading), []))
        else:
            sections[-1][1].append(line)
    # Text before the first heading belongs to the first article (or is the only one).
    first_lines = sections[0][1]
    if len(sections) > 1 and not "".join(first_lines).strip():
        sections.pop(0)
    elif len(sections) > 1 and len(" ".join(first_lines).split()) < 30:
        title, body = sections[1]
        sections[1:2] = [(title, first_lines + body)]
        sections.pop(0)
    return sections


def _article(title: str | None, body_lines: list[str], front: dict, source: str) -> Article | None:
    paragraphs = plain_paragraphs(body_lines)
    authors: list[str] = []
    date: dt.date | None = None
    # A byline or a date line right under the heading.
    while paragraphs and (
        L.byline_names(paragraphs[0]) or parse_date_line(paragraphs[0], allow_time=True)
    ):
        line = paragraphs.pop(0)
        authors = authors or L.byline_names(line)
        date = date or parse_date_line(line, allow_time=True)
    if isinstance(front.get("title"), str):
        title = title or str(front["title"])
    fm_authors = front.get("authors") or front.get("author")
    if fm_authors:
        authors = [fm_authors] if isinstance(fm_authors, str) else list(fm_authors)
    if isinstance(front.get("date"), str):
        date = parse_date_line(str(front["date"])[:10]) or date
    body = "\n\n".join(paragraphs).strip()
    if not body:
        return None
    title_derived = not title
    if title_derived:
        title = derive_title(body)
    tags = front.get("tags") or front.get("keywords") or []
    return Article(
        source=source,
        position=0,
        title=title or "",
        body=body,
        title_derived=title_derived,
        summary=str(front["description"]) if isinstance(front.get("description"), str) else None,
        authors=authors,
        date=date,
        year=date.year if date else None,
        site=str(front["site"]) if isinstance(front.get("site"), str) else None,
        category=str(front["category"]) if isinstance(front.get("category"), str) else None,
        tags=[tags] if isinstance(tags, str) else [str(t) for t in tags],
        url=str(front["url"]) if isinstance(front.get("url"), str) else None,
        lang=str(front["lang"]) if isinstance(front.get("lang"), str) else None,
    )


def plain_paragraphs(lines: list[str]) -> list[str]:
    """Markdown lines -> paragraphs of plain text (list items and headings each their own)."""
    paragraphs: list[str] = []
    current: list[str] = []
    fenced = False

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for raw in lines:
        if _FENCE.match(raw):
            flush()
            fenced = not fenced
            continue
        if fenced:
            if raw.strip():
                paragraphs.append(raw.rstrip())
            continue
        if not raw.strip() or _RULE.match(raw) or _REF_DEF.match(raw) or _TABLE_RULE.match(raw):
            flush()
            continue
        starts_block = bool(_BLOCK_PREFIX.match(raw))
        line = strip_inline(_BLOCK_PREFIX.sub("", raw).strip())
        if raw.lstrip().startswith("|"):
            line = " ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
        if starts_block:
            flush()
        if line:
            current.append(line)
        if raw.lstrip().startswith("#"):
            flush()
    flush()
    return [p for p in paragraphs if p.strip()]


def strip_inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", text).strip()


def _front_matter(block: str) -> dict[str, str | list[str]]:
    """The simple ``key: value`` / ``key: [a, b]`` / list-item YAML that front matter uses."""
    data: dict[str, str | list[str]] = {}
    key = None
    for line in block.split("\n"):
        item = re.match(r"^\s+-\s+(.*)$", line)
        if item and key:
            existing = data.get(key)
            values = existing if isinstance(existing, list) else []
            values.append(item.group(1).strip().strip("\"'"))
            data[key] = values
            continue
        pair = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if not pair:
            continue
        key, value = pair.group(1).lower(), pair.group(2).strip()
        if value.startswith("[") and value.endswith("]"):
            data[key] = [v.strip().strip("\"'") for v in value[1:-1].split(",") if v.strip()]
        elif value:
            data[key] = value.strip("\"'")
    return data
