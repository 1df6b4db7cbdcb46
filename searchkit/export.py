"""Export: articles -> CSV or JSON Lines, every field, for a spreadsheet or a script.

In: ``StoredArticle`` records (a query's results in rank order, or the whole index) and a format.
Out: text written to a stream, one record per article.

CSV cells are what a spreadsheet reads as values, never formulas: a scraped title that begins
with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is prefixed with an apostrophe, as
OWASP advises against CSV injection — a page's text must not run in a user's spreadsheet.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from searchkit import render
from searchkit.models import StoredArticle

FORMATS = ("csv", "jsonl")
COLUMNS = (
    "id",
    "title",
    "title_derived",
    "summary",
    "authors",
    "date",
    "year",
    "site",
    "category",
    "tags",
    "url",
    "source",
    "position",
    "canonical_id",
    "duplicates",
    "text",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def record(article: StoredArticle) -> dict[str, Any]:
    """One article as the export's record: the fields `searchkit show --json` prints."""
    return render.article_json(article)


def write(articles: Iterable[StoredArticle], fmt: str, out: TextIO) -> int:
    """Write the articles to ``out`` in ``fmt`` ("csv" or "jsonl"); returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (use csv or jsonl)")
    count = 0
    if fmt == "jsonl":
        for article in articles:
            out.write(json.dumps(record(article), ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for article in articles:
        row = record(article)
        writer.writerow([_cell(row[name]) for name in COLUMNS])
        count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # names, tags; copies by where they were saved
        value = "; ".join(v["source"] if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
