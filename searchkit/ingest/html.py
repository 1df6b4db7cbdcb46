"""HTML pages -> ``list[Article]``: the main text without page chrome, and the page's own metadata.

Steps:
1. Parse with BeautifulSoup (lxml's parser: faster than html.parser, see docs/benchmarks.md).
2. ``page_metadata``: title, authors, date, site, canonical URL, language, description, section and
   tags, from the places pages state them — Open Graph / article:* meta tags, JSON-LD, microdata,
   ``<time datetime>``, ``rel=author`` links and byline text.
3. ``find_entries``: a page that lists several posts (an archive or tag page: repeated ``<article>``
   or ``.hentry`` blocks of similar weight) yields one article per post, each with its own title,
   byline and date. A page with one main article and small teasers yields the main one.
4. The main text of a one-article page comes from trafilatura (``BODY_EXTRACTOR``), which measured
   better than our own container scoring (``own_main_text``, kept as the fallback when trafilatura
   finds nothing); see bench/extraction.py and docs/benchmarks.md.

Deeply nested or broken markup never raises out of here except as ``RecursionError``, which the
pipeline turns into a counted skip.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, Tag

from searchkit.ingest import lines as L
from searchkit.ingest.dates import find_date, parse_date_line
from searchkit.models import Article, Page

# "trafilatura" or "own": how the main text of a one-article page is found (bench/extraction.py).
BODY_EXTRACTOR = "trafilatura"
PARSER = "lxml"

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "form",
    "button",
    "select",
    "canvas",
    "object",
    "embed",
)
_CHROME_TAGS = ("nav", "footer", "aside")
# A class/id token naming page chrome: "share-buttons", "related_posts", "site-footer", "sidebar".
_CHROME_TOKEN = re.compile(
    r"(^|[-_])(share|sharing|social|related|recommended|comments?|newsletter|subscribe|signup|"
    r"promo|advert|advertisement|ads?|sponsored|sidebar|cookies?|consent|breadcrumbs?|menu|navbar|"
    r"nav|navigation|footer|masthead|popular|trending|most-read|widget|pagination|author-bio|bio|"
    r"disclaimer|skip-link|screen-reader-text|visually-hidden|sr-only)([-_]|$)"
)
# WordPress state classes on posts ("has-comments", "tag-social") are not chrome.
_STATE_PREFIXES = ("has-", "tag-", "category-", "format-", "status-", "type-", "no-")
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_ENTRY_SELECTOR = "article, .hentry, .h-entry, [itemtype*='BlogPosting'], [itemtype*='NewsArticle']"
_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td", "dd")
_HEADINGS = ("h1", "h2", "h3", "h4")
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|–—·•:»/-]|--)\s+")
_ISO_DATE = re.compile(r"((?:19|20)\d{2})-(\d{2})-(\d{2})")
_COMPACT_DATE = re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})T")  # 20180619T055000+0900
_URLISH = re.compile(r"^(?:https?:)?//|^www\.|\.(?:com|org|net)\b", re.I)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_MIN_ENTRY_WORDS = 15  # a post on an archive page shorter than this is a link, not an article
_MAIN_DOMINANCE = 3.0  # one block this many times heavier than the next is the page's article


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


def html_articles(page: Page, *, body_extractor: str | None = None) -> list[Article]:
    soup = parse(page.text)
    meta = page_metadata(soup)
    if meta.date is None:
        meta.date = _htmldate(page.text)
    _strip_invisible(soup)
    _drop_chrome(soup)
    entries = find_entries(soup)
    if len(entries) > 1:
        articles = [_entry_article(e, meta, page.source.relpath) for e in entries]
        articles = [a for a in articles if a is not None]
    else:
        article = _single_article(page.text, soup, meta, page.source.relpath, body_extractor)
        articles = [article] if article is not None else []
    for position, article in enumerate(articles, start=1):
        article.position = position
    return articles


def parse(html: str, parser: str | None = None) -> BeautifulSoup:
    return BeautifulSoup(html, parser or PARSER)


# --- 2. metadata ------------------------------------------------------------------------------------


def page_metadata(soup: BeautifulSoup) -> PageMeta:
    metas = _meta_tags(soup)
    ld = _json_ld(soup)
    meta = PageMeta()
    site = _first(
        metas.get("og:site_name"), _ld_name(ld.get("publisher")), metas.get("application-name")
    )
    meta.site = _clean(site) or None
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
    tags.extend(a.get_text(" ", strip=True) for a in soup.select("a[rel~=tag]"))
    for heading in soup.find_all(("h1", "h2"), limit=3):
        tag = L.page_tag(_clean(heading.get_text(" ", strip=True)))
        if tag:
            tags.append(tag)
    meta.tags = _unique(t for t in tags if 0 < len(t) <= 60)
    if not meta.authors or meta.date is None:
        names, date = _byline_near_headline(soup)
        meta.authors = meta.authors or names
        meta.date = meta.date or date
    meta.site = meta.site or _copyright_owner(soup)
    return meta


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
        return next((d for d in declared if d), None)
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
    not_people = {_key(site)} if site else set()
    not_people |= {_key(metas.get("og:site_name")), _key(_ld_name(ld.get("publisher")))}
    for candidates in sources:
        names = [n for n in _names(candidates) if _key(n) not in not_people]
        if names:
            return names
    return []


def _element_authors(scope: Tag) -> list[str]:
    found: list[str] = []
    for el in scope.select("[rel~=author], [itemprop=author]"):
        name_el = el.find(itemprop="name") if isinstance(el, Tag) else None
        text = (name_el or el).get_text(" ", strip=True)
        if text:
            found.append(text)
    if found:
        return found
    for el in scope.select(
        ".byline, .author, .by-author, .article-author, .post-author, [class*=byline]"
    ):
        text = _clean(el.get_text(" ", strip=True))
        names = L.byline_names(text) or L.byline_names("By " + text)
        if names:
            return names
    return []


def _names(candidates: Iterable[str]) -> list[str]:
    names: list[str] = []
    for raw in candidates:
        raw = _clean(raw)
        if not raw or _URLISH.search(raw) or "@" in raw:
            continue
        raw = re.sub(r"^by\s+", "", raw, flags=re.I)
        pieces = L.split_names(raw) if (" and " in raw or "," in raw or "&" in raw) else [raw]
        names.extend(p.strip() for p in pieces if 1 < len(p.strip()) <= 80)
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
    for el in scope.select("time[datetime], [itemprop=datePublished]"):
        date = _iso_date(el.get("datetime") or el.get("content")) or parse_date_line(
            el.get_text(" ", strip=True), allow_time=True
        )
        if date:
            return date
    for el in scope.select(
        ".byline, .date, .dateline, .published, .post-date, .entry-date, [class*=date]"
    ):
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


# --- 3. several posts on one page -------------------------------------------------------------------


def _strip_invisible(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(style=re.compile(r"display:\s*none|visibility:\s*hidden", re.I)):
        tag.decompose()
    for tag in soup.find_all(attrs={"hidden": True}):
        tag.decompose()
    for tag in soup.find_all(attrs={"aria-hidden": "true"}):
        tag.decompose()


def find_entries(soup: BeautifulSoup) -> list[Tag]:
    """The posts of a page that lists several; [] or one element for a one-article page."""
    entries = [el for el in soup.select(_ENTRY_SELECTOR) if not _has_entry_ancestor(el)]
    weights = [_word_count(el) for el in entries]
    kept = [(el, w) for el, w in zip(entries, weights, strict=True) if w >= _MIN_ENTRY_WORDS]
    if len(kept) < 2:
        return [el for el, _ in kept]
    kept.sort(key=lambda pair: pair[1], reverse=True)
    if kept[0][1] >= _MAIN_DOMINANCE * kept[1][1] and kept[0][1] >= 150:
        return [kept[0][0]]  # the article, and teasers of related stories around it
    order = {id(el): i for i, el in enumerate(entries)}
    return sorted((el for el, _ in kept), key=lambda el: order[id(el)])


def _has_entry_ancestor(el: Tag) -> bool:
    for parent in el.parents:
        if parent.name == "article" or (
            isinstance(parent, Tag) and ({"hentry", "h-entry"} & set(parent.get("class") or []))
        ):
            return True
    return False


def _entry_article(entry: Tag, meta: PageMeta, source: str) -> Article | None:
    heading = entry.find(_HEADINGS)
    title = _clean(heading.get_text(" ", strip=True)) if isinstance(heading, Tag) else ""
    authors = _names(_element_authors(entry))
    date = _element_date(entry)
    url = _entry_url(entry, heading)
    _drop_chrome(entry)
    if isinstance(heading, Tag):
        heading.decompose()
    for el in entry.select(
        "time, .byline, .author, [rel~=author], [itemprop=author], .entry-meta, .post-meta"
    ):
        el.decompose()
    body = block_text(entry)
    if not body:
        return None
    title_derived = not title
    if title_derived:
        from searchkit.ingest.text_dump import derive_title

        title = derive_title(body)
    return Article(
        source=source,
        position=0,
        title=title,
        body=body,
        title_derived=title_derived,
        authors=authors,
        date=date,
        year=date.year if date else None,
        site=meta.site,
        category=meta.section,
        tags=list(meta.tags),
        url=url,
        lang=meta.lang,
    )


def _entry_url(entry: Tag, heading: Tag | None) -> str | None:
    link = None
    if isinstance(heading, Tag):
        link = heading.find("a", href=True)
    if link is None:
        link = entry.find("a", rel="bookmark", href=True)
    return link.get("href") if isinstance(link, Tag) else None


# --- 4. the main text of a one-article page --------------------------------------------------------


def _single_article(
    html: str, soup: BeautifulSoup, meta: PageMeta, source: str, body_extractor: str | None
) -> Article | None:
    extractor = body_extractor or BODY_EXTRACTOR
    body = ""
    if extractor == "trafilatura":
        body = trafilatura_main_text(html)
    if not body:
        body = own_main_text(soup)
    title = meta.title
    if title and body:
        # Extractors often keep the headline as the first line of the text.
        first, _, rest = body.partition("\n\n")
        if _key(first) == _key(title):
            body = rest
    if not body:
        return None
    title_derived = not title
    if title_derived:
        from searchkit.ingest.text_dump import derive_title

        title = derive_title(body)
    summary = meta.description
    if summary and _key(body[: len(summary) + 20]).startswith(_key(summary)[:60]):
        summary = None  # a description that only repeats the first sentence adds nothing
    return Article(
        source=source,
        position=0,
        title=title or "",
        body=body,
        title_derived=title_derived,
        summary=summary,
        authors=list(meta.authors),
        date=meta.date,
        year=meta.date.year if meta.date else None,
        site=meta.site,
        category=meta.section,
        tags=list(meta.tags),
        url=meta.url,
        lang=meta.lang,
    )


def trafilatura_main_text(html: str) -> str:
    """trafilatura's main text (comments, tables of navigation and link lists left out)."""
    import trafilatura

    try:
        text = trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            include_links=False,
            deduplicate=False,
        )
    except (RecursionError, ValueError, TypeError):  # malformed or hostile markup
        return ""
    return _tidy(text or "")


