"""Small text helpers shared by the HTML reader's modules: strings and elements in, normalised
strings, keys and counts out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bs4 import Tag

_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def _clean(text: str | None) -> str:
    if not text:
        return ""
    return _SPACES.sub(" ", text).strip()


def _key(text: str | None) -> str:
    return re.sub(r"\W+", "", (text or "").lower())


def _first(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _word_count(el: Tag) -> int:
    return len(el.get_text(" ", strip=True).split())


def _link_density(el: Tag) -> float:
    text = len(el.get_text(" ", strip=True)) or 1
    links = sum(len(a.get_text(" ", strip=True)) for a in el.find_all("a"))
    return links / text
