"""JSON Lines files -> ``list[Article]``: one article per record, for collections exported elsewhere.

Each line is a JSON object with at least a text field (``text``, ``body``, ``content`` or
``articleBody``); ``title``/``headline``, ``author``/``authors``, ``date``/``published``/
``datePublished``, ``site``/``source``/``publisher``, ``url``, ``lang``/``language``, ``summary``/
``description``, ``category``/``section`` and ``tags``/``keywords`` are read when present. A line
that is not such a record is passed over and counted (``JsonlResult.bad_lines``), never fatal.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from searchkit.ingest.dates import parse_date_line
from searchkit.ingest.text_dump import derive_title
from searchkit.models import Article, Page

_TEXT = ("text", "body", "content", "articleBody", "article", "maintext")
_TITLE = ("title", "headline", "name")
_AUTHORS = ("authors", "author", "byline", "creator")
_DATE = ("date", "published", "date_publish", "datePublished", "published_at", "pubdate", "created")
_SITE = ("site", "site_name", "sitename", "publisher", "source_domain", "source", "domain")


@dataclass(slots=True)
class JsonlResult:
    articles: list[Article] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)  # 1-based line numbers passed over


def jsonl_articles(page: Page) -> list[Article]:
    return read_jsonl(page.text, page.source.relpath).articles


def read_jsonl(text: str, source: str) -> JsonlResult:
    result = JsonlResult()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            result.bad_lines.append(number)
            continue
        article = _article(record, source) if isinstance(record, dict) else None
        if article is None:
            result.bad_lines.append(number)
            continue
        result.articles.append(article)
    for position, article in enumerate(result.articles, start=1):
        article.position = position
    return result


def _article(record: dict[str, Any], source: str) -> Article | None:
    body = _text(_pick(record, _TEXT))
    if not body:
        return None
    title = _text(_pick(record, _TITLE))
    title_derived = not title
    if title_derived:
        title = derive_title(body)
    date = _date(_pick(record, _DATE))
    return Article(
        source=source,
        position=0,
        title=title,
        body=body,
        title_derived=title_derived,
        summary=_text(_pick(record, ("summary", "description", "subtitle", "standfirst"))) or None,
        authors=_list(_pick(record, _AUTHORS)),
        date=date,
        year=date.year if date else None,
        site=_text(_name(_pick(record, _SITE))) or None,
        category=_text(_pick(record, ("category", "section", "articleSection"))) or None,
        tags=_list(_pick(record, ("tags", "keywords"))),
        url=_text(_pick(record, ("url", "link", "canonical_url"))) or None,
        lang=_text(_pick(record, ("lang", "language", "inLanguage"))) or None,
    )


def _pick(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, "", []):
            return value
    return None


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = "\n\n".join(v for v in value if isinstance(v, str))
    return value.strip() if isinstance(value, str) else ""


def _name(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else value


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if isinstance(value, list):
        return [str(_name(v)).strip() for v in value if _name(v)]
    if isinstance(value, dict) and value.get("name"):
        return [str(value["name"])]
    return []


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return parse_date_line(value, allow_time=True)
