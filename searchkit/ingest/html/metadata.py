"""What a page says about itself: a parsed page in, a ``PageMeta`` out (title, authors, date,
site, canonical URL, language, description, section and tags), from the places pages state them —
Open Graph / article:* meta tags, JSON-LD, microdata, ``<time datetime>``, ``rel=author`` links and
byline text. Also ``strip_site_suffix`` ('Headline | Site' -> 'Headline').

The headline is the <h1> that agrees with the declared titles rather than og:title or <title>
(those are often a shorter or SEO variant; see ``_page_title`` and docs/benchmarks.md). htmldate
is asked for the date only when the page's own metadata states none (``_htmldate``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from searchkit.ingest import lines as L
from searchkit.ingest.dates import find_date, parse_date_line
from searchkit.ingest.html.text import _clean, _first, _key, _unique

# (?<!\s): a match may start only where a run of spaces starts; without it, a title holding a
# long run of spaces is tried from every space in it (quadratic, tests/test_regex_linear.py).
_TITLE_SEPARATORS = re.compile(r"(?<!\s)\s+(?:[|–—·•:»/-]|--)\s+")
_ISO_DATE = re.compile(r"((?:19|20)\d{2})-(\d{2})-(\d{2})")
# 20180619T055000+0900, and NYT's pdate/ptime: 20190210, 20190210093000
_COMPACT_DATE = re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})(?:T|\d{4,6}\b|$)")
_URLISH = re.compile(r"^(?:https?:)?//|^www\.|\.(?:com|org|net)\b", re.I)


@dataclass(slots=True)
class PageMeta:
    """What the page says about itself (head meta tags, JSON-LD, microdata)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: dt.date | None = None
    site: str | None = None
    url: str | None = None
    lang: str | None = None
    description: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)


def page_metadata(soup: BeautifulSoup) -> PageMeta:
    metas = _meta_tags(soup)
    ld = _json_ld(soup)
    meta = PageMeta()
    meta.site = next(
        (
            name
            for name in map(
                _site_name,
                (
                    metas.get("og:site_name"),
                    _ld_name(ld.get("publisher")),
                    metas.get("application-name"),
                ),
            )
            if name
        ),
        None,
    )
    meta.title = _page_title(soup, metas, ld, meta.site)
    meta.authors = _page_authors(soup, metas, ld, meta.site)
    meta.date = _page_date(soup, metas, ld)
    canonical = soup.find("link", rel="canonical")
    meta.url = _first(
        canonical.get("href") if isinstance(canonical, Tag) else None,
        metas.get("og:url"),
        ld.get("url"),
    )
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    meta.lang = _first(
        lang, metas.get("og:locale"), metas.get("content-language"), ld.get("inLanguage")
    )
    if meta.lang:
        meta.lang = meta.lang.strip().replace("_", "-")[:20] or None
    meta.description = (
        _clean(_first(metas.get("og:description"), metas.get("description"), ld.get("description")))
        or None
    )
    meta.section = (
        _clean(_first(metas.get("article:section"), _ld_text(ld.get("articleSection")))) or None
    )
    tags: list[str] = []
    for value in (
        *metas.get_all("article:tag"),
        metas.get("keywords"),
        metas.get("news_keywords"),
        _ld_text(ld.get("keywords")),
    ):
        tags.extend(t.strip() for t in re.split(r"[,;]", value or "") if t.strip())
    tags.extend(a.get_text(" ", strip=True) for a in soup.find_all("a", rel="tag"))
    for heading in soup.find_all(("h1", "h2"), limit=3):
        tag = L.page_tag(_clean(heading.get_text(" ", strip=True)))
        if tag:
            tags.append(tag)
    meta.tags = _unique(t for t in tags if 0 < len(t) <= 60)
    if not meta.authors or meta.date is None:
        names, date = _byline_near_headline(soup)
        meta.authors = meta.authors or names
        meta.date = meta.date or date
    meta.site = meta.site or _domain(meta.url) or _site_name(_copyright_owner(soup))
    return meta


# Names pages put where a site name belongs that name no site.
_NOT_SITE_NAMES = frozenset(
    {"hosted", "home", "homepage", "index", "website", "site", "blog", "news", "wordpress"}
    | {"blogger", "untitled"}
)


