"""Snippets: the passages of an article that best match a query, with every match marked.

In: an article's text and a ``Highlight`` (the query's stemmed words, its phrases, its CJK strings,
each with a weight such as its idf). Out: a ``Snippet``, a list of ``(text, matched)`` spans, so each
front end marks matches its own way: ``to_html`` (escaped, ``<mark>``) for the JSON API and the web
page, ``to_marked`` for a terminal (``render.Style`` turns its markers into colour), ``to_plain``
when piped.

Matching follows the index: a word is marked when it stems to a query term ("blacklisted" for
"blacklisting"), a phrase only where its words stand together (stop words may sit between them, as
in the index), a Chinese word wherever its characters occur. Finding them does not re-analyse the
whole article: the words that could stem to a query term (those starting like one) are found with
``str.find`` and only those are stemmed, so a snippet costs a few dozen microseconds even for long
articles.

Passages are chosen one at a time for the query terms they add that earlier ones did not show
(so a snippet shows the rare word the user asked for, not the common one twice), are cut at word
boundaries, and are shown in text order.
"""

from __future__ import annotations

import bisect
import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from searchkit.analysis import TOKEN_PATTERN as _TOKEN
from searchkit.analysis import is_cjk, split_cjk, stem

Snippet = list[tuple[str, bool]]

_LEAD_CHARS = 220
_WORD = re.compile(r"\w+(?:\.\w+)*")
_STOP_WORDS: frozenset[str] | None = None


@dataclass(slots=True)
class Highlight:
    """What to mark: stems of query words, phrases (stem sequences) and CJK strings, weighted."""

    terms: dict[str, float] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], float] = field(default_factory=dict)
    cjk: dict[str, float] = field(default_factory=dict)
    _prefixes: dict[frozenset[str], tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases or self.cjk)

    def prefixes(self) -> tuple[str, ...]:
        """What every word that could stem to a query term starts with (lowercase)."""
        stems = set(self.terms)
        for phrase in self.phrases:
            stems.update(phrase)
        key = frozenset(stems)
        if key not in self._prefixes:  # once per query, not per hit shown
            self._prefixes[key] = tuple(sorted({_prefix(s) for s in stems}))
        return self._prefixes[key]


