"""Snippets: the passages of an article that best match a query, with the matched terms marked.

A snippet is a list of ``(text, matched)`` spans, so each front end marks matches its own way:
``to_html`` (escaped, ``<mark>``) for the JSON API and the web page, ``to_ansi`` for a terminal,
``to_plain`` when piped. Passages come from Whoosh's highlighter, which matches the *analysed* tokens,
so a query for "blacklist" also marks "blacklisted", and fragments end on token boundaries.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

from whoosh import highlight

Snippet = list[tuple[str, bool]]

_START, _END, _GAP = "\x02", "\x03", "\x1e"
_LEAD_CHARS = 220


class _SpanFormatter(highlight.Formatter):
    """Marks matched tokens with control characters that ``_spans`` turns back into spans."""

    between = _GAP

    def format_token(self, text, token, replace=False):
        return _START + highlight.get_text(text, token, replace) + _END


def make_snippet(
    text: str,
    terms: Iterable[str],
    analyzer,
    *,
    weights: Mapping[str, float] | None = None,
    fragments: int = 2,
    chars: int = 120,
    surround: int = 50,
) -> Snippet:
    """The best ``fragments`` passages of ``text`` for ``terms``; the article's lead if none match.

    ``weights`` (term -> importance, e.g. idf) decide which passages are best: passages are picked
    one at a time for the query terms they add that earlier picks did not show yet, so a snippet
    shows the rare word the user asked for ("blacklist"), not the common one ("credit") twice.
    """
    termset = frozenset(terms)
    if not termset:
        return lead(text)
    tokens = analyzer(text, chars=True, mode="query", removestops=False)
    tokens = highlight.set_matched_filter(tokens, termset)
    fragmenter = highlight.ContextFragmenter(maxchars=chars, surround=surround)
    candidates = [f for f in fragmenter.fragment_tokens(text, tokens) if f.matches]
    chosen = _pick(candidates, weights or {}, fragments)
    if not chosen:
        return lead(text)
    chosen.sort(key=lambda f: f.startchar)
    spans = _spans(_SpanFormatter()(text, chosen))
    if text[: chosen[0].startchar].strip():
        spans.insert(0, ("… ", False))
    if text[chosen[-1].endchar :].strip():
        spans.append((" …", False))
    return _merge(spans)


def _pick(candidates: list, weights: Mapping[str, float], count: int) -> list:
    shown: set[str] = set()
    chosen: list = []
    pool = list(candidates)
    while pool and len(chosen) < count:

        def gain(fragment) -> float:
            counts: dict[str, int] = {}
            for token in fragment.matches:
                counts[token.text] = counts.get(token.text, 0) + 1
            new = sum(weights.get(t, 1.0) for t in counts if t not in shown)
            repeat = sum(weights.get(t, 1.0) * 0.1 * math.log1p(n) for t, n in counts.items())
            return new + repeat

        best = max(pool, key=gain)
        if chosen and gain(best) <= 0:
            break
        chosen.append(best)
        shown.update(t.text for t in best.matches)
        pool.remove(best)
    return chosen


def lead(text: str, chars: int = _LEAD_CHARS) -> Snippet:
    flat = " ".join(text.split())
    if len(flat) <= chars:
        return [(flat, False)]
    return [(flat[:chars].rsplit(" ", 1)[0] + " …", False)]


def _spans(marked: str) -> Snippet:
    spans: Snippet = []
    fragments = [f for f in marked.split(_GAP) if f.strip()]
    for n, fragment in enumerate(fragments):
        if n:
            spans.append((" … ", False))
        rest = " ".join(fragment.split())
        while rest:
            start = rest.find(_START)
            if start < 0:
                spans.append((rest, False))
                break
            if start:
                spans.append((rest[:start], False))
            end = rest.find(_END, start)
            end = len(rest) if end < 0 else end
            spans.append((rest[start + 1 : end], True))
            rest = rest[end + 1 :]
    return _merge(spans)


def _merge(spans: Snippet) -> Snippet:
    out: Snippet = []
    for text, matched in spans:
        if out and out[-1][1] == matched:
            out[-1] = (out[-1][0] + text, matched)
        elif text:
            out.append((text, matched))
    return out


def to_html(snippet: Snippet) -> str:
    return "".join(
        f"<mark>{html.escape(t)}</mark>" if matched else html.escape(t) for t, matched in snippet
    )


def to_plain(snippet: Snippet) -> str:
    return "".join(t for t, _ in snippet)


def to_ansi(snippet: Snippet, style: str = "\x1b[1;33m") -> str:
    return "".join(f"{style}{t}\x1b[0m" if matched else t for t, matched in snippet)