def _site_name(value: str | None) -> str | None:
    """A site's name as a page declares it, or None for what is no name: a handle ("@politifact"),
    a copyright line, a placeholder ("Hosted"), or a sentence."""
    name = _clean(value)
    if not name or name.startswith("@") or len(name) > 60 or len(name.split()) > 6:
        return None
    lowered = name.lower()
    if "©" in name or "copyright" in lowered or "rights reserved" in lowered:
        return None
    if lowered in _NOT_SITE_NAMES or not any(ch.isalpha() for ch in name):
        return None
    return name


def _domain(url: str | None) -> str | None:
    """'https://www.nypost.com/2021/…' -> 'nypost.com': the site when the page names none."""
    if not url:
        return None
    parsed = urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    host = parsed.hostname.lower()
    return host[4:] if host.startswith("www.") else host


def _byline_near_headline(soup: BeautifulSoup) -> tuple[list[str], dt.date | None]:
    """'By Jane Doe | Published June 5, 2018' in one of the short lines after the <h1>."""
    h1 = soup.find("h1")
    if not isinstance(h1, Tag):
        return [], None
    names: list[str] = []
    date = None
    for el in h1.find_all_next(string=True, limit=40):
        text = _clean(str(el))
        if not text or el.parent is None or el.parent.name in ("script", "style"):
            continue
        line = _clean(el.parent.get_text(" ", strip=True))
        if len(line) > 200:
            break  # the story has started
        for piece in re.split(r"\s[|·•]\s|\s[–—]\s", line):
            names = names or L.byline_names(piece.strip())
            date = date or parse_date_line(
                re.sub(
                    r"^(?:published|posted|updated)(?:\s+on)?\s*:?\s*",
                    "",
                    piece.strip(),
                    flags=re.I,
                ),
                allow_time=True,
            )
        if names and date:
            break
    return names, date


def _copyright_owner(soup: BeautifulSoup) -> str | None:
    """The site that a '© 2018 The Harbour Review' footer names."""
    for el in reversed(soup.find_all(string=re.compile(r"©|\(c\)|copyright", re.I), limit=50)):
        _, owner = L.copyright_parts(_clean(str(el)))
        if owner is None and el.parent is not None:
            _, owner = L.copyright_parts(_clean(el.parent.get_text(" ", strip=True)))
        if owner:
            return owner
    return None


class _Metas(dict):
    """Meta tags by lower-cased name/property; repeated ones (article:tag) kept in order."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        self.setdefault(key, value)
        self.repeated.setdefault(key, []).append(value)

    def get_all(self, key: str) -> list[str]:
        return self.repeated.get(key, [])


def _meta_tags(soup: BeautifulSoup) -> _Metas:
    metas = _Metas()
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop") or tag.get("http-equiv")
        value = tag.get("content")
        if isinstance(key, str) and isinstance(value, str) and value.strip():
            metas.add(key.strip().lower(), value.strip())
    return metas


def _json_ld(soup: BeautifulSoup) -> dict[str, Any]:
    """The JSON-LD object that describes the article (or the first one that has a headline)."""
    found: list[dict[str, Any]] = []
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        try:
            data = json.loads(script.string or "")
        except (ValueError, TypeError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                found.append(item)
    for item in found:
        kinds = item.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(
            isinstance(k, str) and k.endswith(("Article", "BlogPosting", "Report")) for k in kinds
        ):
            return item
    return next((item for item in found if "headline" in item), {})


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


def _ld_text(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(v for v in value if isinstance(v, str)) or None
    return value if isinstance(value, str) else None


def _page_title(
    soup: BeautifulSoup, metas: _Metas, ld: dict[str, Any], site: str | None
) -> str | None:
    """The headline as the page shows it.

    The <h1> that agrees with the page's declared titles (og:title, JSON-LD headline, <title>) wins:
    declared titles are often a shorter or SEO variant of it (docs/benchmarks.md measures this).
    When a declared title extends the chosen one (a headline cut off in the <h1>), the longer one
    is used. Without such an <h1>: og:title, twitter:title, JSON-LD headline, <title>, each minus
    a " | Site" suffix.
    """
    title_tag = soup.find("title")
    head_title = _clean(title_tag.get_text(" ", strip=True)) if isinstance(title_tag, Tag) else ""
    declared = [
        strip_site_suffix(_clean(t), site)
        for t in (
            metas.get("og:title"),
            metas.get("twitter:title"),
            _ld_text(ld.get("headline")),
            head_title,
        )
        if _clean(t)
    ]
    chosen = None
    best_overlap = 0.5
    for h1 in soup.find_all("h1", limit=5):
        text = _clean(h1.get_text(" ", strip=True))
        if not text or len(text) > 300:
            continue
        overlap = max((_overlap(text, d) for d in declared), default=0.0)
        if overlap > best_overlap:
            chosen, best_overlap = text, overlap
    if chosen is None:
        return _untruncated(declared)
    for d in declared[:3]:
        # An <h1> with the site name run on after the headline: the declared title is its start.
        run_on = len(chosen.split()) - len(d.split())
        if (
            not d.endswith(("...", "…"))
            and 0 < run_on <= 4
            and len(_key(d)) >= 10
            and _key(chosen).startswith(_key(d))
        ):
            return d
    for d in declared:
        # A headline cut off mid-word ("… US spy op") that a declared title completes.
        rest = d[len(chosen.rstrip(" .…")) :] if d.startswith(chosen.rstrip(" .…")) else ""
        if len(chosen) >= 20 and rest[:1].isalnum():
            return strip_site_suffix(d, site)
    return chosen


def _untruncated(declared: list[str]) -> str | None:
    """The first declared title, or a later one that completes it when it was cut off with an
    ellipsis ("China's courts put 13 million on a…" in og:title, the whole one in <title>)."""
    first = next((d for d in declared if d), None)
    if first is None or not first.endswith(("...", "…")):
        return first
    stem = _key(first.rstrip(".… "))
    for other in declared:
        key = _key(other)
        if not other.endswith(("...", "…")) and len(key) > len(stem) and key.startswith(stem):
            return other
    return first


def _overlap(a: str, b: str) -> float:
    """Words (or CJK characters) two titles share, as a share of the longer one's."""
    from searchkit.dedup import tokens

    ta, tb = set(tokens(a)), set(tokens(b))
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / max(len(ta), len(tb))