def own_main_text(soup: BeautifulSoup) -> str:
    """The block of the page holding most paragraph text (readability-style scoring), as text."""
    root = soup.body or soup
    marked = root.select_one(
        "[itemprop=articleBody], .article-body, .article__body, .entry-content, .post-content, .story-body"
    )
    container = (
        marked if isinstance(marked, Tag) and _word_count(marked) >= 50 else _best_container(root)
    )
    return block_text(container)


def _best_container(root: Tag) -> Tag:
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for p in root.find_all(("p", "pre", "blockquote")):
        words = len(p.get_text(" ", strip=True).split())
        if words < 5 or _link_density(p) > 0.5:
            continue
        parent = p.parent
        for share in (1.0, 0.5):
            if not isinstance(parent, Tag):
                break
            scores[id(parent)] = scores.get(id(parent), 0.0) + words * share
            nodes[id(parent)] = parent
            parent = parent.parent
    if not scores:
        return root
    best = max(scores, key=lambda k: scores[k])
    return nodes[best]


def _drop_chrome(scope: Tag) -> None:
    """Remove navigation, footers, asides and blocks whose class or id names page chrome."""
    for tag in scope.find_all(_CHROME_TAGS):
        if tag.attrs is not None and not _holds_article(tag):
            tag.decompose()
    for tag in scope.find_all(True):
        if tag.attrs is None or tag.name in ("body", "html", "article", "main"):
            continue  # already removed with an ancestor, or the page's frame
        if _is_chrome(tag) and not _holds_article(tag):
            tag.decompose()