def _candidate_words(text: str, prefixes: tuple[str, ...]) -> list[tuple[int, str]]:
    """(start, word) of each word of ``text`` that begins with one of ``prefixes``, in any case.

    ``str.find`` on the lowercased text, not a case-insensitive regular expression of the prefixes:
    the regex engine tries every alternative at every character (100 µs for a 3,600-character
    article; this takes a tenth of that).
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        starts: list[int] = []
        for prefix in prefixes:
            at = lowered.find(prefix)
            while at >= 0:
                starts.append(at)
                at = lowered.find(prefix, at + 1)
        starts.sort()
    else:  # a character whose lowercase is longer would shift every offset after it
        alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
        starts = [m.start() for m in re.finditer(f"(?:{alternatives})", text, re.IGNORECASE)]
    words = []
    end = 0
    for start in starts:
        if start < end or (start and _is_word_char(text[start - 1])):
            continue  # inside a word (or the word just taken), not at its start
        word = _WORD.match(text, start).group(0)  # type: ignore[union-attr]
        end = start + len(word)
        words.append((start, word))
    return words


def _is_word_char(ch: str) -> bool:
    """A letter or digit of a space-separated script (a CJK character is a word of its own)."""
    return (ch.isalnum() or ch == "_") and not is_cjk(ch)


def _prefix(term: str) -> str:
    """A prefix every word that stems to ``term`` starts with (Porter only rewrites word ends)."""
    if len(term) <= 4:
        return term[:-1] if term.endswith("i") and len(term) > 1 else term
    return term[:-2]


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    key: object  # a stem, a phrase tuple or a CJK string: what counts as "shown" once
    weight: float


def find_matches(text: str, highlight: Highlight) -> list[_Match]:
    """Every place in ``text`` where the highlight matches, in text order (may overlap)."""
    found: list[_Match] = []
    prefixes = highlight.prefixes()
    if prefixes:
        words = []  # (start, end, stem) of each candidate word
        for start, word in _candidate_words(text, prefixes):
            if not word.isascii():
                word = next(split_cjk(word))[0]  # a word running into CJK characters ends there
            words.append((start, start + len(word), stem(word.lower())))
        for start, end, term in words:
            if term in highlight.terms:
                found.append(_Match(start, end, term, highlight.terms[term]))
        for phrase, weight in highlight.phrases.items():
            found.extend(_phrase_matches(text, words, phrase, weight))
    for chars, weight in highlight.cjk.items():
        start = text.find(chars)
        while start >= 0:
            found.append(_Match(start, start + len(chars), chars, weight))
            start = text.find(chars, start + 1)
    found.sort(key=lambda m: (m.start, -m.end))
    return found


def _phrase_matches(text: str, words: list, phrase: tuple[str, ...], weight: float):
    """Runs of candidate words spelling ``phrase`` with nothing but stop words between them."""
    n = len(phrase)
    for i in range(len(words) - n + 1):
        if words[i][2] != phrase[0]:
            continue
        ok = True
        for j in range(1, n):
            if words[i + j][2] != phrase[j] or not _only_stops(
                text[words[i + j - 1][1] : words[i + j][0]]
            ):
                ok = False
                break
        if ok:
            yield _Match(words[i][0], words[i + n - 1][1], phrase, weight)


def _only_stops(gap: str) -> bool:
    global _STOP_WORDS
    if _STOP_WORDS is None:
        from whoosh.analysis import STOP_WORDS

        _STOP_WORDS = frozenset(STOP_WORDS)
    return all(m.group(0).lower() in _STOP_WORDS for m in _TOKEN.finditer(gap))


def make_snippet(
    text: str,
    highlight: Highlight,
    *,
    passages: int = 3,
    chars: int = 300,
) -> Snippet:
    """The best 1–``passages`` passages of ``text`` (about ``chars`` in all); the lead if none match."""
    if not highlight:
        return lead(text)
    matches = find_matches(text, highlight)
    if not matches:
        return lead(text)
    width = max(80, chars // min(passages, 2))
    chosen = _pick(matches, text, passages, width, chars)
    chosen.sort()
    spans: Snippet = []
    for n, (start, end) in enumerate(chosen):
        if n == 0 and text[:start].strip():
            spans.append(("… ", False))
        elif n:
            spans.append((" … ", False))
        spans.extend(_marked(text, start, end, matches))
    if text[chosen[-1][1] :].strip():
        spans.append((" …", False))
    return _merge(spans)


def _pick(matches: list[_Match], text: str, count: int, width: int, budget: int) -> list:
    """Greedy: the window adding the most weight of not-yet-shown matches, until none adds any."""
    starts = [m.start for m in matches]
    candidates = []
    for anchor in _anchors(matches):
        window = _window(text, anchor, width)
        first = bisect.bisect_left(starts, window[0])
        last = bisect.bisect_right(starts, window[1])
        inside = [m for m in matches[first:last] if m.end <= window[1]]
        candidates.append((window, inside))
    shown: set[object] = set()
    chosen: list[tuple[int, int]] = []
    used = 0
    while len(chosen) < count and used < budget and candidates:

        def gain(candidate) -> float:
            counts: dict[object, int] = {}
            weights: dict[object, float] = {}
            for m in candidate[1]:
                counts[m.key] = counts.get(m.key, 0) + 1
                weights[m.key] = m.weight
            new = sum(w for k, w in weights.items() if k not in shown)
            if chosen and not new:
                return 0.0
            return new + sum(weights[k] * 0.1 * math.log1p(n) for k, n in counts.items())

        best = max(candidates, key=gain)
        if gain(best) <= 0:
            break
        (start, end), inside = best
        chosen.append((start, end))
        used += end - start
        shown.update(m.key for m in inside)
        candidates = [c for c in candidates if c[0][1] <= start or c[0][0] >= end]
    return chosen


def _anchors(matches: list[_Match], limit: int = 64) -> list[_Match]:
    """Matches to centre candidate passages on: every key's first few, then evenly spread ones."""
    if len(matches) <= limit:
        return matches
    seen: dict[object, int] = {}
    picked = []
    for m in matches:
        if seen.get(m.key, 0) < 3:
            seen[m.key] = seen.get(m.key, 0) + 1
            picked.append(m)
    step = max(1, len(matches) // limit)
    picked.extend(matches[::step])
    return sorted(set(picked), key=lambda m: (m.start, -m.end))


def _window(text: str, match: _Match, width: int) -> tuple[int, int]:
    """About ``width`` characters around a match: a third before it, cut at word boundaries."""
    span = match.end - match.start
    before = max(0, (width - span) // 3)
    start = max(0, match.start - before)
    end = min(len(text), max(match.end, start + width))
    if start > 0:
        start = _word_start(text, start, match.start)
    if end < len(text):
        end = _word_end(text, end, match.end)
    return start, end


def _word_start(text: str, start: int, limit: int) -> int:
    """Move ``start`` forward to the beginning of a word (not past ``limit``); lines win."""
    newline = text.rfind("\n", start, limit)
    if newline >= 0:
        return newline + 1
    if not text[start - 1].isspace():
        space = re.search(r"\s", text[start:limit])
        start = start + space.end() if space else limit
    return start


def _word_end(text: str, end: int, limit: int) -> int:
    """Move ``end`` back to the end of a word (not before ``limit``); lines win."""
    newline = text.find("\n", limit, end)
    if newline >= 0:
        return newline
    if not text[end].isspace():
        space = text.rfind(" ", limit, end)
        end = space if space >= 0 else limit
    return end


def _marked(text: str, start: int, end: int, matches: Iterable[_Match]) -> Snippet:
    """The text of one passage, whitespace flattened, with the (merged) matches inside it marked."""
    marks: list[list[int]] = []
    for m in matches:
        if m.start >= start and m.end <= end:
            if marks and m.start <= marks[-1][1]:
                marks[-1][1] = max(marks[-1][1], m.end)
            else:
                marks.append([m.start, m.end])
    spans: Snippet = []
    cursor = start
    for mark_start, mark_end in marks:
        spans.append((_flat(text[cursor:mark_start]), False))
        spans.append((_flat(text[mark_start:mark_end]), True))
        cursor = mark_end
    spans.append((_flat(text[cursor:end]), False))
    if spans and not spans[0][1]:
        spans[0] = (spans[0][0].lstrip(), False)
    if spans and not spans[-1][1]:
        spans[-1] = (spans[-1][0].rstrip(), False)
    return spans


def _flat(text: str) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    if text[0].isspace():
        flat = " " + flat
    if text[-1].isspace() and flat != " ":
        flat += " "
    return flat


def lead(text: str, chars: int = _LEAD_CHARS) -> Snippet:
    flat = " ".join(text.split())
    if len(flat) <= chars:
        return [(flat, False)]
    return [(flat[:chars].rsplit(" ", 1)[0] + " …", False)]


def _merge(spans: Snippet) -> Snippet:
    out: Snippet = []
    for text, matched in spans:
        if not text:
            continue
        if out and out[-1][1] == matched:
            out[-1] = (out[-1][0] + text, matched)
        else:
            out.append((text, matched))
    return out


def mark_all(text: str, highlight: Highlight) -> Snippet:
    """The whole of ``text`` (one paragraph: its whitespace flattened) with every match marked:
    the article view, where a snippet's one passage would hide the rest."""
    return _merge(_marked(text, 0, len(text), find_matches(text, highlight)))


def to_html(snippet: Snippet) -> str:
    return "".join(
        f"<mark>{html.escape(t)}</mark>" if matched else html.escape(t) for t, matched in snippet
    )


def to_plain(snippet: Snippet) -> str:
    return "".join(t for t, _ in snippet)


def to_marked(snippet: Snippet, start: str, end: str) -> str:
    """The snippet's text with each match between ``start`` and ``end`` (the terminal's markers)."""
    return "".join(f"{start}{t}{end}" if matched else t for t, matched in snippet)