def strip_site_suffix(title: str, site: str | None) -> str:
    """'Story headline | The Site' -> 'Story headline' (also '— Site', ': Site', '· Site')."""
    if site and title.lower().startswith(site.lower()):
        rest = title[len(site) :].lstrip()
        if rest[:1] in (":", "|", "-", "–", "—", "·") and len(rest) > 3:
            return rest[1:].strip()
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_key = _key(site) if site else None
    if site_key and _key(parts[0]) == site_key:
        return " - ".join(parts[1:]).strip()
    if site_key and _key(parts[-1]) == site_key:
        parts = parts[:-1]
        # "Story -- Section -- Site": the section name goes too.
        while len(parts) > 1 and len(parts[-1].split()) <= 3 and len(parts[0].split()) >= 4:
            parts = parts[:-1]
        return " - ".join(parts).strip()
    # Without a known site name, drop a short last part that looks like a name ("| Reuters").
    last = parts[-1]
    if (
        len(last.split()) <= 4
        and len(" ".join(parts[:-1]).split()) >= 3
        and not last.endswith((".", "?", "!"))
    ):
        return title[: title.rfind(last)].rstrip(" |–—·•:»-")
    return title


def _page_authors(
    soup: BeautifulSoup, metas: _Metas, ld: dict[str, Any], site: str | None = None
) -> list[str]:
    """Bylines, from the most to the least specific source; the first that names people wins."""
    author = ld.get("author") or ld.get("creator")
    ld_names = []
    for item in author if isinstance(author, list) else [author]:
        kind = item.get("@type") if isinstance(item, dict) else None
        if isinstance(kind, str) and kind != "Person":
            continue  # the publisher named as author ("Organization", "NewsMediaOrganization")
        name = _ld_name(item)
        if name:
            ld_names.append(name)
    sources = [
        ld_names,
        [
            v
            for key in (
                "article:author",
                "author",
                "dc.creator",
                "parsely-author",
                "byl",
                "sailthru.author",
            )
            for v in metas.get_all(key)
        ],
        _element_authors(soup),
    ]
    publishers = frozenset(
        _clean(name).lower()
        for name in (site, metas.get("og:site_name"), _ld_name(ld.get("publisher")))
        if name
    )
    for candidates in sources:
        names = _names(candidates, publishers)
        if names:
            return names
    # No person anywhere: an agency the byline names instead ("CNN Wire", "Associated Press").
    for candidates in sources:
        for raw in candidates:
            agency = re.sub(r"^by:?\s+", "", _clean(raw), flags=re.I)
            if L.is_agency(agency):
                return [agency]
    return []