def _is_chrome(tag: Tag) -> bool:
    if (tag.get("role") or "") in _CHROME_ROLES:
        return True
    tokens = [*(tag.get("class") or []), tag.get("id") or ""]
    return any(
        _CHROME_TOKEN.search(token.lower())
        for token in tokens
        if token and not token.lower().startswith(_STATE_PREFIXES)
    )


def _holds_article(tag: Tag) -> bool:
    """A wrapper that happens to carry a chrome-like class ("layout-with-sidebar") around the story."""
    return (
        tag.find(("h1", "main", "article")) is not None
        or tag.find(itemprop="articleBody") is not None
    )


def block_text(scope: Tag) -> str:
    """Paragraph-level blocks of ``scope`` as lines of text, link lists and repeats left out."""
    lines: list[str] = []
    seen: set[str] = set()
    blocks = scope.find_all(_BLOCKS)
    if not blocks:
        text = _clean(scope.get_text(" ", strip=True))
        return text
    for block in blocks:
        if block.find(_BLOCKS):  # an outer block: its inner blocks are taken one by one
            continue
        text = _clean(block.get_text(" ", strip=True))
        if not text or not L.has_words(text):
            continue
        if block.name == "li" and _link_density(block) > 0.6:
            continue
        if L.classify(text) in (L.Kind.CHROME, L.Kind.END_HARD, L.Kind.BYLINE, L.Kind.COPYRIGHT):
            continue
        if text in seen:
            continue
        seen.add(text)
        lines.append(text)
    return "\n\n".join(lines)


def _link_density(el: Tag) -> float:
    text = len(el.get_text(" ", strip=True)) or 1
    links = sum(len(a.get_text(" ", strip=True)) for a in el.find_all("a"))
    return links / text


def _word_count(el: Tag) -> int:
    return len(el.get_text(" ", strip=True).split())


def _tidy(text: str) -> str:
    """One paragraph per line -> paragraphs separated by blank lines, stray chrome lines dropped."""
    paragraphs = [_clean(p) for p in text.split("\n")]
    kept = [p for p in paragraphs if p and L.classify(p) not in (L.Kind.CHROME, L.Kind.END_HARD)]
    return "\n\n".join(kept)


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