# Element tests for find_all: the CSS selectors they replace ("[rel~=author], [itemprop=author]",
# ".byline, .author, …, [class*=byline]") went through soupsieve, which took a third of the time
# of reading a page's metadata (cProfile over 120 of trafilatura's evaluation pages).
_BYLINE_CLASSES = frozenset({"byline", "author", "by-author", "article-author", "post-author"})
_DATE_CLASSES = frozenset({"byline", "published"})


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class")
    return value if isinstance(value, list) else [value] if isinstance(value, str) else []


def _is_author_link(tag: Tag) -> bool:
    rel = tag.get("rel")
    return (isinstance(rel, list) and "author" in rel) or tag.get("itemprop") == "author"


def _is_byline_block(tag: Tag) -> bool:
    return any(c in _BYLINE_CLASSES or "byline" in c for c in _classes(tag))


def _is_date_element(tag: Tag) -> bool:
    return (tag.name == "time" and tag.has_attr("datetime")) or tag.get("itemprop") == "datePublished"


def _is_date_block(tag: Tag) -> bool:
    return any(c in _DATE_CLASSES or "date" in c for c in _classes(tag))


def _element_authors(scope: Tag) -> list[str]:
    found: list[str] = []
    for el in scope.find_all(_is_author_link):
        name_el = el.find(itemprop="name") if isinstance(el, Tag) else None
        text = (name_el or el).get_text(" ", strip=True)
        if text:
            found.append(text)
    if found:
        return found
    for el in scope.find_all(_is_byline_block):
        text = _clean(el.get_text(" ", strip=True))
        names = L.byline_names(text) or L.byline_names("By " + text)
        if names:
            return names
    return []


def _names(candidates: Iterable[str], publishers: frozenset[str] = frozenset()) -> list[str]:
    """People named by declared author fields, jobs, desks and publishers left out."""
    names: list[str] = []
    for raw in candidates:
        raw = _clean(raw)
        if not raw or _URLISH.search(raw) or "@" in raw:
            continue
        raw = re.sub(r"^by:?\s+", "", raw, flags=re.I)
        if " and " in raw or "," in raw or "&" in raw:
            names.extend(L.split_names(raw, publishers))
        else:
            name = L.person_name(raw, publishers, strict=False)
            names.extend([name] if name else [])
    return _unique(names)


def _page_date(soup: BeautifulSoup, metas: _Metas, ld: dict[str, Any]) -> dt.date | None:
    for value in (
        metas.get("article:published_time"),
        _ld_text(ld.get("datePublished")),
        metas.get("datepublished"),
        metas.get("date"),
        metas.get("pubdate"),
        metas.get("publishdate"),
        metas.get("dc.date.issued"),
        metas.get("dc.date"),
        metas.get("sailthru.date"),
        metas.get("og:published_time"),
        metas.get("parsely-pub-date"),
        metas.get("ptime"),  # NYT: "20190210093000"
        metas.get("pdate"),  # NYT: "20190210"
    ):
        date = _iso_date(value)
        if date:
            return date
    return _element_date(soup)


def _htmldate(html: str) -> dt.date | None:
    """htmldate's reading of the publication date (dates in page text, URLs, many date formats).

    Used when the page states no date in its metadata, <time> elements or byline: it found six of
    the eight dates our own reading missed on the benchmark pages (docs/benchmarks.md).
    """
    try:
        from htmldate import find_date

        found = find_date(html, extensive_search=True, original_date=True)
    except Exception:  # htmldate raises assorted errors on broken markup
        return None
    return _iso_date(found)


def _element_date(scope: Tag) -> dt.date | None:
    for el in scope.find_all(_is_date_element):
        date = _iso_date(el.get("datetime") or el.get("content")) or parse_date_line(
            el.get_text(" ", strip=True), allow_time=True
        )
        if date:
            return date
    for el in scope.find_all(_is_date_block):
        date = find_date(el.get_text(" ", strip=True)[:200])
        if date:
            return date
    return None


def _iso_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    match = _ISO_DATE.search(value) or _COMPACT_DATE.match(value.strip())
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
